/**
 * Plain-text columns for terminal output: a header in capitals, one row per line, columns
 * padded to their widest cell. Line breaks inside a cell become spaces so a row stays one line.
 */
export function formatTable(header: readonly string[], rows: readonly (readonly string[])[]): string {
  const clean = (cell: string) => cell.replace(/\s*[\r\n]+\s*/g, ' ');
  const all = [header.map((h) => h.toUpperCase()), ...rows.map((row) => row.map(clean))];
  const widths = header.map((_, i) => Math.max(...all.map((row) => (row[i] ?? '').length)));
  return all
    .map((row) =>
      row
        .map((cell, i) => (i === row.length - 1 ? cell : cell.padEnd(widths[i]!)))
        .join('  ')
        .trimEnd(),
    )
    .join('\n')
    .concat('\n');
}

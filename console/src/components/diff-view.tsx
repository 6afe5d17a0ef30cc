/** A unified diff, each line marked by class (added, removed) as well as by its + / − sign, never by colour alone. */
export function DiffView({ diff, label }: { diff: string; label: string }) {
  const lines = diff.split('\n').filter((line) => !line.startsWith('===') && !line.startsWith('Index:'));
  return (
    <pre class="diff" aria-label={label} tabIndex={0}>
      {lines.map((line, i) => (
        <span
          key={i}
          class={
            line.startsWith('+') && !line.startsWith('+++')
              ? 'diff-add'
              : line.startsWith('-') && !line.startsWith('---')
                ? 'diff-del'
                : undefined
          }
        >
          {line}
          {'\n'}
        </span>
      ))}
    </pre>
  );
}

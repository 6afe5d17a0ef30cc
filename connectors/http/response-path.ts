/**
 * The small path language that maps a response into a step result: `a.b[0].c`, `items[2]`,
 * `["key with spaces"].x`, optionally starting with `$`. Reads only; unknown paths give undefined.
 */
export function parseResponsePath(expr: string): Array<string | number> {
  const tokens: Array<string | number> = [];
  const re = /\.?([A-Za-z_][\w-]*)|\[(\d+)\]|\["([^"\]]*)"\]/y;
  let i = expr.startsWith('$') ? 1 : 0;
  while (i < expr.length) {
    re.lastIndex = i;
    const m = re.exec(expr);
    if (!m || m[0].length === 0)
      throw new Error(
        `response path ${JSON.stringify(expr)}: unexpected ${JSON.stringify(expr.slice(i, i + 10))} at ${i}`,
      );
    tokens.push(m[1] ?? (m[2] !== undefined ? Number(m[2]) : m[3]!));
    i += m[0].length;
  }
  return tokens;
}

export function readResponsePath(value: unknown, expr: string): unknown {
  let current = value;
  for (const token of parseResponsePath(expr)) {
    if (current === null || typeof current !== 'object') return undefined;
    if (typeof token === 'number') {
      if (!Array.isArray(current)) return undefined;
      current = current[token];
    } else {
      if (!Object.prototype.hasOwnProperty.call(current, token)) return undefined;
      current = (current as Record<string, unknown>)[token];
    }
  }
  return current;
}

/** The words that may follow `^` (docs/servicenow-behaviour.md §2.1), longest first so `ORDERBYDESC` wins over `ORDERBY` and `OR`. */
const KEYWORDS = ['ORDERBYDESC', 'ORDERBY', 'ENDRLQUERY', 'RLQUERY', 'JOIN', 'OR', 'NQ', 'EQ'] as const;

/** What a piece of the query string starts with: a keyword, a plain `^` (AND), or the start of the text. */
export type SeparatorKind = (typeof KEYWORDS)[number] | 'AND' | 'START';

/** A piece of the source between two separators. */
export interface Segment {
  kind: SeparatorKind;
  /** Offset of the piece, separator included. */
  start: number;
  /** The text after the separator, and its offset. */
  body: string;
  bodyOffset: number;
}

function keywordAt(text: string, index: number): (typeof KEYWORDS)[number] | undefined {
  return KEYWORDS.find((k) => text.startsWith(k, index));
}

// Column names are lowercase, so a term can only start with one of these.
const TERM_START = /[a-z_]/;

/**
 * Values cannot escape `^` (docs/servicenow-behaviour.md §2.3), so a `^` separates only where a separator can follow: a keyword
 * (OR, NQ, EQ, ORDERBY, ORDERBYDESC, RLQUERY, ENDRLQUERY, JOIN), the start of a new term (a lowercase
 * column name), another `^`, or the end of the text. Any other `^` is part of the value
 * (`LIKEA^B`, `LIKE1^2`). A mistyped term after `^` (`^stateLTE2`) is thereby reported instead
 * of being swallowed into the previous value.
 */
export function isSeparatorAt(text: string, index: number): boolean {
  const next = index + 1;
  return (
    text[index] === '^' &&
    (next === text.length || text[next] === '^' || keywordAt(text, next) !== undefined || TERM_START.test(text[next]!))
  );
}

function segmentAt(text: string, start: number, end: number, leading: boolean): Segment {
  const after = leading ? start + 1 : start;
  const keyword = keywordAt(text, after);
  // Without a leading `^`, only ORDERBY…/RLQUERY/JOIN may open the text (`ORDERBYnumber`).
  const opens = keyword?.startsWith('ORDERBY') || keyword === 'RLQUERY' || keyword === 'JOIN';
  const usable = keyword && (leading || opens) ? keyword : undefined;
  const bodyOffset = after + (usable?.length ?? 0);
  return { kind: usable ?? (leading ? 'AND' : 'START'), start, body: text.slice(bodyOffset, end), bodyOffset };
}

/** Cuts the source at its separators. */
export function splitSegments(text: string): Segment[] {
  const cuts: number[] = [];
  for (let i = text.indexOf('^'); i !== -1; i = text.indexOf('^', i + 1)) if (isSeparatorAt(text, i)) cuts.push(i);
  const starts = cuts[0] === 0 ? cuts : [0, ...cuts];
  return starts.map((start, k) => segmentAt(text, start, starts[k + 1] ?? text.length, k > 0 || cuts[0] === 0));
}

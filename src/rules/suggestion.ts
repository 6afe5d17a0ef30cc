import { closest, distance } from 'fastest-levenshtein';

/** ` (did you mean approval?)` when a known name is within a typo's reach of `name`, else ''. */
export function didYouMean(name: string, known: readonly string[]): string {
  if (known.length === 0) return '';
  const nearest = closest(name, [...known]);
  // Two edits, or a third of the word for long names: close enough to be a typo, not another word.
  return distance(name, nearest) <= Math.max(2, Math.floor(nearest.length / 3)) ? ` (did you mean ${nearest}?)` : '';
}

import type { TemplateValue } from './mapping.schema';

/** Every scalar inside a param value, as text: what a secret param's value is masked as. */
export function stringsIn(value: TemplateValue | undefined): string[] {
  if (value === undefined || value === null) return [];
  if (typeof value === 'string') return [value];
  if (typeof value !== 'object') return [String(value)];
  return (Array.isArray(value) ? value : Object.values(value)).flatMap(stringsIn);
}

import { parseResponsePath } from './response-path';

/** What a rendered body value may be turned into. */
export const BODY_TYPES = ['integer', 'number', 'boolean'] as const;
export type BodyType = (typeof BODY_TYPES)[number];

/**
 * Mapping templates render to strings, but APIs want typed JSON (Kubernetes refuses
 * `"replicas": "3"`). `body_types` names body paths (`spec.replicas`) and the type each must
 * become: the string is converted, or refused when it is not exactly such a value — so ticket text
 * can only ever become that number or boolean, never anything else.
 * Returns the typed body, or the problems (one per path).
 */
export function applyBodyTypes(body: unknown, types: Record<string, BodyType>): { body: unknown; problems: string[] } {
  const problems: string[] = [];
  const copy: unknown = structuredClone(body);
  for (const [path, type] of Object.entries(types)) {
    let tokens: Array<string | number>;
    try {
      tokens = parseResponsePath(path);
    } catch (err) {
      problems.push(`body_types.${path}: ${(err as Error).message}`);
      continue;
    }
    const parent = tokens
      .slice(0, -1)
      .reduce<unknown>(
        (node, token) =>
          node !== null && typeof node === 'object' ? (node as Record<string | number, unknown>)[token] : undefined,
        copy,
      );
    const last = tokens.at(-1)!;
    const holder =
      parent !== null && typeof parent === 'object' ? (parent as Record<string | number, unknown>) : undefined;
    if (!holder || !Object.prototype.hasOwnProperty.call(holder, last)) {
      problems.push(`body_types.${path}: the body has no such value`);
      continue;
    }
    const converted = convert(holder[last], type);
    if (converted === undefined)
      problems.push(
        `body_types.${path}: ${JSON.stringify(String(holder[last]).slice(0, 40))} is not ${type === 'integer' ? 'an' : 'a'} ${type}`,
      );
    else holder[last] = converted;
  }
  return { body: copy, problems };
}

function convert(value: unknown, type: BodyType): number | boolean | undefined {
  if (type === 'boolean') {
    if (typeof value === 'boolean') return value;
    return value === 'true' ? true : value === 'false' ? false : undefined;
  }
  const text = typeof value === 'number' ? String(value) : typeof value === 'string' ? value.trim() : '';
  const pattern = type === 'integer' ? /^-?\d{1,15}$/ : /^-?\d{1,15}(\.\d{1,15})?$/;
  return pattern.test(text) ? Number(text) : undefined;
}

import { isPlainObject, type ValueSources } from './layers';

/** Keys whose values are secrets wherever they appear (`sandbox.password`, `auth.token`, `secrets.key`). */
const SECRET_KEY = /pass(word)?|secret|token|api[-_]?key|private[-_]?key|credential|^key$|^previousKeys$/i;
/** Values secret by where they are: a notification channel's webhook URL is its credential. */
const SECRET_PATH = /^connectors\.notify\.channels\.[^.]+\.webhookUrl$/;
const MASK = '[redacted]';

/** One effective value: its dotted path, how it is shown (secrets redacted) and where it came from. */
export interface ShownValue {
  path: string;
  value: unknown;
  source: string;
}

/**
 * Every leaf of the effective configuration with its source, secrets masked. A value no layer set
 * comes from the schema's own default. A URL keeps its shape but loses its password.
 */
export function effectiveValues(config: unknown, sources: ValueSources): ShownValue[] {
  const out: ShownValue[] = [];
  const walk = (node: unknown, path: string, secret: boolean) => {
    if (isPlainObject(node) && Object.keys(node).length > 0) {
      for (const [key, child] of Object.entries(node)) {
        const at = path ? `${path}.${key}` : key;
        walk(child, at, secret || SECRET_KEY.test(key) || SECRET_PATH.test(at));
      }
      return;
    }
    if (node === undefined) return;
    out.push({ path, value: secret ? MASK : withoutUrlPassword(node), source: sourceOf(path, sources) });
  };
  walk(config, '', false);
  return out;
}

/** `server.port: 8080   # env PORT`, one line per value, aligned. */
export function formatEffectiveValues(values: ShownValue[]): string {
  const lines = values.map(
    ({ path, value }) => `${path}: ${typeof value === 'string' ? value : JSON.stringify(value)}`,
  );
  const width = Math.min(80, Math.max(...lines.map((l) => l.length)) + 2);
  return lines.map((line, i) => `${line.padEnd(width)}# ${values[i]!.source}`).join('\n');
}

function sourceOf(path: string, sources: ValueSources): string {
  for (let at = path; at; at = at.includes('.') ? at.slice(0, at.lastIndexOf('.')) : '') {
    const found = sources.get(at);
    if (found) return found;
  }
  return 'built-in default';
}

function withoutUrlPassword(value: unknown): unknown {
  if (typeof value !== 'string' || !/^[a-z][a-z0-9+.-]*:\/\/[^/]*@/i.test(value)) return value;
  try {
    const url = new URL(value);
    if (url.password) url.password = MASK;
    return url.toString();
  } catch {
    return value;
  }
}

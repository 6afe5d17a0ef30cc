/**
 * Secrets must never reach a log line, an error or an API answer. Values under these keys are
 * replaced wherever they appear in a structured object, and registered secret values (those loaded
 * from config) are masked inside any string.
 */
const SECRET_KEY = /pass(word)?|secret|token|authorization|api[-_]?key|private[-_]?key|credential/i;
const MASK = '[redacted]';
const knownSecrets = new Set<string>();

/** Registers a secret value so that it is masked wherever it shows up in text. */
export function registerSecret(value: string | undefined): void {
  if (value && value.length >= 6) knownSecrets.add(value);
}

export function redactText(text: string): string {
  let out = text;
  for (const secret of knownSecrets) if (out.includes(secret)) out = out.split(secret).join(MASK);
  return out;
}

export function redact(value: unknown, depth = 0): unknown {
  if (typeof value === 'string') return redactText(value);
  if (!value || typeof value !== 'object' || depth > 8) return value;
  if (Array.isArray(value)) return value.map((v) => redact(v, depth + 1));
  if (value instanceof Error) return { name: value.name, message: redactText(value.message) };
  const out: Record<string, unknown> = {};
  for (const [key, v] of Object.entries(value)) out[key] = SECRET_KEY.test(key) ? MASK : redact(v, depth + 1);
  return out;
}

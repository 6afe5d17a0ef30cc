/**
 * Secrets must never reach a log line, an error or an API answer. Values under these keys are
 * replaced wherever they appear in a structured object, and registered secret values (those loaded
 * from config, secret params of runs, credentials checked out for privileged steps) are masked
 * inside any string.
 */
const SECRET_KEY = /pass(word)?|secret|token|authorization|api[-_]?key|private[-_]?key|credential/i;
const MASK = '[redacted]';
const knownSecrets = new Set<string>();

/**
 * How a registered value is found in text. Snowline knows these values are secret, so every one is
 * masked, however short — a 4-digit PIN or a password like `admin` included. What differs is where:
 * - from SUBSTRING_MIN characters on, everywhere, even inside a longer string (a password inside a
 *   URL, a connection string, `user:pass` or a token pasted into a sentence): a chance collision with
 *   an unrelated 6+ character string is rare and costs only a masked word;
 * - shorter values only where they stand alone, not inside a longer word or number: masking every
 *   `1` inside `INC0010001` or every `adm` inside `administrator` would destroy the logs and notes
 *   an operator reads, and reveal nothing a standalone mask hides (the secret is the whole token).
 */
const SUBSTRING_MIN = 6;
const standalone = new Map<string, RegExp>();

/** Registers a secret value so that it is masked wherever it shows up in text. */
export function registerSecret(value: string | undefined): void {
  if (value) knownSecrets.add(value);
}

/** Whether a value (say a number in a step result) is exactly a registered secret. */
export function isRegisteredSecret(value: string): boolean {
  return knownSecrets.has(value);
}

export function redactText(text: string): string {
  return maskValues(text, knownSecrets);
}

/** Masks the given secret values in text, by the rule above. */
export function maskValues(text: string, secrets: Iterable<string>): string {
  let out = text;
  for (const secret of secrets) {
    if (!secret || !out.includes(secret)) continue;
    out = secret.length >= SUBSTRING_MIN ? out.split(secret).join(MASK) : out.replace(standaloneMatcher(secret), MASK);
  }
  return out;
}

/** Not preceded or followed by a letter, digit or underscore (any script). */
function standaloneMatcher(secret: string): RegExp {
  let matcher = standalone.get(secret);
  if (!matcher) {
    matcher = new RegExp(
      `(?<![\\p{L}\\p{N}_])${secret.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')}(?![\\p{L}\\p{N}_])`,
      'gu',
    );
    standalone.set(secret, matcher);
  }
  return matcher;
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

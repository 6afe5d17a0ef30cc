/**
 * Secrets must never reach a log line, an error or an API answer. Values under these keys are
 * replaced wherever they appear in a structured object, and registered secret values (those loaded
 * from config, secret params of runs, credentials checked out for privileged steps) are masked
 * inside any string.
 */
const SECRET_KEY = /pass(word)?|secret|token|authorization|api[-_]?key|private[-_]?key|credential/i;
const MASK = '[redacted]';
/** Registered secret values, each with when it may be forgotten (Infinity: never). */
const knownSecrets = new Map<string, number>();

/**
 * How long a secret of a run (a secret param, a credential checked out for a step) stays
 * registered after it was last registered: the step worker registers a run's secrets again each
 * time it takes up one of its steps, so a live run's stay; a finished run's are forgotten, and the
 * registry, which every log line is searched against, does not grow with every run ever started.
 */
export const RUN_SECRET_TTL_MS = 24 * 60 * 60_000;
/** Forgotten secrets are swept out at most this often (on a registration). */
const SWEEP_EVERY_MS = 60_000;
let sweptAt = 0;

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

/**
 * Registers a secret value so that it is masked wherever it shows up in text: for good (a secret
 * of the configuration), or for `forMs` after this registration (a run's, see RUN_SECRET_TTL_MS).
 */
export function registerSecret(value: string | undefined, forMs = Infinity): void {
  if (!value) return;
  const now = Date.now();
  knownSecrets.set(value, Math.max(knownSecrets.get(value) ?? 0, now + forMs));
  // Either way: a clock set back must not stop the sweeps.
  if (Math.abs(now - sweptAt) >= SWEEP_EVERY_MS) forgetExpired(now);
}

function forgetExpired(now: number): void {
  sweptAt = now;
  for (const [value, until] of knownSecrets)
    if (until <= now) {
      knownSecrets.delete(value);
      standalone.delete(value);
    }
}

/** Whether a value (say a number in a step result) is exactly a registered secret. */
export function isRegisteredSecret(value: string): boolean {
  return knownSecrets.has(value);
}

export function redactText(text: string): string {
  return maskValues(text, knownSecrets.keys());
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

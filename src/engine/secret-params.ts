import type { RunContext } from './run-context';
import { isRegisteredSecret, redactText, registerSecret, RUN_SECRET_TTL_MS } from '../observability/redact';
import { stringsIn } from '../rules/template-value';

/**
 * A run's secret params (rule field `secret_params`): their rendered values are registered with the
 * redactor, which masks them in every log line and HTTP error; the engine passes step errors,
 * results and write-backs through `maskSecrets` before they are stored, audited or sent.
 * Values of any length are masked; short ones only where they stand alone (see redact.ts).
 */
export function registerSecretParams(context: RunContext): void {
  for (const value of secretParamValues(context)) registerSecret(value, RUN_SECRET_TTL_MS);
}

/** The string forms of a context's secret param values (opened, not sealed). */
export function secretParamValues(context: RunContext): string[] {
  return (context.secretParams ?? []).flatMap((name) => stringsIn(context.params[name]));
}

/**
 * Masks registered secrets inside text or a JSON-like structure. The structure is walked rather than
 * masked as serialised JSON: a short secret such as `1` must not turn `"attempt":1` into invalid JSON;
 * a scalar that is exactly a secret (a PIN returned as a number) becomes the mask.
 */
export function maskSecrets<T>(value: T): T {
  return maskValue(value) as T;
}

const MASK = '[redacted]';

function maskValue(value: unknown): unknown {
  if (typeof value === 'string') return redactText(value);
  if (typeof value === 'number' || typeof value === 'boolean') return isRegisteredSecret(String(value)) ? MASK : value;
  if (value === null || typeof value !== 'object') return value;
  if (Array.isArray(value)) return value.map(maskValue);
  return Object.fromEntries(Object.entries(value).map(([key, v]) => [redactText(key), maskValue(v)]));
}

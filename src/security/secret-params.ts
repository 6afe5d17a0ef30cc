import type { RunContext } from '../engine/run-context';
import { redactText, registerSecret } from '../observability/redact';
import type { TemplateValue } from '../rules/mapping.schema';

/**
 * A run's secret params (rule field `secret_params`): their rendered values are registered with the
 * redactor, which masks them in every log line and HTTP error; the engine passes step errors,
 * results and write-backs through `maskSecrets` before they are stored, audited or sent.
 * Values shorter than 6 characters are not masked (masking "1" everywhere would hide everything).
 */
export function registerSecretParams(context: RunContext): void {
  for (const name of context.secretParams ?? []) for (const value of stringsIn(context.params[name])) registerSecret(value);
}

/** Masks registered secrets inside text or a JSON-like structure. */
export function maskSecrets<T>(value: T): T {
  if (typeof value === 'string') return redactText(value) as T;
  if (value === null || value === undefined || typeof value !== 'object') return value;
  return JSON.parse(redactText(JSON.stringify(value))) as T;
}

function stringsIn(value: TemplateValue | undefined): string[] {
  if (value === undefined || value === null) return [];
  if (typeof value === 'string') return [value];
  if (typeof value !== 'object') return [String(value)];
  return (Array.isArray(value) ? value : Object.values(value)).flatMap(stringsIn);
}


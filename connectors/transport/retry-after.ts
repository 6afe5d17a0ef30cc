/**
 * How long a `Retry-After` header asks to wait, in ms (RFC 9110 §10.2.3): delay-seconds (fractions
 * accepted, rounded up to the ms) or an HTTP-date, measured against `nowMs` and never negative.
 * undefined when the header is missing or says neither.
 */
export function retryAfterMs(value: unknown, nowMs: number): number | undefined {
  if (value === undefined || value === null) return undefined;
  const text = (Array.isArray(value) ? String(value[0]) : String(value)).trim();
  if (/^\d+(\.\d+)?$/.test(text)) return Math.ceil(Number(text) * 1000);
  // Only a real date: Date.parse reads bare numbers such as "1.5" or "-1" as dates too.
  if (!/[a-z]/i.test(text)) return undefined;
  const at = Date.parse(text);
  return Number.isFinite(at) ? Math.max(0, Math.ceil(at - nowMs)) : undefined;
}

/** A response header as text (the first value of a repeated one); undefined when absent. */
export function headerText(headers: Record<string, unknown>, name: string): string | undefined {
  const value = headers[name.toLowerCase()];
  if (value === undefined || value === null) return undefined;
  return Array.isArray(value) ? String(value[0]) : String(value);
}

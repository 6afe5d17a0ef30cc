import { readFileSync } from 'node:fs';
import { join } from 'node:path';

/**
 * The hostile-input corpus (test/fixtures/hostile/): string values, object keys and raw request
 * bodies an attacker controls. Generated entries (huge strings, deep nesting) are built here so the
 * files stay small. `@SENTINEL@` in a string becomes `sentinel`, a path that must never appear.
 */
const DIR = join(__dirname, '../fixtures/hostile');
const read = <T>(file: string) => JSON.parse(readFileSync(join(DIR, file), 'utf8')) as T;

export interface HostileString {
  id: string;
  value: string;
}
export interface HostileBody {
  id: string;
  body: Buffer;
}

export function hostileStrings(sentinel: string): HostileString[] {
  const file = read<{ strings: HostileString[]; generated: { id: string; repeat: string; times: number }[] }>(
    'strings.json',
  );
  return [
    ...file.strings.map((s) => ({ id: s.id, value: s.value.replaceAll('@SENTINEL@', sentinel) })),
    ...file.generated.map((g) => ({ id: g.id, value: g.repeat.repeat(g.times) })),
  ];
}

export function hostileKeys(): string[] {
  return read<{ keys: string[] }>('keys.json').keys;
}

interface GeneratedBody {
  id: string;
  open?: string;
  close?: string;
  depth?: number;
  inner?: string;
  inner_repeat?: string;
  inner_times?: number;
  many_keys?: number;
}

export function hostileBodies(): HostileBody[] {
  const file = read<{ bodies: { id: string; text?: string; base64?: string }[]; generated: GeneratedBody[] }>(
    'bodies.json',
  );
  const generate = (g: GeneratedBody): string => {
    if (g.many_keys) return `{${Array.from({ length: g.many_keys }, (_, i) => `"k${i}":${i}`).join(',')}}`;
    const inner = g.inner ?? (g.inner_repeat ?? '').repeat(g.inner_times ?? 0);
    return `${g.open!.repeat(g.depth!)}${inner}${g.close!.repeat(g.depth!)}`;
  };
  return [
    ...file.bodies.map((b) => ({
      id: b.id,
      body: b.base64 !== undefined ? Buffer.from(b.base64, 'base64') : Buffer.from(b.text!, 'utf8'),
    })),
    ...file.generated.map((g) => ({ id: g.id, body: Buffer.from(generate(g), 'utf8') })),
  ];
}

/** The own properties of Object.prototype, to notice one added. */
function prototypeSnapshot(): string[] {
  return Object.getOwnPropertyNames(Object.prototype).sort();
}

const BASELINE = prototypeSnapshot();

/** Whether anything set a property on Object.prototype that ordinary objects now inherit. */
export function prototypePolluted(): boolean {
  const probe = {} as Record<string, unknown>;
  return (
    ['polluted', 'isAdmin', 'x', 'a'].some((k) => probe[k] !== undefined) ||
    Object.getOwnPropertyNames(Object.prototype).some((k) => !BASELINE.includes(k))
  );
}

/** An error answer as the API gives it: JSON `{ error: { code, message } }`, no stack trace. */
export function isCleanError(status: number, body: unknown, text: string): boolean {
  const error = (body as { error?: { code?: unknown; message?: unknown } } | undefined)?.error;
  return (
    status >= 400 &&
    status < 500 &&
    typeof error?.code === 'string' &&
    typeof error.message === 'string' &&
    !/\bat .+:\d+:\d+\)?/.test(text) &&
    !text.includes('node_modules')
  );
}

import type { z } from 'zod';
import { getPath, type RawConfig } from './layers';

/** `server.port: expected number, got "abc"` — never prints a secret's value. */
export function describeIssue(issue: z.core.$ZodIssue, raw: RawConfig): string {
  const path = issue.path.join('.');
  const got = getPath(raw, path);
  // A Redis URL may carry its password.
  const secret = /password|secret|token/i.test(path) || path === 'redis.url';
  const shown = got === undefined ? 'nothing' : secret ? '(a secret, not shown)' : JSON.stringify(got);
  const expected =
    issue.code === 'invalid_type' ? `expected ${issue.expected}` : issue.message.replace(/^Invalid input: /, '');
  return `${path}: ${expected}, got ${shown}`;
}

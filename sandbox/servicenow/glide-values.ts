import { createHash, randomBytes } from 'node:crypto';

/** docs/servicenow-behaviour.md §1.4: a date-time as the Table API shows it raw: UTC `yyyy-MM-dd HH:mm:ss`, no `T`, no zone. */
export function glideDateTime(date: Date): string {
  return date.toISOString().slice(0, 19).replace('T', ' ');
}

/** A fresh sys_id: 32 lowercase hex characters. */
export function newSysId(): string {
  return randomBytes(16).toString('hex');
}

/** A sys_id derived from a name, so seed data gets the same ids on every start. */
export function seedSysId(key: string): string {
  return createHash('sha256').update(`snowline-sandbox:${key}`).digest('hex').slice(0, 32);
}

export function isSysId(value: string): boolean {
  return /^[0-9a-f]{32}$/.test(value);
}

import { createHmac, timingSafeEqual } from 'node:crypto';
import { appendFileSync, mkdirSync, readFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { z } from 'zod';
import type { Logger } from '../observability/logger';
import type { AuditRepository } from '../store/audit.repository';

/**
 * Checkpoints of the audit journal kept outside the store. The hash chain alone proves that no
 * entry was edited in the middle, but someone with write access to the database can delete the
 * newest entries or recompute the whole chain. An anchor — the journal's identity (its first
 * entry's hash), the newest entry's number and hash, the time — signed with a key that is not in
 * the store, and appended to a file (and the log) that the database's users do not control, turns
 * both into a detectable break: `snowline audit verify` checks the chain against the newest anchor.
 */

export const anchorSchema = z
  .object({
    journal: z.string().regex(/^[0-9a-f]{64}$/),
    seq: z.number().int().positive(),
    head: z.string().regex(/^[0-9a-f]{64}$/),
    at: z.number().int().positive(),
    sig: z.string().regex(/^[0-9a-f]{64}$/),
  })
  .strict();
export type AuditAnchor = z.infer<typeof anchorSchema>;

/** Where anchors go and the key that signs them. */
export interface AnchorSettings {
  file: string;
  key: string;
}

function signature(key: string, a: Omit<AuditAnchor, 'sig'>): string {
  return createHmac('sha256', key).update(`${a.journal}.${a.seq}.${a.head}.${a.at}`).digest('hex');
}

function signedBy(key: string, anchor: AuditAnchor): boolean {
  const expected = Buffer.from(signature(key, anchor), 'hex');
  return timingSafeEqual(expected, Buffer.from(anchor.sig, 'hex'));
}

/** Every well-formed anchor in the file, oldest first; lines that do not parse are skipped. */
export function readAnchors(file: string): AuditAnchor[] {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch {
    return [];
  }
  return text.split('\n').flatMap((line) => {
    try {
      const parsed = anchorSchema.safeParse(JSON.parse(line));
      return parsed.success ? [parsed.data] : [];
    } catch {
      return [];
    }
  });
}

/** Writes an anchor for the journal's current head, unless the newest one already covers it. */
export function createAnchorWriter(audit: AuditRepository, settings: AnchorSettings, logger: Logger) {
  let last: { journal: string; seq: number } | undefined;
  return async function anchor(now = Date.now()): Promise<AuditAnchor | undefined> {
    const head = await audit.head();
    if (!head || (last?.journal === head.journal && last.seq === head.seq)) return undefined;
    const unsigned = { journal: head.journal, seq: head.seq, head: head.hash, at: now };
    const written = { ...unsigned, sig: signature(settings.key, unsigned) };
    mkdirSync(dirname(settings.file), { recursive: true });
    appendFileSync(settings.file, `${JSON.stringify(written)}\n`, { mode: 0o640 });
    // The log is the second copy: shipped off the host, it outlives a rewritten file.
    logger.info('audit journal anchored', { anchor: written, file: settings.file });
    last = { journal: head.journal, seq: head.seq };
    return written;
  };
}

/**
 * Anchors the entry where retention cuts the journal, before the entries up to it are deleted: the
 * checkpoint kept in the store is then only believed when a signed anchor outside it agrees.
 */
export function anchorCut(
  settings: AnchorSettings,
  cut: { journal: string; seq: number; hash: string },
  logger: Logger,
  now = Date.now(),
): AuditAnchor {
  const unsigned = { journal: cut.journal, seq: cut.seq, head: cut.hash, at: now };
  const written = { ...unsigned, sig: signature(settings.key, unsigned) };
  mkdirSync(dirname(settings.file), { recursive: true });
  appendFileSync(settings.file, `${JSON.stringify(written)}\n`, { mode: 0o640 });
  logger.info('audit journal cut anchored', { anchor: written, file: settings.file });
  return written;
}

export type AnchorVerdict = { ok: true; message: string } | { ok: false; message: string };

/**
 * Checks an intact chain (`entries` verified) against the newest valid anchor of its journal.
 * Fails when an anchored entry is gone or differs, when the journal is empty or unanchored while
 * the file holds anchors (another store or schema, or a journal rebuilt from scratch).
 */
export async function checkAgainstAnchors(
  audit: AuditRepository,
  entries: number,
  settings: AnchorSettings,
  now = Date.now(),
): Promise<AnchorVerdict> {
  const anchors = readAnchors(settings.file).filter((a) => signedBy(settings.key, a));
  const head = await audit.head();
  if (!head) {
    return anchors.length > 0
      ? {
          ok: false,
          message: `no audit journal in this store, but ${settings.file} holds anchors of one: wrong store or schema (SNOWLINE_DB, DATABASE_URL, SNOWLINE_DB_SCHEMA), or the journal was emptied`,
        }
      : { ok: true, message: 'audit journal empty and never anchored' };
  }
  const mine = anchors.filter((a) => a.journal === head.journal);
  const cut = await audit.newestCheckpoint();
  if (cut && !mine.some((a) => a.seq === cut.seq && a.head === cut.hash))
    return {
      ok: false,
      message: `the journal was cut at entry ${cut.seq}, but no signed anchor in ${settings.file} records that cut: entries before it were deleted outside retention`,
    };
  const newest = mine.reduce<AuditAnchor | undefined>(
    (n, a) => (!n || a.seq > n.seq || (a.seq === n.seq && a.at > n.at) ? a : n),
    undefined,
  );
  if (!newest) {
    return anchors.length > 0
      ? {
          ok: false,
          message: `no anchor in ${settings.file} belongs to this journal: it was rebuilt from its first entry, or this is another store`,
        }
      : { ok: true, message: `${entries} entries, never anchored (no anchors in ${settings.file})` };
  }
  const age = describeAge(now - newest.at);
  if (newest.seq > head.seq)
    return {
      ok: false,
      message: `entries ${head.seq + 1}–${newest.seq} were deleted: the anchor of ${new Date(newest.at).toISOString()} (${age} ago) covers ${newest.seq} entries, the journal has ${head.seq}`,
    };
  if ((await audit.hashAt(newest.seq)) !== newest.head)
    return {
      ok: false,
      message: `entry ${newest.seq} differs from its anchor of ${new Date(newest.at).toISOString()}: the chain was recomputed`,
    };
  return {
    ok: true,
    message: `anchored at entry ${newest.seq} on ${new Date(newest.at).toISOString()} (${age} ago); ${head.seq - newest.seq} newer entries not yet anchored`,
  };
}

function describeAge(ms: number): string {
  const seconds = Math.max(0, Math.round(ms / 1000));
  if (seconds < 120) return `${seconds} s`;
  if (seconds < 7200) return `${Math.round(seconds / 60)} min`;
  return `${Math.round(seconds / 3600)} h`;
}

import type { TicketEvent } from './event.schema';
import type { Repositories } from '../store';
import { recordKey, type InboxEvent } from '../store/inbox.repository';

/** Watermark holding when Snowline first started on this store (`yyyy-MM-dd HH:mm:ss`, UTC). */
export const WATCHING_SINCE_MARK = 'engine:watching-since';

/**
 * Records created this long before Snowline first started still count as new to it: the poller's
 * first pass looks back as far (src/ingest/poller.ts), and an insert in that span was never seen.
 */
const FIRST_LOOKBACK_MS = 60 * 60 * 1000;

/** What one version of a record is to Snowline: its insert, an update, or an old version arriving late. */
export interface VersionVerdict {
  kind: 'inserted' | 'updated';
  /** Set when a newer version was dispatched already: why this one is not acted on. */
  superseded?: string;
  /** An insert Snowline learns of from an update: the update's own rules fire too. */
  alsoUpdate?: boolean;
}

/**
 * Judges versions from what the store knows, not from how they arrived:
 * - per record, versions are acted on in sys_mod_count order; one that arrives after a newer one
 *   was dispatched is superseded (acting on it would undo what the newer one decided);
 * - the first version Snowline sees of a record is its insert, whether a webhook said "updated"
 *   (the insert's own webhook was lost) or a poll found it already edited — unless the record is
 *   older than Snowline's watch (an old ticket's update must not fire insert rules);
 * - a version that says "inserted" after an older one was seen is an update (a poll's guess).
 */
export function createVersionJudge(repos: Pick<Repositories, 'inbox' | 'watermarks'>) {
  let watchingSince: string | undefined;

  async function createdWhileWatched(record: Record<string, string>): Promise<boolean> {
    watchingSince ??= await repos.watermarks.get(WATCHING_SINCE_MARK);
    const created = record.sys_created_on ?? '';
    if (watchingSince === undefined || created === '') return true;
    const since = new Date(Date.parse(`${watchingSince.replace(' ', 'T')}Z`) - FIRST_LOOKBACK_MS);
    return created >= toGlide(since);
  }

  /**
   * @param newestHandled per record (`recordKey`), the newest version already dispatched, read for
   * the whole batch the event belongs to (inbox.newestHandled).
   */
  return async function judge(
    event: InboxEvent,
    payload: TicketEvent,
    newestHandled: ReadonlyMap<string, number>,
  ): Promise<VersionVerdict> {
    const { table_name: table, sys_id: sysId, mod_count: modCount } = event;
    const newest = newestHandled.get(recordKey(table, sysId));
    const newer = newest !== undefined && newest > modCount ? newest : undefined;
    if (newer !== undefined)
      return {
        kind: payload.event,
        superseded: `version ${modCount} arrived after version ${newer} of ${event.number} had been dispatched; not acted on as if current`,
      };
    const seen = await repos.inbox.olderVersionSeen(table, sysId, modCount);
    if (seen) return { kind: 'updated' };
    if (payload.event === 'inserted') return { kind: 'inserted' };
    if (await createdWhileWatched(payload.record)) return { kind: 'inserted', alsoUpdate: true };
    return { kind: 'updated' };
  };
}

/** Marks when Snowline first watched this store (kept once; later starts leave it). */
export async function markWatchingSince(repos: Pick<Repositories, 'watermarks'>, now: number): Promise<void> {
  await repos.watermarks.setIfAbsent(WATCHING_SINCE_MARK, toGlide(new Date(now)), now);
}

function toGlide(date: Date): string {
  return date.toISOString().slice(0, 19).replace('T', ' ');
}

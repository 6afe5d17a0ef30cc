import type { Logger } from 'winston';
import type { ServiceNowClient } from '../servicenow/client';
import { queryValue } from '../servicenow/schemas';
import { chunk, upsertCis } from './reconcile';
import type { CiItem, OperationCounts, SyncSource } from './schemas';
import { DEFAULT_STALE_VALUES, glideDateTime, markStaleCis } from './stale';

/** What one sync run did: the report logged (and returned for metrics or a work note). */
export interface SyncReport {
  source: string;
  dryRun: boolean;
  /** CIs the source gave. */
  seen: number;
  /** CIs already in the CMDB with the same values: not sent. */
  unchanged: number;
  /** CIs sent to the IRE. */
  sent: number;
  items: OperationCounts;
  relations: OperationCounts;
  /** CIs marked stale (not seen for the configured days); 0 when stale marking is off. */
  stale: number;
  errors: string[];
}

/** Stale marking of one sync: CIs of its discovery source not seen for `afterDays` days. */
export interface StaleSettings {
  afterDays: number;
  /** Classes to look in; default: the classes the source gave in this run. */
  classes?: string[];
  /** Values that mark a CI stale; default install_status = 100 (Absent). */
  values?: Record<string, string>;
}

export interface SyncOptions {
  dataSource: string;
  batchSize: number;
  dryRun: boolean;
  /**
   * A CI seen but unchanged is still sent (to refresh its `last_discovered`) once its stamp is
   * this many hours old, so stale marking knows it is alive; within that time it is not sent.
   */
  refreshAfterHours?: number;
  stale?: StaleSettings;
  now?: () => number;
  logger?: Logger;
  signal?: AbortSignal;
}

type SyncClient = Pick<ServiceNowClient, 'identifyReconcile' | 'query'>;

const same = (row: Record<string, unknown>, item: CiItem) =>
  Object.entries(item.values).every(
    ([field, value]) => String(row[field] ?? '') === (value === null ? '' : String(value)),
  );

/**
 * The CIs of `items` that differ from the CMDB: each is looked up by name in its class (one
 * Table API query per class and batch) and dropped when every value it carries is already there
 * — unless its `last_discovered` is before `refreshBefore` (a glide date-time), when it is kept
 * so the stamp is refreshed. Names that cannot go into an IN list (commas, ^) are kept and left
 * to the IRE.
 */
export async function changedCis(
  client: Pick<ServiceNowClient, 'query'>,
  items: readonly CiItem[],
  batchSize: number,
  signal?: AbortSignal,
  refreshBefore?: string,
): Promise<CiItem[]> {
  const changed: CiItem[] = [];
  const byClass = new Map<string, CiItem[]>();
  for (const item of items) {
    const name = item.values.name;
    if (typeof name !== 'string' || name === '' || /[,^\r\n]/.test(name)) changed.push(item);
    else byClass.set(item.className, [...(byClass.get(item.className) ?? []), item]);
  }
  for (const [className, classItems] of byClass) {
    for (const batch of chunk(classItems, Math.min(batchSize, 100))) {
      const fields = [
        ...new Set(['sys_id', 'name', 'last_discovered', ...batch.flatMap((i) => Object.keys(i.values))]),
      ];
      const page = await client.query(className, {
        query: `nameIN${batch.map((i) => queryValue(String(i.values.name))).join(',')}`,
        fields,
        limit: 1000,
        signal,
      });
      for (const item of batch) {
        const rows = page.rows.filter((r) => r.name === item.values.name);
        const due =
          refreshBefore !== undefined && rows.length === 1 && String(rows[0]!.last_discovered ?? '') < refreshBefore;
        if (rows.length !== 1 || !same(rows[0]!, item) || due) changed.push(item);
      }
    }
  }
  return changed;
}

/**
 * One sync from a source into the CMDB: diff against the CMDB, send only the changed CIs (and
 * the relations, which the IRE leaves alone when they exist) through the IRE in batches, each
 * stamped with `last_discovered`; then, when configured, mark the CIs of this discovery source
 * not seen for N days stale (never deleted); and log a report. Running the same sync twice
 * changes nothing the second time.
 */
export async function syncCis(client: SyncClient, source: SyncSource, options: SyncOptions): Promise<SyncReport> {
  const now = (options.now ?? Date.now)();
  const refreshBefore = glideDateTime(now - (options.refreshAfterHours ?? 24) * 3600 * 1000);
  const stamp = glideDateTime(now);
  const changed = (await changedCis(client, source.items, options.batchSize, options.signal, refreshBefore)).map(
    (item) => ({ ...item, values: { ...item.values, last_discovered: stamp } }),
  );
  const relations = source.relations ?? [];
  // Relations need both ends in their payload; the IRE re-identifies unchanged ends as NO_CHANGE.
  const outcome = await upsertCis(client, changed, relations, options, source.items);
  const stale = options.stale
    ? await markStaleCis(client, {
        classes: options.stale.classes ?? [...new Set(source.items.map((i) => i.className))],
        dataSource: options.dataSource,
        afterDays: options.stale.afterDays,
        seenNames: new Set(source.items.map((i) => String(i.values.name ?? ''))),
        values: options.stale.values ?? DEFAULT_STALE_VALUES,
        batchSize: options.batchSize,
        dryRun: options.dryRun,
        now,
        signal: options.signal,
      })
    : { marked: [], errors: [] };
  const report: SyncReport = {
    source: source.name,
    dryRun: options.dryRun,
    seen: source.items.length,
    unchanged: source.items.length - changed.length,
    sent: changed.length,
    items: outcome.items,
    relations: outcome.relations,
    stale: stale.marked.length,
    errors: [
      ...outcome.results
        .filter((r) => r.errors.length > 0)
        .map((r) => `${r.internal_id ?? r.className}: ${r.errors.join('; ')}`),
      ...stale.errors,
    ],
  };
  options.logger?.info('cmdb: sync finished', { report });
  return report;
}

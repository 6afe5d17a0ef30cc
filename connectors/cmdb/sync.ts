import type { Logger } from 'winston';
import type { ServiceNowClient } from '../servicenow/client';
import { queryValue } from '../servicenow/schemas';
import { chunk, upsertCis } from './reconcile';
import type { CiItem, CiRelation, OperationCounts } from './schemas';

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
  errors: string[];
}

export interface SyncSource {
  name: string;
  items: CiItem[];
  relations?: CiRelation[];
}

type SyncClient = Pick<ServiceNowClient, 'identifyReconcile' | 'query'>;

const same = (row: Record<string, unknown>, item: CiItem) => Object.entries(item.values).every(([field, value]) => String(row[field] ?? '') === (value === null ? '' : String(value)));

/**
 * The CIs of `items` that differ from the CMDB: each is looked up by name in its class (one
 * Table API query per class and batch) and dropped when every value it carries is already there.
 * Names that cannot go into an IN list (commas, ^) are kept and left to the IRE.
 */
export async function changedCis(client: Pick<ServiceNowClient, 'query'>, items: readonly CiItem[], batchSize: number, signal?: AbortSignal): Promise<CiItem[]> {
  const changed: CiItem[] = [];
  const byClass = new Map<string, CiItem[]>();
  for (const item of items) {
    const name = item.values.name;
    if (typeof name !== 'string' || name === '' || /[,^\r\n]/.test(name)) changed.push(item);
    else byClass.set(item.className, [...(byClass.get(item.className) ?? []), item]);
  }
  for (const [className, classItems] of byClass) {
    for (const batch of chunk(classItems, Math.min(batchSize, 100))) {
      const fields = [...new Set(['sys_id', 'name', ...batch.flatMap((i) => Object.keys(i.values))])];
      const page = await client.query(className, { query: `nameIN${batch.map((i) => queryValue(String(i.values.name))).join(',')}`, fields, limit: 1000, signal });
      for (const item of batch) {
        const rows = page.rows.filter((r) => r.name === item.values.name);
        if (rows.length !== 1 || !same(rows[0]!, item)) changed.push(item);
      }
    }
  }
  return changed;
}

/**
 * One sync from a source into the CMDB: diff against the CMDB, send only the changed CIs (and
 * the relations, which the IRE leaves alone when they exist) through the IRE in batches, and log
 * a report. Running the same sync twice changes nothing the second time.
 */
export async function syncCis(client: SyncClient, source: SyncSource, options: { dataSource: string; batchSize: number; dryRun: boolean; logger?: Logger; signal?: AbortSignal }): Promise<SyncReport> {
  const changed = await changedCis(client, source.items, options.batchSize, options.signal);
  const relations = source.relations ?? [];
  // Relations need both ends in their payload; the IRE re-identifies unchanged ends as NO_CHANGE.
  const outcome = await upsertCis(client, changed, relations, options, source.items);
  const report: SyncReport = {
    source: source.name,
    dryRun: options.dryRun,
    seen: source.items.length,
    unchanged: source.items.length - changed.length,
    sent: changed.length,
    items: outcome.items,
    relations: outcome.relations,
    errors: outcome.results.filter((r) => r.errors.length > 0).map((r) => `${r.internal_id ?? r.className}: ${r.errors.join('; ')}`),
  };
  options.logger?.info('cmdb: sync finished', { report });
  return report;
}


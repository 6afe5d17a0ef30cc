import type { ServiceNowClient } from '../servicenow/client';
import { queryValue } from '../servicenow/schemas';
import { upsertCis } from './reconcile';
import type { CiItem } from './schemas';

/** A date-time as the Table API reads and writes it: `YYYY-MM-DD HH:mm:ss`, UTC. */
export function glideDateTime(ms: number): string {
  return new Date(ms).toISOString().slice(0, 19).replace('T', ' ');
}

/** Install status 100 = Absent: what discovery sets on CIs it no longer finds. */
export const DEFAULT_STALE_VALUES: Readonly<Record<string, string>> = { install_status: '100' };

export interface StaleOptions {
  /** CMDB classes to look in (e.g. `cmdb_ci_linux_server`). */
  classes: readonly string[];
  /** Only CIs of this discovery source are this sync's to mark. */
  dataSource: string;
  /** A CI whose `last_discovered` is older than this many days is stale. */
  afterDays: number;
  /** Names the source gave in this run: never stale, whatever their stamp says. */
  seenNames: ReadonlySet<string>;
  /** Field values that mark a CI stale (default: install_status Absent). */
  values: Readonly<Record<string, string>>;
  batchSize: number;
  dryRun: boolean;
  now: number;
  signal?: AbortSignal;
}

/**
 * Marks the CIs of this sync's discovery source not seen for `afterDays` days as stale — through
 * the IRE, with the stale values (install_status Absent by default), never by deleting them.
 * CIs already carrying the stale values are left alone, so marking twice changes nothing.
 * Returns the names marked (or that would be, in a dry run).
 */
export async function markStaleCis(
  client: Pick<ServiceNowClient, 'query' | 'identifyReconcile'>,
  options: StaleOptions,
): Promise<{ marked: string[]; errors: string[] }> {
  const before = glideDateTime(options.now - options.afterDays * 24 * 3600 * 1000);
  const staleFields = Object.keys(options.values);
  const stale: CiItem[] = [];
  for (const className of options.classes) {
    // An empty last_discovered is "never stamped by a sync": not this sync's to judge.
    const query = `discovery_source=${queryValue(options.dataSource)}^last_discoveredISNOTEMPTY^last_discovered<${before}`;
    const page = await client.query(className, {
      query,
      fields: ['sys_id', 'name', 'sys_class_name', ...staleFields],
      limit: 1000,
      signal: options.signal,
    });
    for (const row of page.rows) {
      const name = typeof row.name === 'string' ? row.name : '';
      if (name === '' || options.seenNames.has(name)) continue;
      if (staleFields.every((f) => String(row[f] ?? '') === options.values[f])) continue;
      const rowClass = typeof row.sys_class_name === 'string' && row.sys_class_name ? row.sys_class_name : className;
      stale.push({ className: rowClass, values: { name, ...options.values } });
    }
  }
  if (stale.length === 0) return { marked: [], errors: [] };
  const outcome = await upsertCis(client, stale, [], {
    dataSource: options.dataSource,
    batchSize: options.batchSize,
    dryRun: options.dryRun,
    signal: options.signal,
  });
  const errors = outcome.results
    .filter((r) => r.errors.length > 0)
    .map((r) => `stale ${r.className}: ${r.errors.join('; ')}`);
  return { marked: stale.map((i) => String(i.values.name)), errors };
}

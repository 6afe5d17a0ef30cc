import { z } from 'zod';
import { ConnectorError } from '../../src/errors';
import { jobArtifacts, type ControllerClient } from '../ansible/client';
import type { EndpointClient } from '../http/client';
import { readResponsePath } from '../http/response-path';
import { ciFromAnsibleFacts } from './ansible-facts';
import { CONNECTOR } from './errors';
import type { CiItem } from './schemas';
import type { SyncSource } from './sync';

const ciClassName = z.string().regex(/^cmdb_ci(_[a-z0-9_]+)?$/, 'must be a CMDB class (cmdb_ci…)');

/**
 * Ansible facts from controller job artifacts: the successful jobs of `job_template` that ended
 * in the last `lookbackHours` hours, each with `set_stats: {data: {<artifactKey>: {<host>: facts}}}`.
 * The newest facts of a host win.
 */
export const ansibleFactsSourceSchema = z
  .object({
    type: z.literal('ansible_facts'),
    job_template: z.string().min(1).describe('job template whose jobs gather the facts'),
    organization: z.string().min(1).optional(),
    artifactKey: z
      .string()
      .regex(/^[A-Za-z_][A-Za-z0-9_]*$/)
      .default('host_facts')
      .describe('set_stats key holding {host: facts}'),
    lookbackHours: z
      .number()
      .positive()
      .max(24 * 30)
      .default(24)
      .describe('jobs finished in this many hours are read'),
    className: ciClassName.default('cmdb_ci_linux_server'),
  })
  .strict();

/**
 * A cloud or REST inventory through one of the http connector's endpoints: `GET path`, the list at
 * `itemsPath`, and each CI field read from an item by a response path (`fields.name` is required).
 */
export const httpInventorySourceSchema = z
  .object({
    type: z.literal('http'),
    endpoint: z.string().min(1).describe('an endpoint name under connectors.http.endpoints'),
    path: z.string().startsWith('/'),
    query: z.record(z.string(), z.union([z.string(), z.number(), z.boolean()])).optional(),
    itemsPath: z.string().min(1).describe('response path of the list, e.g. value or Reservations[0].Instances'),
    className: ciClassName,
    fields: z
      .record(z.string().regex(/^[a-z][a-z0-9_]{0,79}$/, 'must be a field name'), z.string().min(1))
      .refine((f) => 'name' in f, 'must map the CI field "name"')
      .describe('CI field → response path within one item'),
  })
  .strict();

export const syncSourceSchema = z.discriminatedUnion('type', [ansibleFactsSourceSchema, httpInventorySourceSchema]);
export type SyncSourceConfig = z.infer<typeof syncSourceSchema>;

/** What sources read from: the controller client and the http connector's endpoints, when configured. */
export interface SourceDeps {
  controller?: Pick<ControllerClient, 'findJobTemplate' | 'findJobsByTemplateSince'>;
  endpoints?: ReadonlyMap<string, Pick<EndpointClient, 'send'>>;
  now?: () => number;
}

const missing = (what: string) => new ConnectorError(CONNECTOR, 'permanent', 'source_unavailable', what);

async function ansibleFactsItems(
  source: z.infer<typeof ansibleFactsSourceSchema>,
  deps: SourceDeps,
  signal?: AbortSignal,
): Promise<CiItem[]> {
  if (!deps.controller) throw missing('an ansible_facts sync needs the ansible controller connector');
  const template = await deps.controller.findJobTemplate(source.job_template, source.organization, { signal });
  const since = new Date((deps.now ?? Date.now)() - source.lookbackHours * 3600 * 1000).toISOString();
  const jobs = (await deps.controller.findJobsByTemplateSince(template.id, since, { signal })).filter(
    (j) => j.status === 'successful',
  );
  const byHost = new Map<string, CiItem>();
  // Newest first from the controller: the first facts of a host are its latest.
  for (const job of jobs) {
    const hosts = jobArtifacts(job)[source.artifactKey];
    if (!hosts || typeof hosts !== 'object' || Array.isArray(hosts)) continue;
    for (const [host, facts] of Object.entries(hosts as Record<string, unknown>)) {
      if (byHost.has(host) || !facts || typeof facts !== 'object') continue;
      const item = ciFromAnsibleFacts(facts as Record<string, unknown>, source.className);
      if (item.values.name) byHost.set(host, item);
    }
  }
  return [...byHost.values()];
}

async function httpInventoryItems(
  source: z.infer<typeof httpInventorySourceSchema>,
  deps: SourceDeps,
  signal?: AbortSignal,
): Promise<CiItem[]> {
  const endpoint = deps.endpoints?.get(source.endpoint);
  if (!endpoint)
    throw missing(
      `an http sync names endpoint ${JSON.stringify(source.endpoint)}, which connectors.http does not define`,
    );
  const res = await endpoint.send({ method: 'GET', path: source.path, query: source.query, signal });
  if (res.status < 200 || res.status >= 300) {
    throw new ConnectorError(
      CONNECTOR,
      res.status >= 500 || res.status === 429 ? 'transient' : 'permanent',
      'source_unavailable',
      `inventory ${source.endpoint} ${source.path} answered HTTP ${res.status}`,
    );
  }
  const list = readResponsePath(res.body, source.itemsPath);
  if (!Array.isArray(list))
    throw new ConnectorError(
      CONNECTOR,
      'permanent',
      'source_unavailable',
      `inventory ${source.endpoint} ${source.path}: ${source.itemsPath} is not a list`,
    );
  return list.flatMap((entry): CiItem[] => {
    const values: Record<string, string> = {};
    for (const [field, path] of Object.entries(source.fields)) {
      const value = readResponsePath(entry, path);
      if (typeof value === 'string' || typeof value === 'number' || typeof value === 'boolean')
        values[field] = String(value).slice(0, 4000);
    }
    return values.name ? [{ className: source.className, values, internal_id: values.name }] : [];
  });
}

/** Reads a source's CIs now. */
export async function readSyncSource(
  name: string,
  source: SyncSourceConfig,
  deps: SourceDeps,
  signal?: AbortSignal,
): Promise<SyncSource> {
  const items =
    source.type === 'ansible_facts'
      ? await ansibleFactsItems(source, deps, signal)
      : await httpInventoryItems(source, deps, signal);
  return { name, items };
}

import { ConnectorError } from '../../src/errors';
import { jobArtifacts, type ControllerClient } from '../ansible/client';
import type { EndpointClient } from '../http/client';
import { readResponsePath } from '../http/response-path';
import { ciFromAnsibleFacts } from './ansible-facts';
import { CONNECTOR } from './errors';
import type { AnsibleFactsSource, CiItem, HttpInventorySource, SyncSource, SyncSourceConfig } from './schemas';

/** What sources read from: the controller client and the http connector's endpoints, when configured. */
export interface SourceDeps {
  controller?: Pick<ControllerClient, 'findJobTemplate' | 'findJobsByTemplateSince'>;
  endpoints?: ReadonlyMap<string, Pick<EndpointClient, 'send'>>;
  now?: () => number;
}

const missing = (what: string) => new ConnectorError(CONNECTOR, 'permanent', 'source_unavailable', what);

async function ansibleFactsItems(
  source: AnsibleFactsSource,
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
  source: HttpInventorySource,
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

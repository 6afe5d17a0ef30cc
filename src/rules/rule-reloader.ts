import { watch, type FSWatcher } from 'node:fs';
import type { Logger } from '../observability/logger';
import type { Metrics } from '../observability/metrics';
import type { RuleVersionRepository } from '../store/rule-version.repository';
import { loadRuleSet } from './load-rule-set';
import type { MappingCatalog } from './mapping-catalog';
import type { RuleSet } from './rule-set';
import { formatProblem, type MappingProblem } from './validation-problem';

export interface RuleReloaderDeps {
  dir: string;
  catalog: MappingCatalog;
  versions: RuleVersionRepository;
  logger: Logger;
  metrics: Metrics;
  /** Who loads versions from disk, for the version history (the instance, e.g. `serve@host`). */
  loadedBy: string;
  /** Quiet time after the last file change before reloading, so an editor's save is one reload. */
  debounceMs?: number;
  now?: () => number;
}

export interface ReloadResult {
  applied: boolean;
  version: string;
  problems: MappingProblem[];
}

/** The state of the mapping tables for /readyz: the running version, and the last refused change. */
export interface RuleStatus {
  version: string;
  rejected?: { at: number; problems: string[] };
}

/**
 * Holds the running rule set and replaces it when the files change. A set that fails validation
 * never replaces the running one: it is logged, shown on /readyz and counted, and the previous
 * version keeps running. Each version loaded is stored (rule_versions) before it is used, so every
 * run's `rule_version` can be looked up.
 */
export async function createRuleReloader(deps: RuleReloaderDeps) {
  const now = deps.now ?? Date.now;
  const { logger, metrics } = deps;
  const first = loadRuleSet(deps.dir, deps.catalog);
  if (!first.ruleSet) return { problems: first.problems };
  let current: RuleSet = first.ruleSet;
  let rejected: RuleStatus['rejected'];
  await deps.versions.record(current.version, current.sources, deps.loadedBy, now());
  let watcher: FSWatcher | undefined;
  let timer: NodeJS.Timeout | undefined;
  let reloading = Promise.resolve();

  /**
   * Loads the files again, after any reload already under way (the watcher's and the API's never
   * interleave); applies them when valid and different. `loadedBy` names who changed the files
   * when known (the author of an API change), else this instance.
   */
  function reload(loadedBy = deps.loadedBy): Promise<ReloadResult> {
    const result = reloading.then(() => loadAndApply(loadedBy));
    reloading = result.then(
      () => undefined,
      () => undefined,
    );
    return result;
  }

  async function loadAndApply(loadedBy: string): Promise<ReloadResult> {
    const { ruleSet, problems } = loadRuleSet(deps.dir, deps.catalog);
    if (!ruleSet) {
      rejected = { at: now(), problems: problems.map(formatProblem) };
      metrics.ruleReloads.inc({ result: 'invalid' });
      metrics.ruleSetInvalid.set(1);
      logger.error('mapping tables changed but are invalid; the running version stays', {
        version: current.version,
        problems: rejected.problems.slice(0, 20),
      });
      return { applied: false, version: current.version, problems };
    }
    rejected = undefined;
    metrics.ruleSetInvalid.set(0);
    if (ruleSet.version === current.version) {
      metrics.ruleReloads.inc({ result: 'unchanged' });
      return { applied: false, version: current.version, problems: [] };
    }
    await deps.versions.record(ruleSet.version, ruleSet.sources, loadedBy, now());
    const previous = current.version;
    current = ruleSet;
    metrics.ruleReloads.inc({ result: 'applied' });
    logger.info('mapping tables reloaded', { version: ruleSet.version, previous, loadedBy });
    return { applied: true, version: ruleSet.version, problems: [] };
  }

  function scheduleReload() {
    clearTimeout(timer);
    timer = setTimeout(() => {
      reload().catch((err: Error) => logger.error('mapping reload failed', { error: err.message }));
    }, deps.debounceMs ?? 250);
  }

  return {
    problems: [] as MappingProblem[],
    reloader: {
      current: (): RuleSet => current,
      status: (): RuleStatus => ({ version: current.version, ...(rejected ? { rejected } : {}) }),
      reload,
      /** Watches the directory (templates/ included) and reloads after changes. */
      watch() {
        watcher = watch(deps.dir, { recursive: true }, scheduleReload);
        watcher.on('error', (err) =>
          logger.warn('watching mapping tables failed; reload on restart only', { error: err.message }),
        );
      },
      async stop() {
        clearTimeout(timer);
        watcher?.close();
        await reloading;
      },
    },
  };
}
export type RuleReloader = NonNullable<Awaited<ReturnType<typeof createRuleReloader>>['reloader']>;

import { watch, type FSWatcher } from 'chokidar';
import type { Logger } from '../observability/logger';
import type { Metrics } from '../observability/metrics';
import type { RuleVersionRepository } from '../store/rule-version.repository';
import { loadRuleSet } from './mapping-files';
import type { MappingCatalog } from '../rules/mapping-catalog';
import type { RuleSet } from '../rules/rule-set';
import { withoutUnavailableRules, type RefusedRule } from '../rules/unavailable-connectors';
import { formatProblem, type MappingProblem } from '../rules/validation-problem';

export interface RuleReloaderDeps {
  dir: string;
  catalog: MappingCatalog;
  versions: RuleVersionRepository;
  logger: Logger;
  metrics: Metrics;
  /** Who loads versions from disk, for the version history (the instance, e.g. `serve@host`). */
  loadedBy: string;
  /**
   * Connectors this instance lacks, each with the setting that would provide it: rules using them
   * are refused by name (logged, on /readyz) and the others run.
   */
  missingConnectors?: ReadonlyMap<string, string>;
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
  /** Rules left out because a connector they use is not configured. */
  refused?: RefusedRule[];
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
  let rejected: RuleStatus['rejected'];
  let refused: RefusedRule[] = [];
  /** The loaded set less the rules this instance cannot run, each refused rule logged by name. */
  const runnable = (loaded: RuleSet): RuleSet => {
    const usable = withoutUnavailableRules(loaded, deps.missingConnectors ?? new Map());
    refused = usable.refused;
    for (const { rule, file, needs } of refused)
      logger.error(`rule ${rule} is refused: it needs ${needs.map((n) => `${n.connector} (${n.fix})`).join(', ')}`, {
        rule,
        file,
        version: loaded.version,
      });
    return usable.ruleSet;
  };
  let current: RuleSet = runnable(first.ruleSet);
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
    current = runnable(ruleSet);
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
      status: (): RuleStatus => ({
        version: current.version,
        ...(rejected ? { rejected } : {}),
        ...(refused.length > 0 ? { refused } : {}),
      }),
      reload,
      /**
       * Watches the directory itself (templates/ included), not each file: an editor that saves by
       * writing a new file and renaming it over the old one replaces the inode a per-file watch
       * holds (Node 20's recursive fs.watch on Linux loses the file after the first such save).
       * Events are debounced into one reload; `snowline rules reload` and SIGHUP reload at once.
       */
      watch() {
        watcher = watch(deps.dir, { ignoreInitial: true, depth: 1 });
        watcher.on('all', scheduleReload);
        // The first scan is asynchronous: a change made before it finished is caught by one reload then.
        watcher.once('ready', scheduleReload);
        watcher.on('error', (err) =>
          logger.warn('watching mapping tables failed; reload with SIGHUP or `snowline rules reload`', {
            error: (err as Error).message,
          }),
        );
      },
      async stop() {
        clearTimeout(timer);
        await watcher?.close();
        await reloading;
      },
    },
  };
}
export type RuleReloader = NonNullable<Awaited<ReturnType<typeof createRuleReloader>>['reloader']>;

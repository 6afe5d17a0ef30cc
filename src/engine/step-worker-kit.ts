import type { ActionContext } from '../../connectors/connector';
import { groupCommit } from '../store/group-commit';
import type { Run, Step, StepSave } from '../store/run.repository';
import type { SecretBox } from '../security/secret-box';
import { createRunEventEmitter, type RunEventEmitter } from './run-event-emitter';
import { processSecretBox } from './run-secrets';
import type { StepWorkerDeps } from './step-worker-deps';

/** A claimed step's run, read with the steps of its claimed batch. */
export type RunWithSteps = Run & { steps: Step[] };

/**
 * What every phase of the step worker shares: its dependencies with their defaults filled in, and
 * the small acts they all perform (saving a step, calling a backend, releasing a credential).
 * Built once per worker: the step saves of one worker share their group commit.
 */
export interface StepWorkerKit {
  deps: StepWorkerDeps;
  now: () => number;
  random: () => number;
  secretBox: SecretBox;
  retryDeadlineMs: number;
  /** Where every phase reports what happened to a run or step (journal, metrics, log). */
  events: RunEventEmitter;
  /** Saves a patch of a step held under this worker's lease; false = the lease is no longer held. */
  save(step: Step, patch: Partial<Step>): Promise<boolean>;
  /** A call to the backend, through the connector's circuit breaker when there is one. */
  guarded<T>(connector: string, call: () => Promise<T>): Promise<T>;
  actionContext(run: Run, step: Step, signal: AbortSignal): ActionContext;
  /** Releases the privileged credentials a step holds, best effort (a sweep retries). */
  releaseGrants(step: Step, reason: string): Promise<void>;
}

const DEFAULT_RETRY_DEADLINE_MS = 15 * 60_000;

export function createStepWorkerKit(deps: StepWorkerDeps): StepWorkerKit {
  const { repos, logger } = deps;

  // Saves of steps worked on side by side share a commit.
  const saveStep = groupCommit((saves: StepSave[]) => repos.runs.saveSteps(deps.owner, saves));

  return {
    deps,
    now: deps.now ?? Date.now,
    random: deps.random ?? Math.random,
    secretBox: deps.secretBox ?? processSecretBox(),
    retryDeadlineMs: deps.retryDeadlineMs ?? DEFAULT_RETRY_DEADLINE_MS,
    events: createRunEventEmitter(deps),
    async save(step, patch) {
      const saved = await saveStep({ id: step.id, patch });
      if (saved && patch.next_at !== undefined) deps.onDue?.(patch.next_at);
      return saved;
    },
    guarded: (connector, call) => (deps.breakers ? deps.breakers.call(connector, call) : call()),
    actionContext: (run, step, signal) => ({
      idempotencyKey: step.idempotency_key,
      runId: run.id,
      stepName: step.name,
      ticket: { table: run.table_name, sysId: run.sys_id, number: run.ticket_number },
      logger: logger.child({ runId: run.id, step: step.name }),
      signal,
    }),
    releaseGrants: async (step, reason) => {
      await deps.privilege?.releaseStep(step.id, reason).catch((err: Error) =>
        logger.warn('privileged credential release failed; the sweep retries', {
          step: step.name,
          error: err.message,
        }),
      );
    },
  };
}

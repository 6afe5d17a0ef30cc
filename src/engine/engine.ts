import type { Logger } from '../observability/logger';
import type { Metrics } from '../observability/metrics';
import type { Repositories } from '../store';
import type { Dispatcher } from './dispatcher';
import type { OutboxSender } from './outbox-sender';
import type { RunAdmission } from './run-admission';
import type { StepWorker } from './step-worker';
import { workLoop } from './work-loop';
import type { WritebackCompletion } from './writeback-completion';

export interface EngineDeps {
  repos: Repositories;
  dispatcher: Dispatcher;
  stepWorker: StepWorker;
  outboxSender: OutboxSender;
  /** Ends runs writing back once their write-backs settled. */
  writebacks: WritebackCompletion;
  /** Starts queued runs (concurrency keys and limits) when their turn comes. */
  admission: RunAdmission;
  logger: Logger;
  metrics: Metrics;
  owner: string;
  leaseMs: number;
  tickMs: number;
  concurrency: number;
  now?: () => number;
}

/**
 * Inbox events recorded per transaction: enough to share the commit under load, few enough that
 * the first event's step is not held back long behind the batch (a round trip per statement on PostgreSQL).
 */
const DISPATCH_BATCH = 25;

/**
 * The loops of one instance: inbox → runs (dispatcher), queued runs → running (admission), due
 * steps → connectors (workers), outbox → ServiceNow (sender). Each claims durable work, so stopping
 * or crashing anywhere loses nothing: what was not finished is claimed again.
 */
export function createEngine(deps: EngineDeps) {
  const now = deps.now ?? Date.now;
  const { repos, logger } = deps;
  const inFlight = new Set<Promise<void>>();

  const track = (work: Promise<void>) => {
    inFlight.add(work);
    void work.finally(() => inFlight.delete(work));
  };

  const dispatchLoop = workLoop(
    'dispatcher',
    async () => {
      const events = await repos.inbox.claimPending(deps.owner, now(), deps.leaseMs, DISPATCH_BATCH);
      // dispatchAll falls back per event, so one bad event does not hold up the others; its claim runs out and it is tried again.
      await deps.dispatcher
        .dispatchAll(events)
        .catch((err: Error) =>
          logger.error('event dispatch failed; it is tried again when its claim expires', { error: err.message }),
        );
      if (events.length > 0) {
        admissionLoop.wake();
        stepLoop.wake();
      }
      return events.length > 0;
    },
    deps.tickMs,
    logger,
  );

  const admissionLoop = workLoop(
    'admission',
    async () => {
      const started = await deps.admission.admit();
      if (started > 0) stepLoop.wake();
      return started > 0;
    },
    deps.tickMs,
    logger,
  );

  const stepLoop = workLoop(
    'steps',
    async () => {
      const free = deps.concurrency - inFlight.size;
      if (free <= 0) return false;
      const steps = await repos.runs.claimDueSteps(deps.owner, now(), deps.leaseMs, free);
      const runs = await repos.runs.getMany([...new Set(steps.map((s) => s.run_id))]);
      for (const step of steps) {
        const work = deps.stepWorker
          .process(step, runs.get(step.run_id))
          .catch((err: Error) => logger.error('step processing failed', { stepId: step.id, error: err.message }));
        // A finished run may free a concurrency slot for a queued one.
        track(work.then(() => (outboxLoop.wake(), admissionLoop.wake())));
      }
      return steps.length > 0;
    },
    deps.tickMs,
    logger,
  );

  const outboxLoop = workLoop(
    'outbox',
    async () => {
      const entries = await repos.outbox.claimDue(deps.owner, now(), deps.leaseMs, 20);
      await Promise.all(entries.map((e) => deps.outboxSender.send(e)));
      // After the deliveries are committed: a run whose last write-back this was ends now.
      for (const runId of new Set(entries.map((e) => e.run_id))) await deps.writebacks.complete(runId);
      await deps.writebacks.sweep();
      deps.metrics.outboxDepth.set(await repos.outbox.depth());
      return entries.length > 0;
    },
    deps.tickMs,
    logger,
  );

  // Chains the audit entries the other loops decided (see audit.repository): one lock per batch, on
  // whichever instance gets there first.
  const auditLoop = workLoop('audit', async () => (await repos.audit.seal(false)) > 0, deps.tickMs, logger);

  const loops = [dispatchLoop, admissionLoop, stepLoop, outboxLoop, auditLoop];
  return {
    start() {
      for (const loop of loops) loop.start();
    },
    /** A new event is in the inbox: dispatch it now rather than at the next tick. */
    wake() {
      dispatchLoop.wake();
    },
    /** Stops taking work, lets in-flight steps finish, and hands back every lease still held. */
    async stop(graceMs: number) {
      await Promise.all(loops.map((l) => l.stop()));
      await Promise.race([Promise.all(inFlight), new Promise((r) => setTimeout(r, graceMs).unref())]);
      await repos.audit.seal();
      await repos.inbox.releaseLeases(deps.owner);
      await repos.runs.releaseLeases(deps.owner);
      await repos.outbox.releaseLeases(deps.owner);
    },
  };
}
export type Engine = ReturnType<typeof createEngine>;

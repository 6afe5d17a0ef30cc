import type { Logger } from '../observability/logger';
import type { Metrics } from '../observability/metrics';
import type { Repositories } from '../store';
import type { OutboxEntry } from '../store/outbox.repository';
import type { WorkSignals } from '../store/work-signals';
import type { ConnectorSlots } from './connector-slots';
import type { Dispatcher } from './dispatcher';
import type { OutboxSender } from './outbox-sender';
import type { RunAdmission } from './run-admission';
import type { StepWorker } from './step-worker';
import { intakeFirst } from './intake-first';
import { workLoop } from './work-loop';
import { deliveriesOf, ticketKey } from './writeback-groups';
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
  /** Write-back deliveries under way at once, and the entries one takes (several tickets' calls may share a batch). */
  outbox?: {
    inFlight: number;
    entriesPerDelivery: number;
    /** While deliveries are under way, how long an entry may wait for others to share its batch. */
    lingerMs?: number;
  };
  /** Wakes the other instances when there is new work, and this one when they have some. */
  signals: WorkSignals;
  /** Free slots per connector: steps of a connector at its limit stay unclaimed. None = no per-connector limit. */
  connectorSlots?: ConnectorSlots;
  now?: () => number;
}

const DEFAULT_OUTBOX: NonNullable<EngineDeps['outbox']> = { inFlight: 4, entriesPerDelivery: 20 };

/** How often the outbox depth gauge is refreshed (a count over the pending entries). */
const DEPTH_EVERY_MS = 1000;

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
  const intake = intakeFirst({ now });

  const track = (work: Promise<void>) => {
    inFlight.add(work);
    void work.finally(() => inFlight.delete(work));
  };

  const dispatchLoop = workLoop(
    'dispatcher',
    async () => {
      const events = await repos.inbox.claimPending(deps.owner, now(), deps.leaseMs, DISPATCH_BATCH);
      const enqueuedBefore = repos.outbox.enqueuedSoFar();
      // dispatchAll falls back per event, so one bad event does not hold up the others; its claim runs out and it is tried again.
      await deps.dispatcher
        .dispatchAll(events)
        .catch((err: Error) =>
          logger.error('event dispatch failed; it is tried again when its claim expires', { error: err.message }),
        );
      if (events.length > 0) {
        admissionLoop.wake();
        stepLoop.wake();
        deps.signals.notify('steps');
      }
      // Notes the events queued (a suggestion, a rejection) go out now rather than at the next tick.
      if (repos.outbox.enqueuedSoFar() !== enqueuedBefore) wakeOutbox();
      return events.length > 0;
    },
    deps.tickMs,
    logger,
    intake.restAfter,
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

  /** Whether a connector has no slot free: its due steps were passed over in the last claim. */
  const connectorFilled = (slots: ConnectorSlots | undefined) =>
    slots !== undefined && Object.values(slots.free()).some((free) => free === 0);

  const stepLoop = workLoop(
    'steps',
    async () => {
      const free = deps.concurrency - inFlight.size;
      if (free <= 0) return false;
      const slots = deps.connectorSlots;
      const steps = await repos.runs.claimDueSteps(deps.owner, now(), deps.leaseMs, free, slots?.free());
      const runs = await repos.runs.getMany([...new Set(steps.map((s) => s.run_id))]);
      for (const step of steps) {
        const release = slots?.take(step.connector);
        const enqueuedBefore = repos.outbox.enqueuedSoFar();
        const work = deps.stepWorker
          .process(step, runs.get(step.run_id))
          .catch((err: Error) => logger.error('step processing failed', { stepId: step.id, error: err.message }))
          .finally(release);
        // A finished run may free a concurrency slot for a queued one; a freed connector slot, a step.
        // The outbox is woken (here and on the other instances) only when write-backs were queued meanwhile.
        const afterStep = () => {
          if (repos.outbox.enqueuedSoFar() !== enqueuedBefore) wakeOutbox();
          admissionLoop.wake();
          if (slots) stepLoop.wake();
        };
        track(work.then(afterStep));
      }
      // Another round at once only when this one may have left due steps behind: it claimed all it
      // asked for, or a connector's slots filled up (its steps were passed over for others that may
      // lie beyond the read). Otherwise every due step was read, and new ones wake the loop (a new
      // run, a step saved to fall due, another instance's signal): an empty claim after every round
      // was half of all step claims under a burst, a transaction of its own each.
      return steps.length > 0 && (steps.length === free || connectorFilled(slots));
    },
    deps.tickMs,
    logger,
  );

  /** Write-backs were queued: the outbox loop here, and on the other instances, goes now. */
  const wakeOutbox = () => {
    outboxLoop.wake();
    deps.signals.notify('outbox');
  };

  const outbox = deps.outbox ?? DEFAULT_OUTBOX;
  const deliveries = new Set<Promise<void>>();
  /** The last delivery of each ticket under way: the next one to the same ticket waits for it, so PATCHes keep their order. */
  const ticketTails = new Map<string, Promise<void>>();
  let depthAt = 0;

  function startDelivery(entries: OutboxEntry[]): void {
    const tickets = [...new Set(entries.map(ticketKey))];
    const earlier = tickets.flatMap((t) => ticketTails.get(t) ?? []);
    const work: Promise<void> = Promise.all(earlier)
      .then(() => deps.outboxSender.deliver(entries))
      // After the deliveries are committed: a run whose last write-back this was ends now.
      .then(async () => {
        for (const runId of new Set(entries.map((e) => e.run_id))) await deps.writebacks.complete(runId);
      })
      .catch((err: Error) => {
        logger.error('write-back delivery failed; its entries are tried again when their claim expires', {
          error: err.message,
        });
      })
      .finally(() => {
        deliveries.delete(work);
        for (const t of tickets) if (ticketTails.get(t) === work) ticketTails.delete(t);
        outboxLoop.wake();
      });
    deliveries.add(work);
    for (const t of tickets) ticketTails.set(t, work);
  }

  // Deliveries run side by side, up to `inFlight`: a slow PATCH holds its own delivery, not the loop.
  const outboxLoop = workLoop(
    'outbox',
    async () => {
      const free = outbox.inFlight - deliveries.size;
      if (free <= 0) return false;
      const at = now();
      const limit = free * outbox.entriesPerDelivery;
      // As Nagle's algorithm does: with nothing under way an entry goes at once; while deliveries
      // are under way, due entries wait up to the linger to share a request (they are woken when one ends).
      const linger = deliveries.size > 0 ? (outbox.lingerMs ?? 0) : 0;
      const entries = await repos.outbox.claimDue(deps.owner, at, deps.leaseMs, limit, at - linger);
      for (const part of deliveriesOf(entries, outbox.entriesPerDelivery)) startDelivery(part);
      await deps.writebacks.sweep();
      if (now() - depthAt >= DEPTH_EVERY_MS) {
        depthAt = now();
        deps.metrics.outboxDepth.set(await repos.outbox.depth());
      }
      return entries.length > 0;
    },
    deps.tickMs,
    logger,
  );

  // Chains the audit entries the other loops decided (see audit.repository): one lock per batch, on
  // whichever instance gets there first.
  const auditLoop = workLoop('audit', async () => (await repos.audit.seal(false)) > 0, deps.tickMs, logger);

  const loops = [dispatchLoop, admissionLoop, stepLoop, outboxLoop, auditLoop];
  const loopFor = { inbox: dispatchLoop, steps: stepLoop, outbox: outboxLoop };
  deps.signals.onSignal((kind) => loopFor[kind].wake());
  return {
    start() {
      for (const loop of loops) loop.start();
    },
    /**
     * Steps (or write-backs) this instance saved fall due again at `at` (a job to check on, a
     * retry): the loop runs then rather than at its next idle tick.
     */
    dueAt(kind: 'steps' | 'outbox', at: number) {
      loopFor[kind].wakeIn(at - now());
    },
    /** A new event is in the inbox: dispatch it now rather than at the next tick, here or on an idle instance. */
    wake() {
      intake.arrived();
      dispatchLoop.wake();
      deps.signals.notify('inbox');
    },
    /** Stops taking work, lets in-flight steps finish, and hands back every lease still held. */
    async stop(graceMs: number) {
      await Promise.all(loops.map((l) => l.stop()));
      await Promise.race([
        Promise.all([...inFlight, ...deliveries]),
        new Promise((r) => setTimeout(r, graceMs).unref()),
      ]);
      await repos.audit.seal();
      await repos.inbox.releaseLeases(deps.owner);
      await repos.runs.releaseLeases(deps.owner);
      await repos.outbox.releaseLeases(deps.owner);
    },
  };
}
export type Engine = ReturnType<typeof createEngine>;

import type { Logger } from '../observability/logger';
import type { Metrics } from '../observability/metrics';
import { observeFirstStep, observeRunEnd, recordRunSpan } from '../observability/sli';
import type { AuditEntry } from '../store/audit.repository';
import type { RunEnd, RunEvent, RunEventOf, RunEventType, RunRef, StepOutcome } from './run-events';

/** One function per event type: adding a type to the union without saying what it becomes does not compile. */
type Projection<R, Rest extends unknown[] = []> = { [T in RunEventType]: (event: RunEventOf<T>, ...rest: Rest) => R };

function project<R, Rest extends unknown[]>(projection: Projection<R, Rest>, event: RunEvent, ...rest: Rest): R {
  return (projection[event.type] as (event: RunEvent, ...rest: Rest) => R)(event, ...rest);
}

// ── the audit journal ───────────────────────────────────────────────────────────────────────────

const byEngine = (run: RunRef, kind: string, detail: Record<string, unknown>): AuditEntry => ({
  kind,
  actor: 'snowline',
  subject: run.ticket,
  detail,
});

const byOperator = (e: { run: RunRef; actor: string }, kind: string, detail: Record<string, unknown>): AuditEntry => ({
  kind,
  actor: e.actor,
  subject: e.run.ticket,
  detail: { runId: e.run.id, ...detail },
});

const runEnded = (e: RunEventOf<`run.${RunEnd | 'writing_back'}`>) =>
  byEngine(e.run, e.type, {
    runId: e.run.id,
    rule: e.run.rule,
    ruleVersion: e.run.ruleVersion,
    ...('error' in e && e.error ? { error: e.error } : {}),
  });

const stepSettled = (e: RunEventOf<`step.${StepOutcome}`>) =>
  byEngine(e.run, e.type, { runId: e.run.id, step: e.step.name, error: e.error });

const notJournaled = () => undefined;

/** The entry each event appends to the journal (kinds and details as operators and checks know them); undefined = none. */
const journal: Projection<AuditEntry | undefined> = {
  'run.started': (e) =>
    byEngine(e.run, 'rule.matched', {
      rule: e.run.rule,
      ruleVersion: e.run.ruleVersion,
      event: e.eventKey,
      ...(e.command ? { command: e.command.name, by: e.command.by } : {}),
      runId: e.run.id,
    }),
  'run.writing_back': runEnded,
  'run.succeeded': runEnded,
  'run.failed': runEnded,
  'run.refused': runEnded,
  'run.writeback_failed': runEnded,
  'run.cancelled': (e) => byOperator(e, e.type, {}),
  'run.paused': (e) => byOperator(e, e.type, {}),
  'run.resumed': (e) => byOperator(e, e.type, {}),
  'run.retried': (e) => byOperator(e, e.type, { steps: e.steps }),
  'run.approved': (e) => byOperator(e, e.type, approvalDetail(e)),
  'run.rejected': (e) => byOperator(e, e.type, approvalDetail(e)),
  'step.retried': (e) => byOperator(e, e.type, { step: e.step }),
  'step.skipped_by_operator': (e) => byOperator(e, 'step.skipped', { step: e.step, reason: e.reason }),
  'step.started': notJournaled,
  'step.succeeded': stepSettled,
  'step.failed': stepSettled,
  'step.refused': stepSettled,
  'step.skipped': stepSettled,
  'step.retrying': notJournaled,
  'step.waiting': (e) =>
    byEngine(e.run, 'gate.waiting', { runId: e.run.id, step: e.step.name, gate: e.gate, reason: e.reason }),
  'step.waiting_for_budget': notJournaled,
  'check.passed': checksJudged,
  'check.refused': checksJudged,
  'run.on_failure.started': (e) => byEngine(e.run, e.type, { runId: e.run.id, hookRunId: e.hookRunId, steps: e.steps }),
  'change.gate.passed': (e) =>
    byEngine(e.run, e.type, { runId: e.run.id, type: e.changeType, marks: e.marks, ...e.evidence }),
  'change.gate.refused': (e) => byEngine(e.run, e.type, { runId: e.run.id, reason: e.reason }),
  'change.rollback.started': (e) =>
    byEngine(e.run, e.type, { runId: e.run.id, rollbackRunId: e.rollbackRunId, failedStep: e.failedStep }),
  'change.closed': (e) => byEngine(e.run, e.type, { runId: e.run.id, close_code: e.closeCode }),
  'writeback.delivered': notJournaled,
  'writeback.retrying': notJournaled,
  'writeback.failed': notJournaled,
};

function checksJudged(e: RunEventOf<'check.passed' | 'check.refused'>) {
  return byEngine(e.run, e.type, { runId: e.run.id, step: e.step.name, verdicts: e.verdicts });
}

function approvalDetail(e: RunEventOf<'run.approved' | 'run.rejected'>) {
  return { step: e.step, comment: e.comment, decidedAt: new Date(e.at).toISOString() };
}

/** The audit entry of an event, appended by the emitter in the transaction of the decision it records. */
export function journalEntryOf(event: RunEvent): AuditEntry | undefined {
  return project(journal, event);
}

// ── metrics and the run's trace span ────────────────────────────────────────────────────────────

const runFinished = (e: { run: RunRef; at: number; type: string }, metrics: Metrics) => {
  const outcome = e.type.slice('run.'.length);
  observeRunEnd(metrics, { rule_id: e.run.rule, created_at: e.run.createdAt }, outcome, e.at);
  recordRunSpan(
    {
      id: e.run.id,
      rule_id: e.run.rule,
      created_at: e.run.createdAt,
      correlation_id: e.run.correlationId,
      ticket_number: e.run.ticket,
    },
    outcome,
    e.at,
  );
};

const stepEnded = (e: RunEventOf<`step.${StepOutcome}`>, metrics: Metrics) => {
  const outcome = e.type.slice('step.'.length);
  const seconds = (e.at - e.startedAt) / 1000;
  metrics.stepDuration.observe({ action: e.step.action, outcome }, seconds);
  metrics.ruleStepDuration.observe({ rule: e.run.rule, step: e.step.name, outcome }, seconds);
};

const writebackSettled = (e: RunEventOf<'writeback.delivered' | 'writeback.failed'>, metrics: Metrics) => {
  const delivered = e.type === 'writeback.delivered';
  metrics.writebacks.inc({ result: delivered ? (e.alreadyThere ? 'already_delivered' : 'sent') : 'failed' });
  metrics.writebackLag.observe({ result: delivered ? 'sent' : 'failed' }, (e.at - e.writeback.queuedAt) / 1000);
};

const nothingMore = () => undefined;

/** What each event adds to the metrics beyond `snowline_run_events_total` (names and labels as dashboards know them). */
const measures: Projection<void, [Metrics]> = {
  'run.started': (e, metrics) => metrics.runsStarted.inc({ rule: e.run.rule }),
  'run.writing_back': nothingMore,
  'run.succeeded': runFinished,
  'run.failed': runFinished,
  'run.refused': runFinished,
  'run.writeback_failed': runFinished,
  'run.cancelled': runFinished,
  'run.paused': nothingMore,
  'run.resumed': nothingMore,
  'run.retried': nothingMore,
  'run.approved': nothingMore,
  'run.rejected': nothingMore,
  'step.retried': nothingMore,
  'step.skipped_by_operator': nothingMore,
  'step.started': (e, metrics) => {
    if (e.firstOfRun) observeFirstStep(metrics, { rule_id: e.run.rule, created_at: e.run.createdAt }, e.at);
  },
  'step.succeeded': stepEnded,
  'step.failed': stepEnded,
  'step.refused': stepEnded,
  'step.skipped': stepEnded,
  'step.retrying': (e, metrics) => metrics.stepRetries.inc({ action: e.step.action, failure: e.failure }),
  'step.waiting': nothingMore,
  'step.waiting_for_budget': nothingMore,
  'check.passed': nothingMore,
  'check.refused': nothingMore,
  'run.on_failure.started': nothingMore,
  'change.gate.passed': nothingMore,
  'change.gate.refused': nothingMore,
  'change.rollback.started': nothingMore,
  'change.closed': nothingMore,
  'writeback.delivered': writebackSettled,
  'writeback.retrying': (e, metrics) =>
    metrics.writebacks.inc({ result: e.reason === 'unserviced' ? 'unserviced' : `retry_${e.reason}` }),
  'writeback.failed': writebackSettled,
};

/** Counts the event (every one in `snowline_run_events_total`), its own metrics, and ends the run's span when it ended. */
export function countRunEvent(metrics: Metrics, event: RunEvent): void {
  metrics.runEvents.inc({ event: event.type });
  project(measures, event, metrics);
}

// ── the structured log ──────────────────────────────────────────────────────────────────────────

interface LogLine {
  level: 'info' | 'warn' | 'error';
  message: string;
  fields: Record<string, unknown>;
}

const info = (message: string, fields: Record<string, unknown>): LogLine => ({ level: 'info', message, fields });
const ofRun = (e: { run: RunRef }) => ({ runId: e.run.id, rule: e.run.rule, ticket: e.run.ticket });
const ofStep = (e: { run: RunRef; step: { name: string } }) => ({ runId: e.run.id, step: e.step.name });
const byWhom = (message: string) => (e: { run: RunRef; actor: string }) =>
  info(message, { ...ofRun(e), actor: e.actor });
const stepLine = (e: RunEventOf<`step.${StepOutcome}`>) =>
  info(e.type.replace('.', ' '), { ...ofStep(e), error: e.error });
const runLine = (e: RunEventOf<'run.succeeded' | 'run.failed' | 'run.refused' | 'run.writing_back'>) =>
  info(`run ${e.type === 'run.writing_back' ? 'writing back' : e.type.slice('run.'.length)}`, ofRun(e));

/** Already there: an earlier attempt's PATCH is in the journal, the file on the record, the record on the instance. */
const DELIVERED = {
  patch: ['write-back sent', 'write-back found in the journal; not sending it again'],
  attachment: ['attachment sent', 'attachment with the same content found on the record; not uploading it again'],
  record: ['record inserted', 'record found on the instance; not inserting it again'],
} as const;

const logLines: Projection<LogLine> = {
  'run.started': (e) => info('run started', ofRun(e)),
  'run.writing_back': runLine,
  'run.succeeded': runLine,
  'run.failed': runLine,
  'run.refused': runLine,
  'run.writeback_failed': (e) => ({
    level: 'error',
    message: 'run ended writeback_failed: its steps succeeded but the ticket was not told',
    fields: { ...ofRun(e), error: e.error },
  }),
  'run.cancelled': byWhom('run cancelled'),
  'run.paused': byWhom('run paused'),
  'run.resumed': byWhom('run resumed'),
  'run.retried': (e) => info('run retried', { ...ofRun(e), actor: e.actor, steps: e.steps }),
  'run.approved': (e) => info('step approved', { ...ofRun(e), actor: e.actor, step: e.step }),
  'run.rejected': (e) => info('step rejected', { ...ofRun(e), actor: e.actor, step: e.step }),
  'step.retried': (e) => info('step retried', { ...ofRun(e), actor: e.actor, step: e.step }),
  'step.skipped_by_operator': (e) => info('step skipped', { ...ofRun(e), actor: e.actor, step: e.step }),
  'step.started': (e) => info('step started', { ...ofStep(e), attempt: e.attempt }),
  'step.succeeded': stepLine,
  'step.failed': stepLine,
  'step.refused': stepLine,
  'step.skipped': stepLine,
  'step.retrying': (e) => ({
    level: 'warn',
    message: 'step attempt failed; will retry',
    fields: { ...ofStep(e), failure: e.failure, error: e.error, delayMs: e.delayMs },
  }),
  'step.waiting': (e) => info('step waits for a gate', { ...ofStep(e), gate: e.gate, reason: e.reason }),
  'step.waiting_for_budget': (e) =>
    info('step waits for its connector’s hourly budget', { ...ofStep(e), reason: e.reason }),
  'check.passed': (e) => info('milestone checks passed', { ...ofStep(e), checks: e.verdicts.map((v) => v.check) }),
  'check.refused': (e) => {
    const unmet = e.verdicts.find((v) => !v.met);
    return info('milestone check refused the step', { ...ofStep(e), check: unmet?.check, why: unmet?.why });
  },
  'run.on_failure.started': (e) =>
    info('run failed; its on_failure steps start', { ...ofRun(e), hookRunId: e.hookRunId, steps: e.steps }),
  'change.gate.passed': (e) =>
    info('change gates passed; implementing', { ...ofRun(e), changeType: e.changeType, marks: e.marks }),
  'change.gate.refused': (e) => info('change not implemented', { ...ofRun(e), reason: e.reason }),
  'change.rollback.started': (e) => ({
    level: 'warn',
    message: 'change step failed; running the rollback plan',
    fields: { ...ofRun(e), rollbackRunId: e.rollbackRunId, failedStep: e.failedStep },
  }),
  'change.closed': (e) => info('change closed for review', { ...ofRun(e), closeCode: e.closeCode }),
  'writeback.delivered': (e) =>
    info(DELIVERED[e.writeback.kind][e.alreadyThere ? 1 : 0], { runId: e.writeback.runId, ticket: e.writeback.ticket }),
  'writeback.retrying': (e) =>
    e.reason === 'unserviced'
      ? info('write-back left unserviced by a batch; sending it again', {
          runId: e.writeback.runId,
          ticket: e.writeback.ticket,
        })
      : {
          level: 'warn',
          message: 'write-back attempt failed; will retry',
          fields: { runId: e.writeback.runId, failure: e.reason, error: e.error, delayMs: e.delayMs },
        },
  'writeback.failed': (e) => ({
    level: 'error',
    message: 'write-back failed for good',
    fields: { runId: e.writeback.runId, ticket: e.writeback.ticket, error: e.error },
  }),
};

/** The event's log line, with the run's correlation id (and so its trace id), and the event's type. */
export function logRunEvent(logger: Logger, event: RunEvent): void {
  const { level, message, fields } = project(logLines, event);
  const correlationId = 'run' in event ? event.run.correlationId : event.writeback.correlationId;
  logger.log(level, message, { event: event.type, ...fields, ...(correlationId ? { correlationId } : {}) });
}

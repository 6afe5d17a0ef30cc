import type { FailureClass } from '../errors';
import type { OutboxEntry } from '../store/outbox.repository';
import type { Run, Step } from '../store/run.repository';
import type { RequirementVerdict } from './step-requirements';

/**
 * What happens to runs, their steps and their write-backs, as one typed stream. The engine emits
 * each happening once (run-event-emitter.ts); its audit entry, its metrics and its log line are all
 * derived from that one event (run-event-subscribers.ts), so the three cannot tell different stories.
 */
export type RunEvent =
  | { type: 'run.started'; run: RunRef; at: number; eventKey: string; command?: { name: string; by: string } }
  /** The run's steps succeeded; it waits for its write-backs to reach the ticket. */
  | { type: 'run.writing_back'; run: RunRef; at: number }
  | { type: `run.${RunEnd}`; run: RunRef; at: number; error?: string }
  | {
      type: 'step.started';
      run: RunRef;
      step: StepRef;
      at: number;
      attempt: number;
      /** The run's first step starting for the first time: the end of the event-to-first-step SLI. */
      firstOfRun: boolean;
    }
  | { type: `step.${StepOutcome}`; run: RunRef; step: StepRef; at: number; startedAt: number; error?: string }
  | {
      type: 'step.retrying';
      run: RunRef;
      step: StepRef;
      at: number;
      failure: FailureClass;
      error: string;
      delayMs: number;
    }
  /** A gate asked the step to wait (logged once per reason: a recheck with the same reason is no new event). */
  | { type: 'step.waiting'; run: RunRef; step: StepRef; at: number; gate: string; reason: string }
  /** The connector's hourly budget is spent: the step waits, unclaimed, for the refill (once per reason, like a gate's wait). */
  | { type: 'step.waiting_for_budget'; run: RunRef; step: StepRef; at: number; reason: string }
  /** A step's milestone checks, judged just before it first starts; one not met refuses the step. */
  | { type: 'check.passed' | 'check.refused'; run: RunRef; step: StepRef; at: number; verdicts: RequirementVerdict[] }
  /** The run failed; its `on_failure` steps start as the run `hookRunId`. */
  | { type: 'run.on_failure.started'; run: RunRef; at: number; hookRunId: string; steps: string[] }
  | ChangeEvent
  | OperatorEvent
  | { type: 'writeback.delivered'; writeback: WritebackRef; at: number; alreadyThere: boolean }
  | {
      type: 'writeback.retrying';
      writeback: WritebackRef;
      at: number;
      /** `unserviced`: a batch cut short never ran its call; it is sent again at once. */
      reason: FailureClass | 'unserviced';
      error?: string;
      delayMs: number;
    }
  | { type: 'writeback.failed'; writeback: WritebackRef; at: number; error: string };

/** What change management decided about a change_request run (src/change/). */
export type ChangeEvent =
  | {
      type: 'change.gate.passed';
      run: RunRef;
      at: number;
      /** The change's type (normal, standard, emergency). */
      changeType: string;
      /** Facts the audit must carry, e.g. an emergency change passing a freeze. */
      marks: string[];
      evidence: ChangeGateEvidence;
    }
  /** The change was not implemented: its first step was refused before anything ran. */
  | { type: 'change.gate.refused'; run: RunRef; at: number; reason?: string }
  | { type: 'change.rollback.started'; run: RunRef; at: number; rollbackRunId: string; failedStep: string }
  /** The change moved to Review, `successful` or not. */
  | { type: 'change.closed'; run: RunRef; at: number; closeCode: string };

/** What the change gates saw when they let a change start: change-control evidence for the audit. */
export interface ChangeGateEvidence {
  approval: string;
  approvers: Array<{ approver: string; sysId: string; state: string; decidedAt: string }>;
  window: { start: string; end: string };
  freezesChecked: number;
  requestedBy: string;
}

/** What a person did to a run (by the API, the console or the CLI), with who did it. */
export type OperatorEvent =
  | { type: 'run.cancelled' | 'run.paused' | 'run.resumed'; run: RunRef; at: number; actor: string }
  | { type: 'run.retried'; run: RunRef; at: number; actor: string; steps: string[] }
  | {
      type: 'run.approved' | 'run.rejected';
      run: RunRef;
      at: number;
      actor: string;
      step: string;
      comment: string | null;
    }
  | { type: 'step.retried'; run: RunRef; at: number; actor: string; step: string }
  | { type: 'step.skipped_by_operator'; run: RunRef; at: number; actor: string; step: string; reason: string | null };

export type RunEventType = RunEvent['type'];
/** The event(s) of type T; a member that covers several types (`run.${RunEnd}`) is narrowed to T. */
export type RunEventOf<T extends RunEventType> = RunEvent extends infer E
  ? E extends { type: infer U }
    ? T extends U
      ? Omit<E, 'type'> & { type: T }
      : never
    : never
  : never;

/** How a run that stopped on its own ends (`cancelled` is an operator's doing). */
export type RunEnd = 'succeeded' | 'failed' | 'refused' | 'writeback_failed';
export type StepOutcome = 'succeeded' | 'failed' | 'refused' | 'skipped';

/** The run an event is about, as every subscriber needs it. */
export interface RunRef {
  id: string;
  rule: string;
  ruleVersion: string;
  ticket: string;
  correlationId: string;
  /** When the run was started (its event dispatched): runs' durations count from here. */
  createdAt: number;
}

export interface StepRef {
  name: string;
  /** `connector.action` */
  action: string;
}

/** A write-back entry an event is about; suggestion notes have no run (`runId` names the note). */
export interface WritebackRef {
  runId: string;
  ticket: string;
  correlationId?: string;
  queuedAt: number;
  /** A PATCH of the ticket, an attachment uploaded to it, or a record inserted. */
  kind: 'patch' | 'attachment' | 'record';
}

export function runRefOf(
  run: Pick<Run, 'id' | 'rule_id' | 'rule_version' | 'ticket_number' | 'correlation_id' | 'created_at'>,
): RunRef {
  return {
    id: run.id,
    rule: run.rule_id,
    ruleVersion: run.rule_version,
    ticket: run.ticket_number,
    correlationId: run.correlation_id,
    createdAt: Number(run.created_at),
  };
}

export function stepRefOf(step: Step): StepRef {
  return { name: step.name, action: `${step.connector}.${step.action}` };
}

export function writebackRefOf(entry: OutboxEntry): WritebackRef {
  return {
    runId: entry.run_id,
    ticket: entry.ticket_number,
    ...(entry.correlation_id ? { correlationId: entry.correlation_id } : {}),
    queuedAt: Number(entry.created_at),
    kind: entry.attachment !== null ? 'attachment' : entry.operation === 'insert' ? 'record' : 'patch',
  };
}

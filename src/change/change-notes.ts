import { formatDateTime } from '../rules/encoded-query/date-time';
import { stepResult, type Run, type Step } from '../store/run.repository';
import type { ChangeRunContext, RunContext } from '../engine/run-context';
import { CHANGE_STATE } from './change-gates';

/** The text Snowline leaves on a change record: pure functions of the run's steps. */

const ordered = (steps: readonly Step[]) => [...steps].sort((a, b) => a.idx - b.idx);

export function planList(steps: readonly Step[]): string {
  return ordered(steps)
    .map((s) => `${s.name} (${s.connector}.${s.action})`)
    .join(', ');
}

/** `patch succeeded (controller job 42)` — the job id is what an operator looks up. */
export function describeStep(step: Step, steps: readonly Step[]): string {
  const saved = steps.find((s) => s.id === step.id) ?? step;
  const stored = stepResult(saved);
  const result = stored && typeof stored === 'object' && !Array.isArray(stored) ? stored : {};
  const job = result.job_id !== undefined ? ` (controller job ${String(result.job_id)})` : '';
  if (saved.state === 'succeeded') return `step ${saved.name} succeeded${job}`;
  if (saved.state === 'failed') return `step ${saved.name} failed${job}: ${saved.error ?? 'no detail'}`;
  return `step ${saved.name} ${saved.state === 'cancelled' ? 'not run' : saved.state}`;
}

function summary(steps: readonly Step[]): string {
  return ordered(steps)
    .map((s) => describeStep(s, steps))
    .join('; ');
}

export interface CloseInput {
  context: RunContext;
  change: ChangeRunContext;
  run: Run;
  steps: readonly Step[];
  outcome: 'succeeded' | 'failed';
  failedStep: string;
  error?: string;
  at: number;
}

/**
 * The PATCH that moves a change to Review (docs/servicenow-behaviour.md §3.4): close_code `successful` only when the whole plan
 * ran; a failed plan is `unsuccessful` whatever the rollback did, and the notes say what it did.
 */
export function closeFields(input: CloseInput): {
  state: string;
  close_code: string;
  close_notes: string;
  work_end: string;
} {
  const { change, steps, outcome } = input;
  const base = { state: CHANGE_STATE.review, work_end: formatDateTime(input.at) };
  const rollback = change.rollbackOf;
  if (rollback) {
    const cause = `Implementation step ${rollback.step} failed: ${rollback.error}.`;
    const result =
      outcome === 'succeeded'
        ? `Rollback plan succeeded: ${summary(steps)}.`
        : `Rollback plan FAILED at step ${input.failedStep}: ${input.error ?? 'no detail'} (${summary(steps)}). Manual recovery is needed.`;
    return { ...base, close_code: 'unsuccessful', close_notes: `${cause} ${result}` };
  }
  if (outcome === 'succeeded')
    return {
      ...base,
      close_code: 'successful',
      close_notes: `Implemented by Snowline run ${input.run.id} (rule ${input.context.rule.id}): ${summary(steps)}.`,
    };
  return {
    ...base,
    close_code: 'unsuccessful',
    close_notes: `Snowline run ${input.run.id} (rule ${input.context.rule.id}) failed at step ${input.failedStep}: ${input.error ?? 'no detail'}. No rollback plan in the rule. Steps: ${summary(steps)}.`,
  };
}

/** A change moved to Implement whose first step was refused before it started: Review, unsuccessful, nothing changed. */
export function notStartedCloseFields(
  runId: string,
  ruleId: string,
  reason: string,
  at: number,
): { state: string; close_code: string; close_notes: string; work_end: string } {
  return {
    state: CHANGE_STATE.review,
    close_code: 'unsuccessful',
    close_notes: `Snowline run ${runId} (rule ${ruleId}) stopped before any plan step ran: ${reason}. Nothing was changed.`,
    work_end: formatDateTime(at),
  };
}

import { stepGatesIfReadable, stepResult } from '../store/run.repository';
import { stepFlowIfReadable } from '../engine/run-context';
import { z } from 'zod';
import type { RunWithSteps } from '../store/run.repository';

/** A run as the API shows it. The schema is also the OpenAPI description. */
export const stepViewSchema = z.object({
  name: z.string(),
  use: z.string().describe('connector.action'),
  state: z.enum([
    'blocked',
    'pending',
    'starting',
    'waiting',
    'succeeded',
    'failed',
    'skipped',
    'refused',
    'cancelled',
  ]),
  stage: z.number().int().describe('steps of one stage run at once (parallel branches)'),
  compensates: z.string().nullable().describe('for a compensation step: the step it undoes'),
  gates: z.array(z.string()).describe('gates the step passes before it starts'),
  waitingFor: z.string().nullable().describe('the gate holding the step back, and why'),
  attempt: z.number().int(),
  externalRef: z.string().nullable().describe('the backend job id while and after it runs'),
  result: z.unknown().nullable(),
  error: z.string().nullable(),
});

/** Every state a run can be in (run-state-machine.ts). */
export const RUN_STATES = [
  'queued',
  'running',
  'paused',
  'writing_back',
  'succeeded',
  'writeback_failed',
  'failed',
  'refused',
  'cancelled',
] as const;

export const runViewSchema = z.object({
  id: z.string(),
  rule: z.string(),
  ruleVersion: z.string(),
  ticket: z.string().describe('ticket number, e.g. INC0010001'),
  table: z.string(),
  sysId: z.string(),
  state: z
    .enum(RUN_STATES)
    .describe(
      "queued: waiting for its concurrency key or a limit; writing_back: its steps succeeded and its write-back is on its way to the ticket; succeeded: done and the ticket told; writeback_failed: its steps succeeded but the write-back failed for good (see the audit journal); refused: a gate said no (see the step's error)",
    ),
  createdAt: z.string().describe('ISO 8601'),
  finishedAt: z.string().nullable(),
  steps: z.array(stepViewSchema),
});
export type RunView = z.infer<typeof runViewSchema>;

const iso = (ms: number | null) => (ms === null ? null : new Date(ms).toISOString());

export function toRunView(run: RunWithSteps): RunView {
  return {
    id: run.id,
    rule: run.rule_id,
    ruleVersion: run.rule_version,
    ticket: run.ticket_number,
    table: run.table_name,
    sysId: run.sys_id,
    state: run.state as RunView['state'],
    createdAt: iso(run.created_at)!,
    finishedAt: iso(run.finished_at),
    steps: run.steps.map((s) => ({
      name: s.name,
      use: `${s.connector}.${s.action}`,
      state: s.state as RunView['steps'][number]['state'],
      // A corrupt column is shown empty: the step's error names it (the worker failed the step for it).
      gates: stepGatesIfReadable(s) ?? [],
      stage: s.stage,
      compensates: stepFlowIfReadable(s)?.compensates ?? null,
      waitingFor: s.waiting_for,
      attempt: s.attempt,
      externalRef: s.external_ref,
      result: stepResult(s) ?? null,
      error: s.error,
    })),
  };
}

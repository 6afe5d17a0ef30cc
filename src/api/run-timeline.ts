import { z } from 'zod';
import { stepOutput } from '../engine/job-output';
import { NotFoundError } from '../errors';
import type { AuditRepository } from '../store/audit.repository';
import type { OutboxRepository } from '../store/outbox.repository';
import type { RunRepository, RunWithSteps } from '../store/run.repository';
import type { AuditRow, OutboxRow } from '../store/schema';
import type { RouteDefinition } from './route';
import { runViewSchema, toRunView } from './run-view';

/** Parses a stored JSON column, or undefined when a row holds something else (a timeline must still render). */
function parsed(text: string | null): unknown {
  if (text === null) return undefined;
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return undefined;
  }
}

const iso = (ms: number | null) => (ms === null ? null : new Date(Number(ms)).toISOString());

export const runTimelineSchema = z.object({
  run: runViewSchema,
  steps: z.array(
    z.object({
      name: z.string(),
      stage: z.number().int().describe('steps of one stage ran side by side'),
      state: z.string(),
      attempt: z.number().int().describe('1 = first try; more = retried'),
      startedAt: z.string().nullable(),
      finishedAt: z.string().nullable(),
      durationMs: z.number().nullable(),
      waitingFor: z.string().nullable(),
      output: z.string().nullable().describe("the controller job's output (tail), else the result or the error"),
    }),
  ),
  writebacks: z.array(
    z.object({
      kind: z.enum(['fields', 'attachment']),
      state: z.string().describe('pending → sending → sent | failed'),
      queuedAt: z.string(),
      sentAt: z.string().nullable(),
      attempts: z.number().int(),
      lastError: z.string().nullable(),
      workNote: z.string().nullable().describe('the work note written to the ticket'),
      fields: z.record(z.string(), z.unknown()).describe('other fields set on the ticket'),
      fileName: z.string().nullable(),
    }),
  ),
  decisions: z
    .array(z.object({ at: z.string(), kind: z.string(), actor: z.string(), detail: z.unknown() }))
    .describe("people's actions on the run from the audit journal: retries, skips, approvals, cancels"),
});
export type RunTimeline = z.infer<typeof runTimelineSchema>;

function toWriteback(row: OutboxRow): RunTimeline['writebacks'][number] {
  const { work_notes: workNote, ...fields } = (parsed(row.fields) ?? {}) as Record<string, unknown>;
  const attachment = parsed(row.attachment) as { file_name?: string } | undefined;
  return {
    kind: attachment ? 'attachment' : 'fields',
    state: row.state,
    queuedAt: iso(row.created_at)!,
    sentAt: iso(row.sent_at),
    attempts: row.attempts,
    lastError: row.last_error,
    // The trailing [marker] line identifies the write in the journal; it is no part of what a person reads.
    workNote: typeof workNote === 'string' ? workNote.replace(/\n\[[^\]]*\]$/, '') : null,
    fields,
    fileName: attachment?.file_name ?? null,
  };
}

/** Everything that happened to a run, from its steps, its outbox rows and the audit journal entries naming it. */
export function toRunTimeline(
  run: RunWithSteps,
  outbox: readonly OutboxRow[],
  audit: readonly AuditRow[],
): RunTimeline {
  return {
    run: toRunView(run),
    steps: run.steps.map((s) => ({
      name: s.name,
      stage: s.stage,
      state: s.state,
      attempt: s.attempt,
      startedAt: iso(s.started_at),
      finishedAt: iso(s.finished_at),
      durationMs: s.started_at !== null && s.finished_at !== null ? Number(s.finished_at) - Number(s.started_at) : null,
      waitingFor: s.waiting_for,
      output: stepOutput(s) ?? null,
    })),
    writebacks: outbox.map(toWriteback),
    decisions: audit
      .filter((entry) => (parsed(entry.detail) as { runId?: string } | undefined)?.runId === run.id)
      .map((entry) => ({ at: iso(entry.at)!, kind: entry.kind, actor: entry.actor, detail: parsed(entry.detail) }))
      .sort((a, b) => a.at.localeCompare(b.at)),
  };
}

export interface RunTimelineDeps {
  runs: Pick<RunRepository, 'get'>;
  outbox: Pick<OutboxRepository, 'forRun'>;
  audit: Pick<AuditRepository, 'list'>;
}

/** Entries about one ticket read to find a run's decisions: a ticket with more has a history no timeline shows whole. */
const AUDIT_ENTRIES_PER_TICKET = 1000;

/** A run's timeline from the store, or undefined when there is no such run. */
export async function readRunTimeline(deps: RunTimelineDeps, id: string): Promise<RunTimeline | undefined> {
  const run = await deps.runs.get(id);
  if (!run) return undefined;
  const [outbox, audit] = await Promise.all([
    deps.outbox.forRun(run.id),
    deps.audit.list({ subject: run.ticket_number, limit: AUDIT_ENTRIES_PER_TICKET }),
  ]);
  return toRunTimeline(run, outbox, audit);
}

export function runTimelineRoutes(deps: RunTimelineDeps): RouteDefinition[] {
  return [
    {
      method: 'get',
      path: '/runs/:id/timeline',
      permission: 'runs:read',
      summary:
        "One run's timeline: steps with durations and output, write-backs with the work notes, people's decisions",
      response: runTimelineSchema,
      handle: async (req) => {
        const timeline = await readRunTimeline(deps, String(req.params.id));
        if (!timeline) throw new NotFoundError('run', String(req.params.id));
        return timeline;
      },
    },
  ];
}

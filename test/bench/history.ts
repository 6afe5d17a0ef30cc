import { repositories, type Store } from '../../src/store';
import type { AuditEntry } from '../../src/store/audit.repository';
import type { ApprovalRow, IdentityUseRow, RunRow, StepRow } from '../../src/store/schema';

/**
 * A recorded history of runs written straight into a store: the raw material of the reports, for
 * their tests (a few hand-picked runs) and for `npm run bench` (tens of thousands, generated).
 */
export interface HistoryRun {
  id: string;
  rule: string;
  ticket: string;
  state: 'succeeded' | 'failed' | 'refused' | 'cancelled' | 'running';
  createdAt: number;
  /** Defaults to `<table>:<id>:0`: each run its own event. Two runs with one key overlap. */
  eventKey?: string;
  ci?: string;
  steps: {
    name: string;
    connector: string;
    action: string;
    state: string;
    startedAt?: number;
    durationMs: number;
    attempt?: number;
    error?: string;
    result?: unknown;
  }[];
  approval?: { actor: string; decision: 'approved' | 'rejected'; afterMs: number };
  manualBy?: { actor: string; groups: string[] };
}

export interface History {
  runs: HistoryRun[];
  identities?: { subject: string; lastUsedAt: number }[];
}

/** Writes the history in chunks (SQLite and PostgreSQL cap the parameters of one statement). */
export async function writeHistory(store: Store, history: History): Promise<void> {
  const { db } = store;
  const runs: RunRow[] = [];
  const steps: StepRow[] = [];
  const approvals: ApprovalRow[] = [];
  const manual: { at: number; entry: AuditEntry }[] = [];
  for (const r of history.runs) {
    const finishedAt = r.state === 'running' ? null : r.createdAt + r.steps.reduce((t, s) => t + s.durationMs, 0) + 1;
    runs.push({
      id: r.id,
      rule_id: r.rule,
      rule_version: 'v1',
      table_name: 'incident',
      sys_id: r.id.padEnd(32, '0').slice(0, 32),
      ticket_number: r.ticket,
      event_key: r.eventKey ?? (r.manualBy ? `manual:${r.id}` : `incident:${r.id}:0`),
      state: r.state,
      context: JSON.stringify({ ticket: { number: r.ticket, cmdb_ci: r.ci ?? '' }, params: {}, rule: { id: r.rule } }),
      correlation_id: `c-${r.id}`,
      created_at: r.createdAt,
      updated_at: finishedAt ?? r.createdAt,
      finished_at: finishedAt,
      concurrency_key: null,
    });
    let at = r.createdAt;
    r.steps.forEach((s, idx) => {
      const startedAt = s.startedAt ?? at;
      at = startedAt + s.durationMs;
      steps.push({
        id: `${r.id}-${idx}`,
        run_id: r.id,
        idx,
        name: s.name,
        connector: s.connector,
        action: s.action,
        params: '{}',
        state: s.state,
        attempt: s.attempt ?? 1,
        idempotency_key: `${r.id}:${s.name}`,
        external_ref: null,
        result: s.result === undefined ? null : JSON.stringify(s.result),
        error: s.error ?? null,
        next_at: 0,
        lease_owner: null,
        lease_until: null,
        started_at: startedAt,
        finished_at: at,
        gates: '[]',
        waiting_for: null,
        stage: idx,
        flow: '{}',
      });
    });
    if (r.approval)
      approvals.push({
        run_id: r.id,
        step_name: r.steps[0]?.name ?? 'approve',
        decision: r.approval.decision,
        actor: r.approval.actor,
        comment: null,
        decided_at: r.createdAt + r.approval.afterMs,
      });
    if (r.manualBy)
      manual.push({
        at: r.createdAt,
        entry: {
          kind: 'rule.triggered',
          actor: r.manualBy.actor,
          subject: r.ticket,
          detail: { rule: r.rule, event: `manual:${r.id}`, groups: r.manualBy.groups },
        },
      });
  }
  const identities: IdentityUseRow[] = (history.identities ?? []).map((i) => ({
    subject: i.subject,
    permission: 'runs:read',
    roles: '["viewer"]',
    first_used_at: i.lastUsedAt,
    last_used_at: i.lastUsedAt,
  }));
  await inChunks(runs, (rows) => db.insertInto('runs').values(rows).execute());
  await inChunks(steps, (rows) => db.insertInto('steps').values(rows).execute());
  await inChunks(approvals, (rows) => db.insertInto('approvals').values(rows).execute());
  await inChunks(identities, (rows) => db.insertInto('identity_use').values(rows).execute());
  // Audit entries through the chain, so `audit verify` still holds over the history.
  const { audit } = repositories(store);
  for (const m of manual) await db.transaction().execute((trx) => audit.append(trx, m.entry, m.at));
}

async function inChunks<T>(rows: T[], write: (chunk: T[]) => Promise<unknown>): Promise<void> {
  for (let i = 0; i < rows.length; i += 200) await write(rows.slice(i, i + 200));
}

const RULES = Array.from({ length: 40 }, (_, i) => `rule-${String(i).padStart(2, '0')}`);
const ERRORS = [
  'timed out after 300 s',
  'connector http: 503 Service Unavailable from https://cmdb.example.com/api/v1/hosts/42',
  'job 1234 failed: host web-17 unreachable',
  'gave up after 4 attempt(s) over 61 s: the circuit of connector ansible is open (its backend keeps failing)',
];
const ENDPOINTS = [
  ['ansible', 'launch_job_template'],
  ['http', 'request'],
  ['servicenow', 'add_work_note'],
] as const;

/** `count` runs over `days` days before `now`, spread over 40 rules, deterministic (no randomness). */
export function generatedHistory(count: number, now: number, days = 30): History {
  const span = days * 86_400_000;
  const runs: HistoryRun[] = [];
  for (let i = 0; i < count; i++) {
    const rule = RULES[(i * 7) % RULES.length]!;
    const failed = i % 9 === 0;
    const createdAt = now - span + Math.floor((i / count) * span);
    runs.push({
      id: `run-${String(i).padStart(6, '0')}`,
      rule,
      ticket: `INC${String(100000 + (i % 6000)).padStart(7, '0')}`,
      state: failed ? 'failed' : i % 50 === 1 ? 'cancelled' : 'succeeded',
      createdAt,
      // Every 25th event also started the next rule: those two overlap.
      eventKey: `incident:${Math.floor(i / 2) * 2}:${i % 25 === 0 || i % 25 === 1 ? 0 : i % 2}`,
      ci: `ci-${i % 300}`,
      steps: ENDPOINTS.map(([connector, action], s) => ({
        name: `step-${s}`,
        connector,
        action,
        state: failed && s === 1 ? 'failed' : 'succeeded',
        durationMs: 200 + ((i * 37 + s * 101) % 5000),
        attempt: 1 + ((i + s) % 4 === 0 ? 1 : 0),
        error: failed && s === 1 ? ERRORS[i % ERRORS.length] : undefined,
      })),
      approval:
        i % 10 === 3
          ? { actor: `approver-${i % 5}`, decision: 'approved', afterMs: 60_000 * (1 + (i % 30)) }
          : undefined,
      manualBy: i % 20 === 5 ? { actor: `agent-${i % 7}`, groups: [`group-${i % 3}`] } : undefined,
    });
  }
  const identities = Array.from({ length: 50 }, (_, i) => ({ subject: `user-${i}`, lastUsedAt: now - i * 3_600_000 }));
  return { runs, identities };
}

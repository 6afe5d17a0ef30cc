import type { Kysely } from 'kysely';
import type { AlertSettings } from '../observability/observability-config';
import type { Tables } from '../store/schema';
import type { RunOutcome, StepSample } from './alert-conditions';

const MINUTE_MS = 60_000;
const DAY_MS = 86_400_000;
/** Step executions read for the anomaly check, newest first: enough for every step's history. */
const MAX_STEP_SAMPLES = 50_000;
/** A site whose webhooks never delivered anything polls on purpose: its silence is no alert. */
const WEBHOOKS_SEEN_WITHIN_MS = 7 * DAY_MS;

/** Durations of succeeded step executions within the lookback, newest first. */
export async function stepSamples(
  db: Kysely<Tables>,
  settings: AlertSettings['anomaly'],
  now: number,
): Promise<StepSample[]> {
  const rows = await db
    .selectFrom('steps')
    .innerJoin('runs', 'runs.id', 'steps.run_id')
    .select(['runs.rule_id', 'steps.name', 'steps.started_at', 'steps.finished_at'])
    .where('steps.state', '=', 'succeeded')
    .where('steps.finished_at', '>=', now - settings.lookbackDays * DAY_MS)
    .orderBy('steps.finished_at', 'desc')
    .limit(MAX_STEP_SAMPLES)
    .execute();
  return rows
    .filter((r) => r.started_at !== null && r.finished_at !== null)
    .map((r) => ({
      rule: r.rule_id,
      step: r.name,
      durationMs: Number(r.finished_at) - Number(r.started_at),
      finishedAt: Number(r.finished_at),
    }));
}

/** Runs finished within the window, with their ticket's CI and the outcome of each parallel branch. */
export async function runOutcomes(
  db: Kysely<Tables>,
  settings: AlertSettings['repeatedFailures'],
  now: number,
): Promise<RunOutcome[]> {
  const runs = await db
    .selectFrom('runs')
    .select(['id', 'rule_id', 'state', 'context', 'finished_at'])
    .where('finished_at', '>=', now - settings.windowMinutes * MINUTE_MS)
    .where('state', 'in', ['succeeded', 'failed', 'writeback_failed'])
    .execute();
  if (runs.length === 0) return [];
  const steps = await db
    .selectFrom('steps')
    .innerJoin('runs', 'runs.id', 'steps.run_id')
    .select(['steps.run_id', 'steps.name', 'steps.stage', 'steps.state'])
    .where('runs.finished_at', '>=', now - settings.windowMinutes * MINUTE_MS)
    .execute();
  return runs.map((run) => {
    const own = steps.filter((s) => s.run_id === run.id);
    const parallel = own.filter((s) => own.some((o) => o !== s && o.stage === s.stage));
    return {
      rule: run.rule_id,
      ci: ciOf(run.context),
      failed: run.state !== 'succeeded',
      branches: parallel
        .filter((s) => s.state === 'succeeded' || s.state === 'failed')
        .map((s) => ({ step: s.name, failed: s.state === 'failed' })),
      finishedAt: Number(run.finished_at),
    };
  });
}

/** The ticket's configuration item (sys_id) as the run saw it, or ''. */
function ciOf(context: string): string {
  try {
    const ticket = (JSON.parse(context) as { ticket?: Record<string, unknown> }).ticket;
    return typeof ticket?.cmdb_ci === 'string' ? ticket.cmdb_ci : '';
  } catch {
    return '';
  }
}

/** Events of the window by where they came from first: webhooks, and changes only the poller found. */
export async function ingestSources(
  db: Kysely<Tables>,
  settings: AlertSettings['webhookSilence'],
  now: number,
): Promise<{ webhook: number; polledOnly: number; webhooksEverSeen: boolean }> {
  const rows = await db
    .selectFrom('inbox_events')
    .select(['source', (eb) => eb.fn.countAll<number>().as('n')])
    .where('received_at', '>=', now - settings.windowMinutes * MINUTE_MS)
    .where('source', 'in', ['webhook', 'poll'])
    .groupBy('source')
    .execute();
  const count = (source: string) => Number(rows.find((r) => r.source === source)?.n ?? 0);
  const seen = await db
    .selectFrom('inbox_events')
    .select('seq')
    .where('source', '=', 'webhook')
    .where('received_at', '>=', now - WEBHOOKS_SEEN_WITHIN_MS)
    .limit(1)
    .executeTakeFirst();
  return { webhook: count('webhook'), polledOnly: count('poll'), webhooksEverSeen: seen !== undefined };
}

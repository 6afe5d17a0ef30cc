import axios, { type AxiosInstance } from 'axios';
import type { LoadSample } from './load-figures';

export interface LoadTestPlan {
  rule: string;
  table: string;
  ratePerSecond: number;
  durationSeconds: number;
  /** How long to wait for the last runs to finish after the last ticket is created. */
  drainSeconds: number;
  /** Field values of ticket number `sequence`. */
  fields(sequence: number): Record<string, string>;
}

export interface LoadTestTargets {
  /** The sandbox's Table API base (`http://127.0.0.1:8081`) and its basic-auth user. */
  sandboxUrl: string;
  sandboxAuth: { username: string; password: string };
  /** Snowline's base URL and a bearer token that may read runs. */
  snowlineUrl: string;
  token: string;
}

const FINISHED = new Set(['succeeded', 'failed', 'refused', 'cancelled']);
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * Creates tickets in the sandbox at the planned rate (its Business Rule emulation posts each to
 * Snowline's webhook, and Snowline's poller finds any it missed: the whole path), then follows the
 * rule's runs through the API until every ticket's run finished or the drain time is over.
 */
export async function runLoadTest(plan: LoadTestPlan, targets: LoadTestTargets): Promise<LoadSample[]> {
  const sandbox = axios.create({ baseURL: targets.sandboxUrl, auth: targets.sandboxAuth, timeout: 10_000 });
  const api = axios.create({
    baseURL: targets.snowlineUrl,
    headers: { authorization: `Bearer ${targets.token}` },
    timeout: 10_000,
  });
  const start = Date.now();
  const sent = new Map<string, number>();
  const total = Math.max(1, Math.round(plan.ratePerSecond * plan.durationSeconds));
  const creations: Promise<void>[] = [];
  for (let i = 0; i < total; i++) {
    // Paced against the clock, not by fixed sleeps: a slow request does not lower the rate.
    const due = start + (i * 1000) / plan.ratePerSecond;
    if (due > Date.now()) await sleep(due - Date.now());
    creations.push(createTicket(sandbox, plan, i).then((number) => void sent.set(number, Date.now())));
  }
  await Promise.all(creations);
  const finished = await followRuns(api, plan, new Date(start).toISOString(), sent);
  return [...sent].map(([number, sentAt]) => {
    const run = finished.get(number);
    return { sentAt, finishedAt: run?.finishedAt, succeeded: run?.state === 'succeeded' };
  });
}

async function createTicket(sandbox: AxiosInstance, plan: LoadTestPlan, sequence: number): Promise<string> {
  const res = await sandbox.post<{ result: { number: string } }>(`/api/now/table/${plan.table}`, plan.fields(sequence));
  return res.data.result.number;
}

type FinishedRun = { state: string; finishedAt: number };

async function followRuns(
  api: AxiosInstance,
  plan: LoadTestPlan,
  since: string,
  sent: Map<string, number>,
): Promise<Map<string, FinishedRun>> {
  const finished = new Map<string, FinishedRun>();
  const deadline = Date.now() + plan.drainSeconds * 1000;
  while (finished.size < sent.size && Date.now() < deadline) {
    for (let until: string | undefined; ;) {
      const { data } = await api.get<{ ticket: string; state: string; createdAt: string; finishedAt: string | null }[]>(
        '/api/v1/runs',
        { params: { rule: plan.rule, since, until, limit: 500 } },
      );
      for (const run of data)
        if (sent.has(run.ticket) && FINISHED.has(run.state) && run.finishedAt)
          finished.set(run.ticket, { state: run.state, finishedAt: Date.parse(run.finishedAt) });
      if (data.length < 500) break;
      until = data[data.length - 1]!.createdAt;
    }
    if (finished.size < sent.size) await sleep(1000);
  }
  return finished;
}

import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import Database from 'better-sqlite3';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { RunningApp } from '../../../src/app/app';
import { startServing } from '../../../src/cli/start-serving';
import { loadConfig, type Config } from '../../../src/config';
import { createLogger } from '../../../src/observability/logger';
import { formatDateTime } from '../../../src/rules/encoded-query/date-time';
import { freePort } from '../../helpers/waiting';

/**
 * A whole Snowline on its built-in sandbox (ServiceNow + AWX), as `npm start` runs it, with the
 * change mapping given (the shipped one by default) and the change settings given. Tests drive it
 * only through the sandbox's Table API and controller API, as an operator would.
 */
export interface ChangeHarness {
  snow(method: string, path: string, body?: unknown): Promise<Record<string, any>>;
  createChange(fields: Record<string, string>): Promise<string>;
  change(sysId: string): Promise<Record<string, string>>;
  workNotes(sysId: string): Promise<string[]>;
  tasks(sysId: string): Promise<Record<string, string>[]>;
  /** Attachments of a record with their text content, oldest first. */
  attachments(table: string, sysId: string): Promise<{ file_name: string; content: string }[]>;
  /** Controller jobs launched with `limit` = host. */
  jobsFor(host: string): Promise<{ id: number; name: string; status: string }[]>;
  sysId(table: string, query: string): Promise<string>;
  /** Audit journal entries of one kind for one ticket, read from the SQLite store. */
  audit(kind: string, ticket: string): Record<string, unknown>[];
  /** The SQLite store's file, for commands run against it (`snowline report …`). */
  dbPath: string;
  /** Snowline's own base URL (API, webhook). */
  url: string;
  stop(): Promise<void>;
}

export const SHIPPED_CHANGE_MAPPING = readFileSync(join(__dirname, '../../../mappings/change.yaml'), 'utf8');

/** `mappings`: more mapping files beside change.yaml (name → text); `env`: more environment for the config. */
export async function startChangeHarness(
  options: {
    mapping?: string;
    change?: Partial<Config['change']>;
    mappings?: Record<string, string>;
    env?: Record<string, string>;
  } = {},
): Promise<ChangeHarness> {
  const dir = mkdtempSync(join(tmpdir(), 'snowline-change-'));
  const mappings = join(dir, 'mappings');
  mkdirSync(mappings);
  writeFileSync(join(mappings, 'change.yaml'), options.mapping ?? SHIPPED_CHANGE_MAPPING);
  for (const [name, text] of Object.entries(options.mappings ?? {})) writeFileSync(join(mappings, name), text);
  const [port, sandboxPort] = [await freePort(), await freePort()];
  const base = loadConfig({
    file: join(__dirname, '../../../config/default.yaml'),
    env: {
      PORT: String(port),
      SNOWLINE_SANDBOX_PORT: String(sandboxPort),
      SNOWLINE_DB: join(dir, 'snowline.db'),
      SNOWLINE_MAPPINGS: mappings,
      SNOWLINE_SANDBOX_WEBHOOK_URL: `http://127.0.0.1:${port}/webhooks/servicenow`,
      SNOWLINE_SANDBOX_JOB_MS: '300',
      LOG_LEVEL: 'error',
      ...options.env,
    },
  });
  const config: Config = {
    ...base,
    server: { ...base.server, host: '127.0.0.1' },
    awx: { ...base.awx, pollIntervalMs: 200 },
    change: { ...base.change, ...options.change },
  };
  const app: RunningApp = await startServing(config, createLogger(config.logging.level));
  const url = app.sandboxUrl!;
  const auth = `Basic ${Buffer.from('admin:admin').toString('base64')}`;

  async function snow(method: string, path: string, body?: unknown) {
    const res = await fetch(`${url}${path}`, {
      method,
      headers: { Authorization: auth, Accept: 'application/json', 'Content-Type': 'application/json' },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const text = await res.text();
    if (res.status >= 300) throw new Error(`${method} ${path} → ${res.status}: ${text}`);
    return text ? (JSON.parse(text) as Record<string, any>) : {};
  }
  const list = async (table: string, query: string, extra = '') =>
    (await snow('GET', `/api/now/table/${table}?sysparm_query=${encodeURIComponent(query)}${extra}`)).result as Record<
      string,
      string
    >[];

  return {
    snow,
    async createChange(fields) {
      return (await snow('POST', '/api/now/table/change_request', fields)).result.sys_id as string;
    },
    async change(sysId) {
      return (await snow('GET', `/api/now/table/change_request/${sysId}?sysparm_exclude_reference_link=true`))
        .result as Record<string, string>;
    },
    async workNotes(sysId) {
      return (await list('sys_journal_field', `element_id=${sysId}^element=work_notes^ORDERBYsys_created_on`)).map(
        (row) => row.value ?? '',
      );
    },
    async tasks(sysId) {
      return list('change_task', `change_request=${sysId}^ORDERBYnumber`, '&sysparm_exclude_reference_link=true');
    },
    async attachments(table, sysId) {
      const query = encodeURIComponent(`table_name=${table}^table_sys_id=${sysId}^ORDERBYsys_created_on`);
      const rows = (await snow('GET', `/api/now/attachment?sysparm_query=${query}`)).result as {
        sys_id: string;
        file_name: string;
      }[];
      return Promise.all(
        rows.map(async (row) => {
          const res = await fetch(`${url}/api/now/attachment/${row.sys_id}/file`, { headers: { Authorization: auth } });
          return { file_name: row.file_name, content: await res.text() };
        }),
      );
    },
    async jobsFor(host) {
      const jobs = (await snow('GET', '/api/v2/jobs/?page_size=200')).results as {
        id: number;
        name: string;
        status: string;
        limit: string;
      }[];
      return jobs.filter((job) => job.limit === host).map(({ id, name, status }) => ({ id, name, status }));
    },
    async sysId(table, query) {
      const row = (await list(table, query))[0];
      if (!row?.sys_id) throw new Error(`no ${table} row matches ${query}`);
      return row.sys_id;
    },
    audit(kind, ticket) {
      const db = new Database(join(dir, 'snowline.db'), { readonly: true });
      try {
        return (
          db.prepare('SELECT detail FROM audit_log WHERE kind = ? AND subject = ?').all(kind, ticket) as {
            detail: string;
          }[]
        ).map((row) => JSON.parse(row.detail) as Record<string, unknown>);
      } finally {
        db.close();
      }
    },
    dbPath: join(dir, 'snowline.db'),
    url: app.url,
    async stop() {
      await app.stop();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** Raw date-time (UTC, docs/servicenow-behaviour.md §1.4) `seconds` from now. */
export const utc = (seconds: number) => formatDateTime(Date.now() + seconds * 1000);

/** Polls `probe` until it returns something truthy; fails with the last value after `timeoutMs`. */
export async function eventually<T>(
  probe: () => Promise<T>,
  timeoutMs = 20_000,
  what = 'condition',
): Promise<NonNullable<T>> {
  const deadline = Date.now() + timeoutMs;
  let last: T | undefined;
  while (Date.now() < deadline) {
    last = await probe();
    if (last) return last as NonNullable<T>;
    await new Promise((r) => setTimeout(r, 200));
  }
  throw new Error(`timed out waiting for ${what}; last: ${JSON.stringify(last)}`);
}

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

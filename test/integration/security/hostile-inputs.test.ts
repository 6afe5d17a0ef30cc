import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import express from 'express';
import request from 'supertest';
import event from '../../fixtures/incident-inserted.event.json';
import { API_BASE } from '../../../src/api/http-app';
import { errorHandler } from '../../../src/errors/http-error';
import { createIntake } from '../../../src/ingest/intake';
import { SERVICENOW_WEBHOOK_PATH, webhookReceiver } from '../../../src/ingest/webhook.receiver';
import { silentLogger } from '../../../src/observability/logger';
import { createMetrics } from '../../../src/observability/metrics';
import { signWebhook } from '../../../src/security/webhook-signature';
import {
  hostileBodies,
  hostileKeys,
  hostileStrings,
  isCleanError,
  prototypePolluted,
} from '../../helpers/hostile-corpus';
import { openTestStore, type TestStore } from '../../helpers/stores';
import { apiHarness, tokenFor } from '../api/api-harness';

/**
 * The hostile-input corpus (test/fixtures/hostile/) at the HTTP boundaries: the signed webhook and
 * the API bodies of dry-run and trigger. Each input gets a clean 4xx (JSON error naming the field, no
 * stack) or is carried as inert data, byte for byte; nothing answers 500, nothing pollutes
 * Object.prototype, and no sentinel file appears.
 */
jest.setTimeout(120_000);

const scratch = mkdtempSync(join(tmpdir(), 'snowline-hostile-'));
const SENTINEL = join(scratch, 'pwned');
const STRINGS = hostileStrings(SENTINEL);
const KEYS = hostileKeys();
const BODIES = hostileBodies();
const BODY_LIMIT = 1024 * 1024;
const sysIdOf = (n: number) => n.toString(16).padStart(32, '0');
const problemPaths = (body: any): string[] => (body?.error?.details ?? []).map((d: { path: string }) => d.path);
/** A body over the size limit is refused whole (413) before any field is read; anything else names the fields. */
const refusedNaming = (res: request.Response, paths: string[]) => {
  expect(isCleanError(res.status, res.body, res.text)).toBe(true);
  if (res.status === 413) expect(res.body.error.code).toBe('request.too_large');
  else expect(problemPaths(res.body)).toEqual(paths);
};

afterAll(() => {
  expect(existsSync(SENTINEL)).toBe(false);
  expect(prototypePolluted()).toBe(false);
  rmSync(scratch, { recursive: true, force: true });
});

describe('the hostile corpus', () => {
  it('holds at least 200 inputs', () => {
    expect(STRINGS.length + KEYS.length + BODIES.length).toBeGreaterThanOrEqual(200);
  });
});

describe('hostile input at POST /webhooks/servicenow (signed, so it reaches validation)', () => {
  const secret = 'hostile-webhook-secret';
  let t: TestStore;
  let app: express.Express;
  let serial = 0;
  beforeAll(async () => {
    t = await openTestStore('sqlite');
    const intake = createIntake({ inbox: t.repos.inbox, metrics: createMetrics(), onAccepted: () => undefined });
    app = express();
    app.post(
      SERVICENOW_WEBHOOK_PATH,
      webhookReceiver(
        { secret, replayWindowSeconds: 300, bodyLimitBytes: BODY_LIMIT },
        intake,
        silentLogger(),
        createMetrics(),
      ),
    );
    app.use(errorHandler(silentLogger()));
  });
  afterAll(() => t.close());

  const deliver = (body: Buffer | string) => {
    const { timestamp, signature } = signWebhook(secret, body);
    return request(app)
      .post('/webhooks/servicenow')
      .set('Content-Type', 'application/json')
      .set({ 'X-Snowline-Timestamp': timestamp, 'X-Snowline-Signature': signature })
      .send(body);
  };
  const storedRecord = async (sysId: string) => {
    const row = (await t.repos.inbox.pending(100_000)).find((r) => r.sys_id === sysId)!;
    return JSON.parse(row.payload).record as Record<string, string>;
  };

  it.each(BODIES.map((b) => [b.id, b] as const))('body %s: a clean 4xx', async (_id, { body }) => {
    const res = await deliver(body);
    expect(isCleanError(res.status, res.body, res.text)).toBe(true);
  });

  it.each(STRINGS.map((s) => [s.id, s] as const))(
    'ticket text %s: stored byte for byte, or refused naming the field',
    async (_id, { value }) => {
      const sysId = sysIdOf(++serial);
      const res = await deliver(
        JSON.stringify({
          ...event,
          sys_id: sysId,
          record: { ...event.record, sys_id: sysId, short_description: value, description: value },
        }),
      );
      if (res.status === 202) {
        const record = await storedRecord(sysId);
        expect(record.short_description).toBe(value);
        expect(record.description).toBe(value);
      } else refusedNaming(res, ['record.short_description', 'record.description']);
    },
  );

  it.each(STRINGS.map((s) => [s.id, s] as const))(
    '%s as table, sys_id and number: refused naming each field',
    async (_id, { value }) => {
      const res = await deliver(JSON.stringify({ ...event, table: value, sys_id: value, number: value }));
      refusedNaming(res, value.length > 40 || value === '' ? ['table', 'sys_id', 'number'] : ['table', 'sys_id']);
    },
  );

  it.each(KEYS.map((k) => [JSON.stringify(k).slice(0, 40), k] as const))(
    'record key %s: kept as an own field, dropped, or refused naming it',
    async (_id, key) => {
      const sysId = sysIdOf(++serial);
      const body = JSON.stringify({ ...event, sys_id: sysId }).replace(
        '"record":{',
        `"record":{${JSON.stringify(key)}:"x",`,
      );
      const res = await deliver(body);
      if (res.status === 202) {
        const record = await storedRecord(sysId);
        if (Object.prototype.hasOwnProperty.call(record, key)) expect(record[key]).toBe('x');
        expect(Object.getPrototypeOf(record)).toBe(Object.prototype);
      } else {
        expect(isCleanError(res.status, res.body, res.text)).toBe(true);
        expect(problemPaths(res.body)).toEqual([`record.${key}`]);
      }
    },
  );

  it.each(KEYS.map((k) => [JSON.stringify(k).slice(0, 40), k] as const))(
    'top-level key %s: refused as an unknown field',
    async (_id, key) => {
      const body = JSON.stringify(event).replace('{', `{${JSON.stringify(key)}:{"polluted":"yes"},`);
      const res = await deliver(body);
      expect(isCleanError(res.status, res.body, res.text)).toBe(true);
    },
  );
});

describe('hostile input in API bodies: dry-run and trigger', () => {
  let h: Awaited<ReturnType<typeof apiHarness>>;
  const auth = { Authorization: `Bearer ${tokenFor('hostile-tester', ['operator'])}` };
  beforeAll(async () => {
    h = await apiHarness({ bodyLimitBytes: BODY_LIMIT, rateLimitPerMinute: 1_000_000 });
  });
  afterAll(() => h.close());

  const post = (path: string, body: Buffer | string) =>
    request(h.app).post(`${API_BASE}${path}`).set(auth).set('Content-Type', 'application/json').send(body);
  /** A change the shipped change rule matches; its rendered step carries `number` into the job's extra vars. */
  const change = (fields: Record<string, string>) => ({
    table: 'change_request',
    record: { type: 'normal', cmdb_ci: 'a'.repeat(32), short_description: 'Patch web-01', state: '-2', ...fields },
  });

  it.each(BODIES.map((b) => [b.id, b] as const))(
    'body %s: a clean 4xx from dry-run and from trigger',
    async (_id, { body }) => {
      for (const path of ['/rules/dry-run', '/rules/patch-linux-host/trigger']) {
        const res = await post(path, body);
        expect(isCleanError(res.status, res.body, res.text)).toBe(true);
      }
    },
  );

  it.each(STRINGS.map((s) => [s.id, s] as const))(
    'ticket text %s: dry-run renders it as inert data, or refuses naming the field',
    async (_id, { value }) => {
      const res = await post('/rules/dry-run', JSON.stringify(change({ number: value, description: value })));
      if (res.status === 200) {
        const step = res.body.steps.find((s: { rule: string }) => s.rule === 'patch-linux-host');
        expect(step.with.extra_vars.change_number).toBe(value);
      } else refusedNaming(res, ['record.number', 'record.description']);
    },
  );

  it.each(STRINGS.map((s) => [s.id, s] as const))(
    '%s as trigger table and sys_id: refused naming both',
    async (_id, { value }) => {
      refusedNaming(await post('/rules/patch-linux-host/trigger', JSON.stringify({ table: value, sys_id: value })), [
        'table',
        'sys_id',
      ]);
    },
  );

  it.each(KEYS.map((k) => [JSON.stringify(k).slice(0, 40), k] as const))(
    'key %s in dry-run and trigger bodies: refused or inert',
    async (_id, key) => {
      const dryRun = await post(
        '/rules/dry-run',
        JSON.stringify(change({})).replace('"record":{', `"record":{${JSON.stringify(key)}:"x",`),
      );
      expect(dryRun.status === 200 || isCleanError(dryRun.status, dryRun.body, dryRun.text)).toBe(true);
      const trigger = await post(
        '/rules/patch-linux-host/trigger',
        `{${JSON.stringify(key)}:{"polluted":"yes"},"table":"change_request","sys_id":"${'a'.repeat(32)}"}`,
      );
      expect(isCleanError(trigger.status, trigger.body, trigger.text)).toBe(true);
    },
  );
});

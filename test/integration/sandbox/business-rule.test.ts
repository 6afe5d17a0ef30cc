import express from 'express';
import type { AddressInfo } from 'node:net';
import type { Server } from 'node:http';
import { ticketEventSchema, type TicketEvent } from '../../../src/engine/event.schema';
import { verifyWebhook } from '../../../src/security/webhook-signature';
import { eventually, SANDBOX_DEFAULTS, startSandbox, type RunningSandbox } from './sandbox-harness';

/** One delivery as the receiver saw it. */
interface Delivery {
  headers: Record<string, string | string[] | undefined>;
  raw: Buffer;
  event: TicketEvent;
  verdict: ReturnType<typeof verifyWebhook>;
}

/** A tiny webhook receiver on port 0 that records every delivery, verified and parsed, answering after `delayMs`. */
async function startReceiver(
  status = 202,
  delayMs = 0,
): Promise<{ url: string; deliveries: Delivery[]; close(): Promise<void> }> {
  const deliveries: Delivery[] = [];
  const app = express();
  app.post('/webhooks/servicenow', express.raw({ type: '*/*' }), (req, res) => {
    const raw = req.body as Buffer;
    const verdict = verifyWebhook(
      SANDBOX_DEFAULTS.webhookSecret,
      { timestamp: req.get('X-Snowline-Timestamp'), signature: req.get('X-Snowline-Signature') },
      raw,
    );
    deliveries.push({
      headers: req.headers,
      raw,
      event: ticketEventSchema.parse(JSON.parse(raw.toString('utf8'))),
      verdict,
    });
    setTimeout(() => res.status(status).end(), delayMs);
  });
  const server: Server = await new Promise((resolve) => {
    const started = app.listen(0, '127.0.0.1', () => resolve(started));
  });
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/webhooks/servicenow`;
  return { url, deliveries, close: () => new Promise((resolve) => server.close(() => resolve())) };
}

let s: RunningSandbox;
let receiver: Awaited<ReturnType<typeof startReceiver>>;
afterEach(async () => {
  await s.sandbox.close();
  await receiver.close();
});

describe('Business Rule emulation (servicenow-behaviour §6.1)', () => {
  it('an insert posts a signed ticket event with the Business Rule headers', async () => {
    receiver = await startReceiver();
    s = await startSandbox({ webhooksEnabled: true, webhookUrl: receiver.url });
    const created = (
      await s.snow.post('/api/now/table/incident', {
        short_description: 'nginx is down on web-01',
        cmdb_ci: 'web-01',
        work_notes: 'opened by monitoring',
      })
    ).data.result;
    const [delivery] = await eventually(() => (receiver.deliveries.length > 0 ? receiver.deliveries : undefined));
    expect(delivery!.verdict).toMatchObject({ ok: true });
    expect(delivery!.headers['content-type']).toBe('application/json');
    expect(delivery!.headers['user-agent']).toBe('ServiceNow/1.0');
    const { event } = delivery!;
    expect(event).toMatchObject({
      event: 'inserted',
      table: 'incident',
      sys_id: created.sys_id,
      number: 'INC0010001',
      sys_mod_count: 0,
      sys_updated_on: created.sys_updated_on,
      sys_updated_by: 'admin',
    });
    expect(event.changed_fields).toEqual(
      expect.arrayContaining(['short_description', 'cmdb_ci', 'number', 'state', 'work_notes']),
    );
    expect(event.record).toMatchObject({
      short_description: 'nginx is down on web-01',
      cmdb_ci: created.cmdb_ci.value,
      state: '1',
      priority: '5',
      sys_class_name: 'incident',
    });
    // Raw values only, and no journal fields.
    expect(Object.values(event.record).every((v) => typeof v === 'string')).toBe(true);
    expect(event.record).not.toHaveProperty('work_notes');
  });

  it('updates of one record arrive in order, with the changed fields of each', async () => {
    receiver = await startReceiver();
    s = await startSandbox({ webhooksEnabled: true, webhookUrl: receiver.url });
    const { sys_id } = (await s.snow.post('/api/now/table/incident', { short_description: 'x' })).data.result;
    await s.snow.patch(`/api/now/table/incident/${sys_id}`, { state: '2' });
    await s.snow.patch(`/api/now/table/incident/${sys_id}`, { work_notes: 'looking' });
    await s.snow.patch(`/api/now/table/incident/${sys_id}`, { urgency: '1' });
    const deliveries = await eventually(() => (receiver.deliveries.length >= 4 ? receiver.deliveries : undefined));
    expect(deliveries.map((d) => [d.event.event, d.event.sys_mod_count, d.event.changed_fields])).toEqual([
      ['inserted', 0, expect.any(Array)],
      ['updated', 1, ['state', 'incident_state']],
      ['updated', 2, ['work_notes']],
      ['updated', 3, ['priority', 'urgency']],
    ]);
  });

  it('change_request and problem fire too; other tables and deletes do not', async () => {
    receiver = await startReceiver();
    s = await startSandbox({ webhooksEnabled: true, webhookUrl: receiver.url });
    await s.snow.post('/api/now/table/change_request', { short_description: 'patch web-01' });
    await s.snow.post('/api/now/table/sys_user', { user_name: 'new.user' });
    const problem = (await s.snow.post('/api/now/table/problem', { short_description: 'recurring nginx crash' })).data
      .result;
    await s.snow.delete(`/api/now/table/problem/${problem.sys_id}`);
    await eventually(() => (receiver.deliveries.length >= 2 ? true : undefined));
    await new Promise((resolve) => setTimeout(resolve, 100));
    expect(receiver.deliveries.map((d) => [d.event.table, d.event.number])).toEqual([
      ['change_request', 'CHG0030001'],
      ['problem', 'PRB0040001'],
    ]);
  });

  it("async rule: a slow receiver does not hold the API call, and one record's events wait for each other", async () => {
    receiver = await startReceiver(202, 800);
    s = await startSandbox({ webhooksEnabled: true, webhookUrl: receiver.url });
    const started = Date.now();
    const { sys_id } = (await s.snow.post('/api/now/table/incident', { short_description: 'x' })).data.result;
    await s.snow.patch(`/api/now/table/incident/${sys_id}`, { state: '2' });
    expect(Date.now() - started).toBeLessThan(600);
    await eventually(() => (receiver.deliveries.length === 1 ? true : undefined));
    // The update's delivery starts only once the insert's has been answered.
    await new Promise((resolve) => setTimeout(resolve, 150));
    expect(receiver.deliveries).toHaveLength(1);
    await eventually(() => (receiver.deliveries.length === 2 ? true : undefined));
    expect(receiver.deliveries.map((d) => d.event.event)).toEqual(['inserted', 'updated']);
  });

  it('no retry: a refused delivery is dropped and later events still go out', async () => {
    receiver = await startReceiver(500);
    s = await startSandbox({ webhooksEnabled: true, webhookUrl: receiver.url });
    const { sys_id } = (await s.snow.post('/api/now/table/incident', { short_description: 'x' })).data.result;
    await eventually(() => (receiver.deliveries.length === 1 ? true : undefined));
    await s.snow.patch(`/api/now/table/incident/${sys_id}`, { state: '2' });
    await eventually(() => (receiver.deliveries.length === 2 ? true : undefined));
    await new Promise((resolve) => setTimeout(resolve, 100));
    expect(receiver.deliveries.map((d) => d.event.sys_mod_count)).toEqual([0, 1]);
  });

  it('switched off (webhooksEnabled false), nothing is posted', async () => {
    receiver = await startReceiver();
    s = await startSandbox({ webhooksEnabled: false, webhookUrl: receiver.url });
    await s.snow.post('/api/now/table/incident', { short_description: 'x' });
    await new Promise((resolve) => setTimeout(resolve, 150));
    expect(receiver.deliveries).toEqual([]);
  });

  it('an unreachable receiver does not affect the API call', async () => {
    receiver = await startReceiver();
    await receiver.close();
    s = await startSandbox({ webhooksEnabled: true, webhookUrl: receiver.url });
    const res = await s.snow.post('/api/now/table/incident', { short_description: 'x' });
    expect(res.status).toBe(201);
    receiver = { ...receiver, close: async () => undefined };
  });
});

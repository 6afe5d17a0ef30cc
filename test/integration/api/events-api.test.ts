import request from 'supertest';
import { API_BASE } from '../../../src/api/http-app';
import { runCli } from '../../helpers/run-cli';
import { apiHarness, tokenFor } from './api-harness';

/** Operators list inbox events by state and replay rejected ones, through the API and the CLI. */
describe('events API and snowline events', () => {
  let h: Awaited<ReturnType<typeof apiHarness>>;
  const viewer = `Bearer ${tokenFor('vic', ['viewer'])}`;
  const operator = `Bearer ${tokenFor('olga', ['operator'])}`;

  beforeEach(async () => {
    h = await apiHarness();
  });
  afterEach(() => h.close());

  /** One rejected event (as the dispatcher leaves a poison event) and one done. */
  async function seed() {
    const base = {
      table_name: 'incident',
      kind: 'inserted',
      source: 'webhook',
      payload: '{}',
      correlation_id: 'c-1',
      received_at: Date.parse('2026-11-28T09:00:00Z'),
      mod_count: 0,
    };
    await h.store.repos.inbox.append({
      ...base,
      event_key: `incident:${'a'.repeat(32)}:0`,
      sys_id: 'a'.repeat(32),
      number: 'INC0010001',
    });
    await h.store.repos.inbox.append({
      ...base,
      event_key: `incident:${'b'.repeat(32)}:0`,
      sys_id: 'b'.repeat(32),
      number: 'INC0010002',
    });
    const [second, first] = await h.store.repos.inbox.list({ limit: 10 });
    await h.store.repos.inbox.settle(first!.seq, 'done', 'runs: 1', Date.parse('2026-11-28T09:00:01Z'));
    await h.store.repos.inbox.settle(
      second!.seq,
      'rejected',
      'rule restart: template "{{ ticket.cmdb_ci | nope }}" failed: undefined filter: nope',
      Date.parse('2026-11-28T09:00:01Z'),
    );
    return { rejected: second!.seq, done: first!.seq };
  }

  it('lists events by state and ticket for a viewer, with the reason a rejected one waits', async () => {
    const { rejected } = await seed();
    const res = await request(h.app).get(`${API_BASE}/events?state=rejected`).set('Authorization', viewer);
    expect(res.status).toBe(200);
    expect(res.body).toEqual({
      events: [
        expect.objectContaining({
          id: rejected,
          table: 'incident',
          sys_id: 'b'.repeat(32),
          ticket: 'INC0010002',
          sys_mod_count: 0,
          state: 'rejected',
          reason: expect.stringContaining('undefined filter: nope'),
          received_at: '2026-11-28T09:00:00.000Z',
          processed_at: '2026-11-28T09:00:01.000Z',
        }),
      ],
    });
    const byTicket = await request(h.app).get(`${API_BASE}/events?ticket=INC0010001`).set('Authorization', viewer);
    expect(byTicket.body.events.map((e: { state: string }) => e.state)).toEqual(['done']);
    const bad = await request(h.app).get(`${API_BASE}/events?state=lost`).set('Authorization', viewer);
    expect(bad.status).toBe(400);
    expect(JSON.stringify(bad.body)).toContain('state');
  });

  it('replays a rejected event for an operator (audited), refuses a viewer and any event not rejected', async () => {
    const { rejected, done } = await seed();
    expect(
      (await request(h.app).post(`${API_BASE}/events/${rejected}/replay`).set('Authorization', viewer)).status,
    ).toBe(403);
    const res = await request(h.app).post(`${API_BASE}/events/${rejected}/replay`).set('Authorization', operator);
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({
      id: rejected,
      state: 'pending',
      reason: expect.stringMatching(/^replayed by olga/),
    });
    expect((await h.store.repos.inbox.pending(10)).map((e) => e.seq)).toEqual([rejected]);
    const [entry] = await h.store.repos.audit.list({ subject: 'INC0010002', limit: 5 });
    expect(entry).toMatchObject({ kind: 'event.replayed', actor: 'olga' });

    const again = await request(h.app).post(`${API_BASE}/events/${done}/replay`).set('Authorization', operator);
    expect(again.status).toBe(409);
    expect(again.body).toMatchObject({ error: { code: 'event.not_replayable' } });
    expect((await request(h.app).post(`${API_BASE}/events/999999/replay`).set('Authorization', operator)).status).toBe(
      404,
    );
  });

  it('is in the OpenAPI document', async () => {
    const res = await request(h.app).get(`${API_BASE}/openapi.json`);
    expect(Object.keys(res.body.paths)).toEqual(
      expect.arrayContaining(['/api/v1/events', '/api/v1/events/{id}/replay']),
    );
  });

  it('snowline events list shows a table (or --json) and replay sends a rejected event back', async () => {
    const { rejected } = await seed();
    const env = { SNOWLINE_DB: h.store.options.sqlitePath };
    const table = await runCli(['events', 'list', '--state', 'rejected'], env);
    expect(table.code).toBe(0);
    expect(table.stdout.split('\n')[0]).toMatch(/^ID\s+TICKET\s+TABLE\s+MOD\s+STATE\s+RECEIVED\s+REASON$/);
    expect(table.stdout).toMatch(
      new RegExp(`^${rejected}\\s+INC0010002\\s+incident\\s+0\\s+rejected\\s+2026-11-28 09:00:00\\s+rule restart`, 'm'),
    );
    const json = await runCli(['events', 'list', '--json'], env);
    expect(JSON.parse(json.stdout).events.map((e: { ticket: string }) => e.ticket)).toEqual([
      'INC0010002',
      'INC0010001',
    ]);

    const replay = await runCli(['events', 'replay', String(rejected)], env);
    expect(replay).toMatchObject({ code: 0, stdout: `event ${rejected} (INC0010002) replayed: pending\n` });
    const twice = await runCli(['events', 'replay', String(rejected)], env);
    expect(twice.code).toBe(1);
    expect(twice.stderr).toContain('only rejected events can be replayed');
  }, 180_000);
});

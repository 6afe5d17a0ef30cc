import { markWatchingSince } from '../../../src/engine/event-versions';
import type { TicketLookups } from '../../../src/engine/ticket-lookups';
import { ConnectorError } from '../../../src/errors';
import type { TicketEvent } from '../../../src/engine/event.schema';
import { ENGINES, openTestStore, type TestStore } from '../../helpers/stores';
import { buildEngine, incidentEvent } from './harness';

/**
 * Issue "Exactly once under faults", the engine's part: each case is a fault that lost, blocked or
 * misreported work before, asserted from what an operator sees (runs, events, the ticket's PATCHes).
 */
// Each case settles a virtual quarter hour or more against a real store: on a shared, loaded PostgreSQL that outlasts 30 s.
jest.setTimeout(180_000);

const MAPPING = `
table: incident
rules:
  - id: restart
    description: Restart a service reported down
    owner: Linux Ops
    risk: low
    on: [inserted]
    condition: short_descriptionLIKEis down on
    steps:
      - { name: restart, use: fake.launch, with: { host: web-01 } }
    writeback:
      success: { work_note: "restarted ({{ rule.id }})", fields: { state: "6" } }
  - id: route-by-ci
    description: Route by the CI, which the ticket must name
    owner: Service Desk
    risk: low
    on: [inserted, updated]
    condition: short_descriptionLIKEroute me
    params: { ci: "{{ ticket.cmdb_ci }}" }
    steps:
      - { name: route, use: fake.launch, with: { host: "{{ params.ci }}" } }
`;

const SYS_ID = 'a'.repeat(32);

/** A later version of a ticket, as the Business Rule posts it for an update. */
const version = (modCount: number, record: Record<string, string> = {}, sysId = SYS_ID): TicketEvent => ({
  ...incidentEvent(sysId, { sys_created_on: '2026-11-28 08:59:00', ...record }),
  event: modCount === 0 ? 'inserted' : 'updated',
  sys_mod_count: modCount,
  sys_updated_on: `2026-11-28 09:0${modCount}:00`,
  changed_fields: modCount === 0 ? [] : ['description'],
});

describe.each(ENGINES)('exactly once under faults, on %s', (engine) => {
  let t: TestStore;
  beforeEach(async () => {
    t = await openTestStore(engine);
  });
  afterEach(() => t.close());

  const eventsOf = async (state: string) => t.repos.inbox.list({ state: state as never, limit: 50 });

  describe('lost inserts', () => {
    it('acts on the insert when the first version Snowline sees of a record arrives as an update', async () => {
      const e = buildEngine(t, MAPPING);
      await markWatchingSince(t.repos, Date.parse('2026-11-28T08:00:00Z'));
      // The insert's webhook was lost; the edit's arrives.
      await e.intake.accept(version(1), 'webhook');
      await e.settle();
      const run = await e.onlyRun('INCaaaaaaa');
      expect(run).toMatchObject({ rule_id: 'restart', state: 'succeeded' });
      expect(e.backend.jobs.size).toBe(1);

      // The insert's webhook, delivered late by a retry, is older than what was acted on: nothing twice.
      await e.intake.accept(version(0), 'webhook');
      await e.settle();
      expect(e.backend.jobs.size).toBe(1);
      expect(await eventsOf('superseded')).toEqual([
        expect.objectContaining({
          mod_count: 0,
          note: expect.stringMatching(/arrived after version 1 of INCaaaaaaa had been dispatched/),
        }),
      ]);
    });

    it('counts a polled version the same way: the poller found the record already edited', async () => {
      const e = buildEngine(t, MAPPING);
      await e.intake.accept({ ...version(3), changed_fields: [] }, 'poll');
      await e.settle();
      expect((await e.onlyRun('INCaaaaaaa')).rule_id).toBe('restart');
    });

    it('does not take an update of a ticket older than Snowline for its insert', async () => {
      const e = buildEngine(t, MAPPING);
      await markWatchingSince(t.repos, Date.parse('2026-11-28T08:00:00Z'));
      await e.intake.accept(version(4, { sys_created_on: '2025-06-01 10:00:00' }), 'webhook');
      await e.settle();
      expect(await t.repos.runs.list({ limit: 10 })).toEqual([]);
    });

    it('acts on an insert once when a poll also reports a later version as inserted', async () => {
      const e = buildEngine(t, MAPPING);
      await e.intake.accept(version(0), 'webhook');
      await e.intake.accept({ ...version(1), event: 'inserted' }, 'poll');
      await e.settle();
      expect(e.backend.jobs.size).toBe(1);
    });
  });

  describe('versions in sys_mod_count order', () => {
    it('records an older version arriving after a newer one was dispatched as superseded, and acts on it not', async () => {
      const e = buildEngine(t, MAPPING);
      const sysId = 'b'.repeat(32);
      await e.intake.accept(version(0, { short_description: 'please route me' }, sysId), 'webhook');
      await e.intake.accept(version(2, { short_description: 'please route me', cmdb_ci: 'db-02' }, sysId), 'webhook');
      await e.dispatch();
      const runsBefore = await t.repos.runs.list({ limit: 10 });
      // Version 1 was delayed in transit and comes after version 2 was dispatched.
      await e.intake.accept(version(1, { short_description: 'please route me', cmdb_ci: 'db-01' }, sysId), 'webhook');
      await e.settle();
      expect((await t.repos.runs.list({ limit: 10 })).length).toBe(runsBefore.length);
      expect([...e.backend.jobs.values()].map((j) => j.host)).not.toContain('db-01');
      const [superseded] = await eventsOf('superseded');
      expect(superseded).toMatchObject({ mod_count: 1, processed_at: expect.any(Number) });
    });
  });

  describe('poison events', () => {
    it('rejects an event whose run cannot be built, once, with its reason and one work note; later versions go on', async () => {
      const e = buildEngine(t, MAPPING);
      const sysId = 'c'.repeat(32);
      // No CI: the rule's params cannot render, now or on any retry.
      await e.intake.accept(version(0, { short_description: 'please route me' }, sysId), 'webhook');
      await e.settle();
      const [rejected] = await eventsOf('rejected');
      expect(rejected).toMatchObject({ mod_count: 0, note: expect.stringMatching(/^rule route-by-ci: .*cmdb_ci/) });
      expect(await t.repos.inbox.pending(10)).toEqual([]);
      const notes = e.instance.patches.filter((p) => p.sysId === sysId).map((p) => p.fields.work_notes ?? '');
      expect(notes).toHaveLength(1);
      expect(notes[0]).toMatch(/could not act on this update for rule route-by-ci/);
      expect(notes[0]).toContain(`replay event ${rejected!.seq}`);
      expect(await e.metrics.registry.getSingleMetricAsString('snowline_events_rejected_total')).toMatch(
        /snowline_events_rejected_total\{table="incident",code="template.render_failed"\} 1/,
      );

      // The next version of the same ticket is not held behind the dead one.
      await e.intake.accept(version(1, { short_description: 'please route me', cmdb_ci: 'db-03' }, sysId), 'webhook');
      await e.settle();
      expect((await e.onlyRun('INCccccccc')).state).toBe('succeeded');
      expect(e.instance.patches.filter((p) => p.sysId === sysId)).toHaveLength(1);
    });

    it('retries an event whose lookups fail for a reason that may pass, with backoff, and rejects it at the deadline', async () => {
      let down = true;
      let reads = 0;
      const lookups: TicketLookups = {
        latestWorkNote: async () => undefined,
        groupsOf: async () => [],
        async readRecord() {
          reads += 1;
          if (down) throw new ConnectorError('servicenow', 'transient', 'unavailable', '503 Service Unavailable');
          return { vip: 'true' };
        },
      };
      const vipMapping = MAPPING.replace('condition: short_descriptionLIKEis down on', 'condition: caller_id.vip=true');
      const e = buildEngine(t, vipMapping, { lookups });
      await e.intake.accept(version(0, { caller_id: 'd'.repeat(32) }), 'webhook');
      await e.dispatch();
      const [retrying] = await t.repos.inbox.list({ state: 'pending', limit: 10 });
      expect(retrying).toMatchObject({ attempts: 1, note: expect.stringMatching(/attempt 1 failed.*503/) });
      expect(retrying!.next_at).toBeGreaterThan(e.clock.now);

      down = false;
      await e.settle(5 * 60_000);
      expect((await e.onlyRun('INCaaaaaaa')).state).toBe('succeeded');

      // A second ticket whose lookups never come back is rejected once its deadline (30 min here) passed.
      down = true;
      await e.intake.accept(version(0, { caller_id: 'd'.repeat(32) }, 'e'.repeat(32)), 'webhook');
      const readsBefore = reads;
      await e.settle(40 * 60_000);
      const [gaveUp] = await eventsOf('rejected');
      expect(gaveUp).toMatchObject({
        number: 'INCeeeeeee',
        note: expect.stringMatching(/^gave up after \d+ attempts/),
      });
      // Backoff (up to a minute, jittered): about one try in 30 s over the half hour, not one per 15 s tick.
      expect(reads - readsBefore).toBeLessThan(80);
    });

    it('replays a rejected event once its cause is fixed: the rule that could not act acts, nothing twice', async () => {
      const e = buildEngine(t, MAPPING);
      const sysId = 'f'.repeat(32);
      await e.intake.accept(
        version(0, { short_description: 'nginx is down on web-01, please route me' }, sysId),
        'webhook',
      );
      await e.settle();
      // restart ran; route-by-ci could not (no CI).
      expect((await t.repos.runs.list({ limit: 10 })).map((r) => r.rule_id)).toEqual(['restart']);
      const [rejected] = await eventsOf('rejected');
      // The fix: the CI is filled in on the stored version (as an operator's data repair would).
      const payload = JSON.parse(rejected!.payload) as TicketEvent;
      payload.record.cmdb_ci = 'web-09';
      await t.store.db
        .updateTable('inbox_events')
        .set({ payload: JSON.stringify(payload) })
        .where('seq', '=', rejected!.seq)
        .execute();
      expect(
        await t.store.db.transaction().execute((trx) => t.repos.inbox.replay(trx, rejected!.seq, 'replayed by ops')),
      ).toBe(true);
      await e.settle();
      expect((await t.repos.runs.list({ limit: 10 })).map((r) => r.rule_id).sort()).toEqual(['restart', 'route-by-ci']);
      expect(e.backend.jobs.size).toBe(2);
      expect((await t.repos.inbox.get(rejected!.seq))!.status).toBe('done');
    });
  });

  describe('retries bounded by time', () => {
    /** The controller refuses every launch while `down`. */
    function outage(e: ReturnType<typeof buildEngine>) {
      const state = { down: true, calls: 0 };
      const realStart = e.backend.handler.start;
      e.backend.handler.start = async (params, ctx) => {
        state.calls += 1;
        if (state.down) throw new ConnectorError('fake', 'transient', 'unavailable', '503 Service Unavailable');
        return realStart(params, ctx);
      };
      return state;
    }

    it('retries a step through an outage longer than any count of attempts would survive, and says why it waits', async () => {
      const e = buildEngine(t, MAPPING, { retryDeadlineMs: 10 * 60_000 });
      const controller = outage(e);
      await e.intake.accept(version(0), 'webhook');
      await e.settle(3 * 60_000);
      const waiting = (await e.onlyRun('INCaaaaaaa')).steps[0]!;
      expect(controller.calls).toBeGreaterThan(5);
      expect(waiting.state).toBe('pending');
      expect(waiting.waiting_for).toMatch(/^retry \d+ at .* after a transient failure$/);

      controller.down = false;
      await e.settle(3 * 60_000);
      expect((await e.onlyRun('INCaaaaaaa')).state).toBe('succeeded');
      expect(e.backend.jobs.size).toBe(1);
    });

    it('fails the step, saying so, once the outage outlasts its deadline', async () => {
      const e = buildEngine(t, MAPPING, { retryDeadlineMs: 10 * 60_000 });
      outage(e);
      await e.intake.accept(version(0), 'webhook');
      await e.settle(15 * 60_000);
      const run = await e.onlyRun('INCaaaaaaa');
      expect(run.state).toBe('failed');
      expect(run.steps[0]!.error).toMatch(/^gave up after \d+ attempt\(s\) over \d+ s: 503 Service Unavailable$/);
    });
  });

  describe('write-backs refused for good', () => {
    it('ends the run writeback_failed, not succeeded, counts it and lists it by state', async () => {
      const e = buildEngine(t, MAPPING);
      e.instance.patch = async () => {
        throw new ConnectorError('servicenow', 'permanent', 'bad_request', '400 Bad Request: invalid field');
      };
      await e.intake.accept(version(0), 'webhook');
      await e.settle();
      const run = await e.onlyRun('INCaaaaaaa');
      expect(run.state).toBe('writeback_failed');
      expect(run.finished_at).not.toBeNull();
      expect((await t.repos.runs.list({ state: 'writeback_failed', limit: 10 })).map((r) => r.id)).toEqual([run.id]);
      expect(await t.repos.runs.list({ state: 'succeeded', limit: 10 })).toEqual([]);
      expect(await e.metrics.registry.getSingleMetricAsString('snowline_runs_finished_total')).toContain(
        'snowline_runs_finished_total{rule="restart",outcome="writeback_failed"} 1',
      );
      const audit = await t.repos.audit.list({ limit: 50 });
      expect(audit.find((a) => a.kind === 'run.writeback_failed')?.detail).toContain('400 Bad Request');
    });

    it('keeps a write-back through a ServiceNow outage longer than any count of attempts would survive', async () => {
      const e = buildEngine(t, MAPPING, { writebackDeadlineMs: 30 * 60_000 });
      const deliver = e.instance.patch;
      let refused = 0;
      e.instance.patch = async () => {
        refused += 1;
        throw new ConnectorError('servicenow', 'transient', 'unavailable', '503 Service Unavailable');
      };
      await e.intake.accept(version(0), 'webhook');
      await e.settle(20 * 60_000);
      expect(refused).toBeGreaterThan(10);
      expect((await e.onlyRun('INCaaaaaaa')).state).toBe('writing_back');

      e.instance.patch = deliver;
      await e.settle();
      expect((await e.onlyRun('INCaaaaaaa')).state).toBe('succeeded');
      expect(e.instance.patches).toHaveLength(1);
    });

    it('ends the run writeback_failed, saying so, once the outage outlasts the write-back deadline', async () => {
      const e = buildEngine(t, MAPPING, { writebackDeadlineMs: 10 * 60_000 });
      e.instance.patch = async () => {
        throw new ConnectorError('servicenow', 'transient', 'unavailable', '503 Service Unavailable');
      };
      await e.intake.accept(version(0), 'webhook');
      await e.settle(9 * 60_000);
      expect((await e.onlyRun('INCaaaaaaa')).state).toBe('writing_back');
      await e.settle(6 * 60_000);
      expect((await e.onlyRun('INCaaaaaaa')).state).toBe('writeback_failed');
      const [entry] = await t.store.db.selectFrom('outbox').selectAll().execute();
      expect(entry!.last_error).toMatch(/^gave up after \d+ attempt\(s\) over \d+ s: 503 Service Unavailable$/);
    });

    it('is writing_back while its write-back is on its way, and succeeded once delivered', async () => {
      const e = buildEngine(t, MAPPING);
      const deliver = e.instance.patch;
      e.instance.patch = async () => {
        throw new ConnectorError('servicenow', 'transient', 'unavailable', '503 Service Unavailable');
      };
      await e.intake.accept(version(0), 'webhook');
      await e.settle(0);
      const run = await e.onlyRun('INCaaaaaaa');
      expect(run.state).toBe('writing_back');
      expect(run.finished_at).toBeNull();
      e.instance.patch = deliver;
      await e.settle();
      expect((await e.onlyRun('INCaaaaaaa')).state).toBe('succeeded');
    });
  });
});

import express from 'express';
import request from 'supertest';
import { errorHandler } from '../../../src/errors/http-error';
import { authenticate } from '../../../src/api/auth.middleware';
import { mountRoutes } from '../../../src/api/route';
import { runRoutes } from '../../../src/api/runs.routes';
import type { Gate, GateContext } from '../../../src/engine/gates';
import { silentLogger } from '../../../src/observability/logger';
import { createTokenVerifier, issueToken } from '../../../src/security/jwt';
import { ENGINES, openTestStore, type TestStore } from '../../helpers/stores';
import { buildEngine, incidentEvent } from './harness';

const mapping = (ruleGates: string, stepGates: string) => `
table: incident
rules:
  - id: restart-service
    description: Restart a service that is down
    owner: Linux Ops
    risk: medium
    condition: short_descriptionLIKEis down on
    gates: ${ruleGates}
    steps:
      - name: restart
        use: fake.launch
        gates: ${stepGates}
        with: { host: web-01 }
      - name: verify
        use: fake.launch
        with: { host: web-01 }
    writeback:
      success:
        work_note: "restarted by job {{ steps.restart.job }}"
      failure:
        work_note: "not done: {{ error }}"
`;

describe.each(ENGINES)('gates before steps on %s', (engine) => {
  let t: TestStore;
  beforeEach(async () => {
    t = await openTestStore(engine);
  });
  afterEach(() => t.close());

  it('holds a step behind the approval gate until an approver approves, then runs it; who and when are audited', async () => {
    const e = buildEngine(t, mapping('[]', '[approval]'));
    await e.intake.accept(incidentEvent('a'.repeat(32)), 'webhook');
    await e.settle(30 * 60_000);
    let run = await e.onlyRun('INCaaaaaaa');
    expect(run.state).toBe('running');
    expect(run.steps[0]).toMatchObject({
      state: 'pending',
      waiting_for: 'gate approval: waiting for approval by an approver',
    });
    expect(e.backend.jobs.size).toBe(0);

    const decidedAt = e.clock.now;
    await e.control.decide(run.id, 'approved', 'beth.anglin', 'maintenance agreed with app owner');
    await e.settle(60_000);
    run = await e.onlyRun('INCaaaaaaa');
    expect(run.state).toBe('succeeded');
    expect(run.steps[0]!.waiting_for).toBeNull();
    expect(e.backend.jobs.size).toBe(2);
    expect(e.instance.patches[0]!.fields.work_notes).toContain('restarted by job 1');

    await t.repos.audit.seal();
    const audit = await t.store.db.selectFrom('audit_log').selectAll().where('kind', '=', 'run.approved').execute();
    expect(audit).toHaveLength(1);
    expect(audit[0]).toMatchObject({ actor: 'beth.anglin', at: decidedAt, subject: 'INCaaaaaaa' });
    expect(JSON.parse(audit[0]!.detail)).toMatchObject({
      runId: run.id,
      step: 'restart',
      comment: 'maintenance agreed with app owner',
    });
    // A waiting gate is journalled once, not at every recheck.
    const waits = await t.store.db.selectFrom('audit_log').select('kind').where('kind', '=', 'gate.waiting').execute();
    expect(waits).toHaveLength(1);
  });

  it('tells the ticket once that the run waits for an approver, with the waiting_approval write-back', async () => {
    const withNote = mapping('[]', '[approval]').replace(
      '    writeback:\n',
      '    writeback:\n      waiting_approval:\n        work_note: "run {{ run.id }} waits: {{ error }}"\n        fields: { state: "3" }\n',
    );
    const e = buildEngine(t, withNote);
    await e.intake.accept(incidentEvent('c'.repeat(32)), 'webhook');
    await e.settle(30 * 60_000); // long enough for several rechecks of the gate
    const run = await e.onlyRun('INCccccccc');
    expect(run.steps[0]!.waiting_for).toMatch(/^gate approval:/);
    expect(e.instance.patches).toHaveLength(1);
    expect(e.instance.patches[0]!.fields).toMatchObject({ state: '3' });
    expect(e.instance.patches[0]!.fields.work_notes).toContain(
      `run ${run.id} waits: gate approval: waiting for approval by an approver`,
    );

    await e.control.decide(run.id, 'approved', 'beth.anglin', undefined);
    await e.settle(60_000);
    expect((await e.onlyRun('INCccccccc')).state).toBe('succeeded');
    expect(e.instance.patches.map((p) => p.fields.work_notes)).toEqual([
      expect.stringContaining('waits'),
      expect.stringContaining('restarted by job 1'),
    ]);
  });

  it('ends the run refused — not failed — when the approver rejects, and writes back the reason', async () => {
    const e = buildEngine(t, mapping('[]', '[approval]'));
    await e.intake.accept(incidentEvent('b'.repeat(32)), 'webhook');
    await e.settle(60_000);
    const { id } = await e.onlyRun('INCbbbbbbb');
    await e.control.decide(id, 'rejected', 'beth.anglin', 'not during month-end close');
    await e.settle(60_000);
    const run = await e.onlyRun('INCbbbbbbb');
    expect(run.state).toBe('refused');
    expect(run.steps.map((s) => s.state)).toEqual(['refused', 'cancelled']);
    expect(run.steps[0]!.error).toBe('gate approval: rejected by beth.anglin: not during month-end close');
    expect(e.backend.jobs.size).toBe(0);
    expect(e.instance.patches).toHaveLength(1);
    expect(e.instance.patches[0]!.fields.work_notes).toContain(
      'not done: gate approval: rejected by beth.anglin: not during month-end close',
    );
  });

  it('refuses a second decision on the same step and a decision on a run without an approval gate', async () => {
    const gated = buildEngine(t, mapping('[]', '[approval]'));
    await gated.intake.accept(incidentEvent('c'.repeat(32)), 'webhook');
    await gated.settle(60_000);
    const { id } = await gated.onlyRun('INCccccccc');
    await gated.control.decide(id, 'approved', 'beth.anglin');
    await expect(gated.control.decide(id, 'rejected', 'fred.luddy')).rejects.toMatchObject({
      code: 'run.not_awaiting_approval',
    });
    const plain = buildEngine(t, mapping('[]', '[]'));
    await plain.intake.accept(incidentEvent('d'.repeat(32)), 'webhook');
    await plain.settle(1_000);
    const other = await plain.onlyRun('INCddddddd');
    await expect(plain.control.decide(other.id, 'approved', 'beth.anglin')).rejects.toMatchObject({
      code: 'run.not_awaiting_approval',
    });
  });

  it('asks a waiting gate again at the time it named, and passes what it needs: run, step, ticket and ServiceNow', async () => {
    const opensAt = 1_000_000 + 45 * 60_000;
    const seen: GateContext[] = [];
    const window: Gate = {
      name: 'change_window',
      description: 'inside the change window',
      async check(ctx) {
        seen.push(ctx);
        const change = await ctx.servicenow.getRecord('change_request', 'chg1', ['state']);
        if (change.state !== 'scheduled') return { verdict: 'refuse', reason: 'change not scheduled' };
        return ctx.now >= opensAt
          ? { verdict: 'pass' }
          : { verdict: 'wait', until: opensAt, reason: 'window opens later' };
      },
    };
    const servicenow = { getRecord: async () => ({ state: 'scheduled' }), query: async () => [] };
    const e = buildEngine(t, mapping('[change_window]', '[]'), { gates: [window], servicenow });
    await e.intake.accept(incidentEvent('e'.repeat(32)), 'webhook');
    await e.settle(60_000);
    let run = await e.onlyRun('INCeeeeeee');
    expect(run.steps[0]).toMatchObject({
      state: 'pending',
      next_at: opensAt,
      waiting_for: 'gate change_window: window opens later',
    });
    expect(seen).toHaveLength(1);
    expect(seen[0]).toMatchObject({
      run: { id: run.id, ruleId: 'restart-service', ticketNumber: 'INCeeeeeee' },
      step: { name: 'restart', use: 'fake.launch' },
    });
    expect(seen[0]!.context.ticket.short_description).toBe('nginx is down on web-01');

    await e.settle(60 * 60_000);
    run = await e.onlyRun('INCeeeeeee');
    expect(run.state).toBe('succeeded');
    expect(seen).toHaveLength(2);
    expect(e.backend.jobs.size).toBe(2);
  });

  it('keeps waiting — does not fail — while a gate cannot be checked, and refuses an unknown gate', async () => {
    let down = true;
    const flaky: Gate = {
      name: 'ci_operational',
      description: 'CI is operational',
      async check() {
        if (down) throw new Error('CMDB unreachable');
        return { verdict: 'pass' };
      },
    };
    const e = buildEngine(t, mapping('[]', '[ci_operational]'), { gates: [flaky] });
    await e.intake.accept(incidentEvent('f'.repeat(32)), 'webhook');
    await e.settle(10 * 60_000);
    expect((await e.onlyRun('INCfffffff')).steps[0]!.waiting_for).toBe(
      'gate ci_operational: could not be checked: CMDB unreachable',
    );
    down = false;
    await e.settle(2 * 60_000);
    expect((await e.onlyRun('INCfffffff')).state).toBe('succeeded');

    const unknown = buildEngine(t, mapping('[]', '[security_scan]'));
    await unknown.intake.accept(incidentEvent('1'.repeat(32)), 'webhook');
    await unknown.settle(60_000);
    const refused = await unknown.onlyRun('INC1111111');
    expect(refused.state).toBe('refused');
    expect(refused.steps[0]!.error).toBe(
      'gate security_scan: gate security_scan is not known to this Snowline instance',
    );
  });

  it('asks a waiting gate again as soon as an event arrives for its ticket, not only at the next recheck', async () => {
    let approved = false;
    const changeApproved: Gate = {
      name: 'change_approved',
      description: 'approved',
      check: async () => (approved ? { verdict: 'pass' } : { verdict: 'wait', reason: 'approval is requested' }),
    };
    const e = buildEngine(t, mapping('[change_approved]', '[]'), { gates: [changeApproved] });
    const sysId = '3'.repeat(32);
    await e.intake.accept(incidentEvent(sysId), 'webhook');
    await e.settle(0);
    const recheckAt = (await e.onlyRun('INC3333333')).steps[0]!.next_at;
    expect(recheckAt).toBe(e.clock.now - 15_000 + 60_000);
    approved = true;
    await e.intake.accept(
      { ...incidentEvent(sysId), event: 'updated', sys_mod_count: 1, changed_fields: ['approval'] },
      'webhook',
    );
    await e.settle(0);
    expect((await e.onlyRun('INC3333333')).state).toBe('succeeded');
    expect(e.clock.now).toBeLessThan(recheckAt);
  });

  it('POST /runs/{id}/approve needs the approver role and records the caller', async () => {
    const e = buildEngine(t, mapping('[]', '[approval]'));
    await e.intake.accept(incidentEvent('2'.repeat(32)), 'webhook');
    await e.settle(60_000);
    const { id } = await e.onlyRun('INC2222222');
    const jwt = { secret: 'test-secret-with-enough-length-000', issuer: 'snowline', audience: 'snowline-api' };
    const app = express();
    app.use(
      '/api/v1',
      express.json(),
      authenticate(createTokenVerifier(jwt)),
      mountRoutes(runRoutes(t.repos.runs, e.control)),
    );
    app.use(errorHandler(silentLogger()));
    const as = (role: 'operator' | 'approver') => `Bearer ${issueToken(jwt, `${role}.user`, [role], 60)}`;

    const forbidden = await request(app)
      .post(`/api/v1/runs/${id}/approve`)
      .set('Authorization', as('operator'))
      .send({});
    expect(forbidden.status).toBe(403);
    const bad = await request(app)
      .post(`/api/v1/runs/${id}/approve`)
      .set('Authorization', as('approver'))
      .send({ comment: 7 });
    expect(bad.status).toBe(400);
    const ok = await request(app)
      .post(`/api/v1/runs/${id}/approve`)
      .set('Authorization', as('approver'))
      .send({ comment: 'ok' });
    expect(ok.status).toBe(200);
    expect(ok.body.steps[0]).toMatchObject({ name: 'restart', gates: ['approval'] });
    expect(await t.repos.approvals.find(id, 'restart')).toMatchObject({
      decision: 'approved',
      actor: 'approver.user',
      comment: 'ok',
    });
  });
});

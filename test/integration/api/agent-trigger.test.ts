import request from 'supertest';
import { ServiceNowClient } from '../../../connectors/servicenow/client';
import { API_BASE, createHttpApp } from '../../../src/api/http-app';
import { ruleRoutes, type RuleRoutesDeps } from '../../../src/api/rules.routes';
import { createDispatcher } from '../../../src/engine/dispatcher';
import { serviceNowLookups } from '../../../src/engine/ticket-lookups';
import { silentLogger } from '../../../src/observability/logger';
import { createMetrics } from '../../../src/observability/metrics';
import { buildRuleSet } from '../../../src/rules/build-rule-set';
import type { RuleReloader } from '../../../src/mappings/rule-reloader';
import { createTokenVerifier } from '../../../src/security/jwt';
import { openTestStore, type TestStore } from '../../helpers/stores';
import { fakeCatalog } from '../engine/harness';
import { startSandbox, type RunningSandbox } from '../sandbox/sandbox-harness';
import { jwtOptions, tokenFor } from './api-harness';

// Linux Ops (sandbox seed: beth.anglin, admin) may restart services from the UI Action; any operator may run the health check.
const MAPPING = `
table: incident
rules:
  - id: restart-from-ui
    description: Restart a service when an agent of Linux Ops asks
    owner: Linux Ops
    risk: medium
    on: [{ manual: true, allowed_groups: [Linux Ops] }]
    steps:
      - { name: restart, use: fake.launch, with: { host: web-01 } }
  - id: health-check
    description: Look at the host
    owner: Linux Ops
    risk: low
    on: [manual]
    steps:
      - { name: look, use: fake.launch, with: { host: web-01 } }
`;

describe('the UI Action trigger on behalf of a service-desk agent', () => {
  let t: TestStore;
  let s: RunningSandbox;
  let snow: ServiceNowClient;
  let app: ReturnType<typeof createHttpApp>;
  let incident: string;
  const operator = `Bearer ${tokenFor('servicenow-ui-action', ['operator'])}`;

  beforeAll(async () => {
    t = await openTestStore('sqlite');
    s = await startSandbox();
    snow = new ServiceNowClient({ url: s.url, auth: { type: 'basic', username: 'admin', password: 'admin' } });
    const { ruleSet, problems } = buildRuleSet({ 'incident.yaml': MAPPING }, fakeCatalog);
    expect(problems).toEqual([]);
    const lookups = serviceNowLookups(snow, { groupCacheMs: 0 });
    const rules = { current: () => ruleSet!, status: () => ({ version: ruleSet!.version }) } as unknown as RuleReloader;
    const dispatcher = createDispatcher({
      store: t.store,
      repos: t.repos,
      rules: rules.current,
      integrationUser: 'admin',
      lookups,
      logger: silentLogger(),
      metrics: createMetrics(),
    });
    const ruleDeps: RuleRoutesDeps = {
      rules,
      catalog: fakeCatalog,
      versions: t.repos.ruleVersions,
      dispatcher,
      lookups,
    };
    app = createHttpApp({
      logger: silentLogger(),
      metrics: createMetrics(),
      verifier: createTokenVerifier(jwtOptions),
      bodyLimitBytes: 4096,
      version: 'test',
      corsOrigins: [],
      rateLimitPerMinute: 1000,
      readiness: async () => ({ ready: true, checks: {} }),
      routes: ruleRoutes(ruleDeps),
    });
    incident = (await snow.insert('incident', { short_description: 'nginx is down on web-01' })).sys_id as string;
  });
  afterAll(async () => {
    await snow.close();
    await s.sandbox.close();
    await t.close();
  });

  const trigger = (rule: string, body: Record<string, unknown>) =>
    request(app)
      .post(`${API_BASE}/rules/${rule}/trigger`)
      .set('Authorization', operator)
      .send({ table: 'incident', sys_id: incident, ...body });

  it('runs the rule for an agent in an allowed group, naming the agent in the audit journal', async () => {
    const res = await trigger('restart-from-ui', { requested_by: 'beth.anglin' });
    expect(res.status).toBe(200);
    expect(res.body.runId).toEqual(expect.any(String));
    const [entry] = await t.repos.audit.between({ from: 0, to: Date.now() + 1000, kind: 'rule.triggered', limit: 10 });
    expect(entry).toMatchObject({ actor: 'beth.anglin' });
    expect(JSON.parse(entry!.detail)).toMatchObject({ rule: 'restart-from-ui', via: 'servicenow-ui-action' });
  });

  it('refuses an agent in none of the groups with 403 and the reason, and audits the refusal', async () => {
    const res = await trigger('restart-from-ui', { requested_by: 'abel.tuter' });
    expect(res.status).toBe(403);
    expect(res.body.error).toMatchObject({
      code: 'rule.trigger_forbidden',
      message: 'abel.tuter is in none of the groups allowed to trigger rule restart-from-ui (Linux Ops)',
    });
    const refusals = await t.repos.audit.between({
      from: 0,
      to: Date.now() + 1000,
      kind: 'rule.trigger_refused',
      limit: 10,
    });
    expect(refusals.map((r) => [r.actor, JSON.parse(r.detail).via, JSON.parse(r.detail).reason])).toEqual([
      ['abel.tuter', 'servicenow-ui-action', res.body.error.message],
    ]);
    expect(await t.repos.runs.list({ limit: 10 })).toHaveLength(1);
  });

  it('refuses a request that names no agent for a rule limited to groups, and rejects a malformed user name', async () => {
    const anonymous = await trigger('restart-from-ui', {});
    expect(anonymous.status).toBe(403);
    expect(anonymous.body.error.message).toBe(
      'rule restart-from-ui may only be triggered on behalf of a member of Linux Ops; the request names no agent (requested_by)',
    );
    const injected = await trigger('restart-from-ui', { requested_by: 'abel.tuter^ORuser_nameISNOTEMPTY' });
    expect(injected.status).toBe(400);
    expect(injected.body.error.details).toEqual([expect.objectContaining({ path: 'requested_by' })]);
  });

  it.each([
    'javascript:gs.getUserName()',
    ' JavaScript:gs.getUserID()',
    'beth.anglin^NQuser_nameISNOTEMPTY',
    'beth*',
    'user_name=admin',
    'a,b',
  ])('refuses the identity %j with 400 naming requested_by, before any lookup and without a run', async (value) => {
    const runsBefore = (await t.repos.runs.list({ limit: 100 })).length;
    const res = await trigger('restart-from-ui', { requested_by: value });
    expect(res.status).toBe(400);
    expect(res.body.error.details).toEqual([expect.objectContaining({ path: 'requested_by' })]);
    expect(await t.repos.runs.list({ limit: 100 })).toHaveLength(runsBefore);
  });

  it('takes the agent as a sys_user sys_id too', async () => {
    const [beth] = (await snow.query('sys_user', { query: 'user_name=beth.anglin', fields: ['sys_id'] })).rows;
    expect((await trigger('restart-from-ui', { requested_by: beth!.sys_id })).status).toBe(200);
    const unknown = await trigger('restart-from-ui', { requested_by: 'f'.repeat(32) });
    expect(unknown.status).toBe(403);
    expect(unknown.body.error.message).toBe(`requested_by ${'f'.repeat(32)} is not a user of the instance`);
    const refusals = await t.repos.audit.between({
      from: 0,
      to: Date.now() + 1000,
      kind: 'rule.trigger_refused',
      limit: 10,
    });
    expect(refusals.at(-1)).toMatchObject({ actor: 'f'.repeat(32) });
  });

  it('still lets any operator (or agent) run a rule with the plain manual trigger', async () => {
    expect((await trigger('health-check', {})).status).toBe(200);
    expect((await trigger('health-check', { requested_by: 'abel.tuter' })).status).toBe(200);
  });
});

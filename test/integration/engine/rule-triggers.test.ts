import { connectors } from '../../../connectors/registry';
import { createDispatcher } from '../../../src/engine/dispatcher';
import type { TicketLookups } from '../../../src/engine/ticket-lookups';
import type { TicketEvent } from '../../../src/engine/event.schema';
import { createIntake } from '../../../src/ingest/intake';
import { silentLogger } from '../../../src/observability/logger';
import { createMetrics } from '../../../src/observability/metrics';
import { mappingCatalog } from '../../../src/rules/catalog';
import { loadRuleSet } from '../../../src/mappings/mapping-files';
import { ENGINES, openTestStore, type TestStore } from '../../helpers/stores';

// The shipped mapping tables (mappings/), so these tests also hold the shipped rules to their word.
const { ruleSet } = loadRuleSet('mappings', mappingCatalog(connectors));

const INCIDENT = 'a'.repeat(32);
const PROBLEM = 'b'.repeat(32);
const CALLER = 'c'.repeat(32);

/** A ServiceNow that knows one work note, two agents' groups and one caller; counts reads. */
function fakeLookups(workNote?: { text: string; user: string }) {
  const reads: string[] = [];
  const groups: Record<string, string[]> = {
    'fred.luddy': ['Linux Ops'],
    'beth.anglin': ['Network'],
    'sam.sorokin': ['Security Operations'],
  };
  const records: Record<string, Record<string, string>> = {
    [`sys_user:${CALLER}`]: { locked_out: 'true' },
    [`problem:${PROBLEM}`]: {
      sys_id: PROBLEM,
      number: 'PRB0040001',
      active: 'true',
      category: 'software',
      short_description: 'compromised account jdoe',
      sys_mod_count: '3',
    },
  };
  const lookups: TicketLookups = {
    latestWorkNote: async () => workNote,
    groupsOf: async (user) => groups[user] ?? [],
    readRecord: async (table, sysId) => {
      reads.push(`${table}:${sysId}`);
      return records[`${table}:${sysId}`];
    },
  };
  return { lookups, reads };
}

const incident = (overrides: Partial<TicketEvent> & { record?: Record<string, string> } = {}): TicketEvent => ({
  event: 'inserted',
  table: 'incident',
  sys_id: INCIDENT,
  number: 'INC0010001',
  sys_mod_count: 0,
  sys_updated_on: '2026-12-01 09:00:00',
  sys_updated_by: 'fred.luddy',
  changed_fields: [],
  ...overrides,
  record: {
    sys_id: INCIDENT,
    number: 'INC0010001',
    active: 'true',
    state: '1',
    priority: '3',
    category: 'software',
    short_description: 'nginx is down on web-01',
    ...overrides.record,
  },
});

describe.each(ENGINES)('triggers and modes of the shipped rules on %s', (engine) => {
  let t: TestStore;
  beforeEach(async () => {
    t = await openTestStore(engine);
  });
  afterEach(() => t.close());

  async function dispatchAll(events: TicketEvent[], lookups?: TicketLookups) {
    const metrics = createMetrics();
    const intake = createIntake({ inbox: t.repos.inbox, metrics, onAccepted: () => undefined });
    const dispatcher = createDispatcher({
      store: t.store,
      repos: t.repos,
      rules: () => ruleSet!,
      integrationUser: 'snowline',
      lookups,
      logger: silentLogger(),
      metrics,
    });
    for (const e of events) await intake.accept(e, 'webhook');
    for (const e of await t.repos.inbox.pending(100)) await dispatcher.dispatch(e);
    const runs = await t.repos.runs.list({ limit: 100 });
    const audit = await t.repos.audit.list({ limit: 100 });
    const outbox = await t.store.db.selectFrom('outbox').selectAll().execute();
    return { dispatcher, runs, audit, outbox };
  }

  it('an insert fires the insert rule, pinned to the loaded version', async () => {
    const { runs } = await dispatchAll([incident()]);
    expect(runs.map((r) => [r.rule_id, r.rule_version])).toEqual([['restart-service-when-down', ruleSet!.version]]);
  });

  it('a shadow rule records what it would have run and runs and writes nothing', async () => {
    const { runs, audit, outbox } = await dispatchAll([
      incident({ record: { short_description: 'unreachable: vm-eu-17' } }),
    ]);
    expect(runs).toEqual([]);
    expect(outbox).toEqual([]);
    const shadow = audit.find((a) => a.kind === 'rule.shadow');
    expect(JSON.parse(shadow!.detail)).toMatchObject({
      rule: 'reboot-unreachable-cloud-vm',
      wouldRun: { params: { instance: 'vm-eu-17' }, steps: [{ name: 'reboot', use: 'ansible.launch_job_template' }] },
    });
  });

  it('a change of priority to 1 makes the suggest rule post its offer with the command, and runs nothing', async () => {
    const update = (priority: string, changed: string[], modCount: number) =>
      incident({
        event: 'updated',
        sys_mod_count: modCount,
        changed_fields: changed,
        record: { priority, short_description: 'payment service slow' },
      });
    const { runs, outbox } = await dispatchAll([
      update('2', ['priority'], 1),
      update('1', ['state'], 2),
      update('1', ['priority'], 3),
    ]);
    expect(runs).toEqual([]);
    expect(outbox).toHaveLength(1);
    const note = JSON.parse(outbox[0]!.fields).work_notes as string;
    expect(note).toContain('Snowline suggests automation suggest-restart-on-priority-1');
    expect(note).toContain('/automate restart-now service=<service> host=<host>');
  });

  it('a suggest rule offers itself once per ticket, not again each time the ticket matches anew', async () => {
    const other = 'd'.repeat(32);
    const update = (sysId: string, number: string, priority: string, modCount: number) =>
      incident({
        event: 'updated',
        sys_id: sysId,
        number,
        sys_mod_count: modCount,
        changed_fields: ['priority'],
        record: { sys_id: sysId, number, priority, short_description: 'payment service slow' },
      });
    // Priority 1, back to 2, then 1 again: the rule matches twice on the first ticket.
    const { outbox, audit } = await dispatchAll([
      update(INCIDENT, 'INC0010001', '1', 1),
      update(INCIDENT, 'INC0010001', '2', 2),
      update(INCIDENT, 'INC0010001', '1', 3),
      update(other, 'INC0010002', '1', 1),
    ]);
    expect(outbox.map((o) => o.ticket_number).sort()).toEqual(['INC0010001', 'INC0010002']);
    expect(
      audit
        .filter((a) => a.kind === 'rule.suggested')
        .map((a) => a.subject)
        .sort(),
    ).toEqual(['INC0010001', 'INC0010002']);
    expect(await t.repos.suggestions.forTicket('incident', INCIDENT)).toEqual([
      expect.objectContaining({ rule_id: 'suggest-restart-on-priority-1', event_key: 'incident:' + INCIDENT + ':1' }),
    ]);
  });

  it('a work-note command runs when the agent is in an allowed group, with the arguments typed', async () => {
    const { lookups } = fakeLookups({
      text: 'Tried by hand.\n/automate restart-service service=NGINX host=web-02',
      user: 'fred.luddy',
    });
    const { runs, audit } = await dispatchAll(
      [
        incident({
          event: 'updated',
          sys_mod_count: 4,
          changed_fields: ['work_notes'],
          record: { short_description: 'slow pages' },
        }),
      ],
      lookups,
    );
    expect(runs.map((r) => r.rule_id)).toEqual(['restart-service-on-command']);
    expect(JSON.parse(runs[0]!.context)).toMatchObject({
      params: { service: 'nginx', host: 'web-02' },
      command: { name: 'restart-service', user: 'fred.luddy' },
    });
    expect(JSON.parse(audit.find((a) => a.kind === 'rule.matched')!.detail)).toMatchObject({
      command: 'restart-service',
      by: 'fred.luddy',
    });
  });

  it('a work-note command from an agent outside the allowed groups runs nothing', async () => {
    const { lookups } = fakeLookups({
      text: '/automate restart-service service=nginx host=web-02',
      user: 'beth.anglin',
    });
    const { runs } = await dispatchAll(
      [
        incident({
          event: 'updated',
          sys_mod_count: 4,
          changed_fields: ['work_notes'],
          record: { short_description: 'slow pages' },
        }),
      ],
      lookups,
    );
    expect(runs).toEqual([]);
  });

  it("Snowline's own work note quoting a command runs nothing", async () => {
    const { lookups } = fakeLookups({
      text: 'To run it ... /automate restart-service service=nginx host=web-02',
      user: 'snowline',
    });
    const { runs } = await dispatchAll(
      [
        incident({
          event: 'updated',
          sys_updated_by: 'fred.luddy',
          sys_mod_count: 4,
          changed_fields: ['work_notes'],
          record: { short_description: 'slow pages' },
        }),
      ],
      lookups,
    );
    expect(runs).toEqual([]);
  });

  it('a dot-walked condition reads the referenced caller once per event', async () => {
    const { lookups, reads } = fakeLookups();
    const { runs } = await dispatchAll(
      [incident({ record: { short_description: 'user locked out of VPN', caller_id: CALLER } })],
      lookups,
    );
    expect(runs.map((r) => r.rule_id)).toEqual(['raise-confirmed-lockout']);
    expect(reads).toEqual([`sys_user:${CALLER}`]);
  });

  it('a manual trigger runs a rule that has one, and refuses a rule that has none', async () => {
    const { lookups } = fakeLookups();
    const { dispatcher } = await dispatchAll([], lookups);
    const record = (await lookups.readRecord('problem', PROBLEM, []))!;
    const payload: TicketEvent = {
      event: 'updated',
      table: 'problem',
      sys_id: PROBLEM,
      number: 'PRB0040001',
      sys_mod_count: 3,
      sys_updated_on: '2026-12-01 09:00:00',
      sys_updated_by: '',
      changed_fields: [],
      record,
    };
    const started = await dispatcher.triggerManually({
      ruleId: 'revoke-access-of-compromised-account',
      payload,
      actor: 'ops-lead',
    });
    expect(started.runId).toBeDefined();
    const run = await t.repos.runs.get(started.runId!);
    expect(JSON.parse(run!.context).params).toEqual({ user_name: 'jdoe' });
    const refused = await dispatcher.triggerManually({
      ruleId: 'patch-host-for-known-error',
      payload,
      actor: 'ops-lead',
    });
    expect(refused.refused).toMatch(/has no manual trigger/);
  });
});

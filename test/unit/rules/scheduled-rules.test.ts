import { connectors } from '../../../connectors/registry';
import { mappingCatalog } from '../../../src/rules/catalog';
import { dryRun } from '../../../src/rules/dry-run';
import { buildRuleSet } from '../../../src/rules/build-rule-set';
import { matchEvent } from '../../../src/rules/matcher';
import { formatProblem } from '../../../src/rules/validation-problem';

/** Rules triggered on a schedule: what `snowline validate` accepts and refuses, and how they match. */
const catalog = mappingCatalog(connectors);

const mapping = (trigger: string) => `table: incident
rules:
  - id: chase-on-hold
    description: Chase incidents on hold for a week
    owner: Service Desk
    risk: low
    on:
      - ${trigger}
    steps:
      - name: chase
        use: servicenow.add_work_note
        with:
          table: incident
          sys_id: "{{ ticket.sys_id }}"
          text: "On hold for a week: {{ ticket.number }}"
`;
const WEEK_ON_HOLD = 'schedule: { cron: "0 * * * *", query: "state=3^sys_updated_on<javascript:gs.daysAgoStart(7)" }';
const problemsOf = (trigger: string) =>
  buildRuleSet({ 'incident.yaml': mapping(trigger) }, catalog).problems.map(formatProblem);

describe('scheduled rules', () => {
  it('accept a cron expression and an encoded query with a relative date', () => {
    expect(problemsOf(WEEK_ON_HOLD)).toEqual([]);
  });

  it('refuse a bad cron expression, naming the field and what is wrong', () => {
    const problems = problemsOf('schedule: { cron: "61 * * * *", query: "state=3" }');
    expect(problems).toHaveLength(1);
    expect(problems[0]).toMatch(
      /^incident\.yaml:8:\d+ rules\.0\.on\.0\.schedule\.cron: not a cron expression \(minute: 61/,
    );
    expect(problemsOf('schedule: { cron: "every hour", query: "state=3" }')[0]).toMatch(
      /on\.0\.schedule\.cron: not a cron expression \(expected 5 or 6 fields/,
    );
  });

  it('refuse a query naming an unknown field, an operator without a value, or a script Snowline cannot evaluate', () => {
    expect(problemsOf('schedule: { cron: "0 * * * *", query: "state=3^no_such_field<5" }')).toEqual([
      expect.stringMatching(
        /^incident\.yaml:8:\d+ rule chase-on-hold: schedule\.query: unknown field no_such_field on table incident$/,
      ),
    ]);
    expect(problemsOf('schedule: { cron: "0 * * * *", query: "state=3^priority>" }')[0]).toMatch(
      /schedule\.query: "priority>" has operator > but no value/,
    );
    expect(
      problemsOf('schedule: { cron: "0 * * * *", query: "sys_updated_on<javascript:gs.nowDateTime()" }')[0],
    ).toMatch(/schedule\.query: .*gs\.nowDateTime\(\) is not a date function Snowline can evaluate/);
  });

  it('fire only for a record their own query found, never on inserts or updates', () => {
    const { ruleSet } = buildRuleSet({ 'incident.yaml': mapping(WEEK_ON_HOLD) }, catalog);
    const record = { sys_id: 'a'.repeat(32), number: 'INC0010001', state: '3' };
    const ids = (trigger: 'inserted' | 'updated' | 'scheduled', ruleId?: string) =>
      matchEvent(ruleSet!, { table: 'incident', trigger, record, ruleId }).matched.map((r) => r.definition.id);
    expect(ids('scheduled', 'chase-on-hold')).toEqual(['chase-on-hold']);
    expect(ids('scheduled', 'another-rule')).toEqual([]);
    expect(ids('inserted')).toEqual([]);
    expect(ids('updated')).toEqual([]);
  });

  it('are explained by a dry-run: the schedule, and whether the query holds for the record now', () => {
    const { ruleSet } = buildRuleSet({ 'incident.yaml': mapping(WEEK_ON_HOLD) }, catalog);
    const old = { sys_id: 'a'.repeat(32), number: 'INC0010001', state: '3', sys_updated_on: '2020-01-01 00:00:00' };
    const fresh = { ...old, sys_updated_on: new Date().toISOString().slice(0, 19).replace('T', ' ') };
    const inserted = dryRun(ruleSet!, catalog, 'incident', old, 'inserted');
    expect(inserted.explain['chase-on-hold']!.reason).toBe(
      'fires on schedule "0 * * * *" (query state=3^sys_updated_on<javascript:gs.daysAgoStart(7)) only',
    );
    const due = dryRun(ruleSet!, catalog, 'incident', old, 'scheduled');
    expect(due.matched).toEqual(['chase-on-hold']);
    expect(due.explain['chase-on-hold']!.schedule).toMatchObject({ cron: '0 * * * *', queryMatches: true });
    const notDue = dryRun(ruleSet!, catalog, 'incident', fresh, 'scheduled');
    expect(notDue.matched).toEqual([]);
    expect(notDue.explain['chase-on-hold']).toMatchObject({
      reason: 'its schedule query does not find this record now',
      failedTerms: ['sys_updated_on<javascript:gs.daysAgoStart(7)'],
    });
  });
});

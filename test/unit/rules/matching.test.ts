import fc from 'fast-check';
import { connectors } from '../../../connectors/registry';
import { parseWorkNoteCommand } from '../../../src/engine/work-note-command';
import { mappingCatalog } from '../../../src/rules/catalog';
import { buildRuleSet } from '../../../src/rules/build-rule-set';
import { matchEvent, type MatchInput } from '../../../src/rules/matcher';
import { rulesYaml } from '../../bench/match.bench';

const catalog = mappingCatalog(connectors);

describe('work-note commands', () => {
  it('reads the command and its arguments from any line of the note', () => {
    expect(
      parseWorkNoteCommand('Checked the logs.\n/automate restart-service service=nginx host="web 01"\nthanks'),
    ).toEqual({ name: 'restart-service', args: { service: 'nginx', host: 'web 01' } });
  });

  it('ignores text that is not exactly a command', () => {
    expect(parseWorkNoteCommand('please /automate restart-service')).toBeUndefined();
    expect(parseWorkNoteCommand('/automate Restart_Service')).toBeUndefined();
    expect(parseWorkNoteCommand('/automate restart-service host="web-01')).toBeUndefined();
    expect(parseWorkNoteCommand('/automate restart-service $(reboot)')).toBeUndefined();
  });
});

describe('conditions comparing two fields', () => {
  const rule = (condition: string) =>
    `table: incident\nrules:\n  - id: r\n    description: d\n    owner: o\n    risk: low\n    condition: "${condition}"\n    steps:\n      - name: note\n        use: servicenow.add_work_note\n        with: { table: incident, sys_id: "{{ ticket.sys_id }}", text: y }\n`;
  it('accept a date unit after the field of SAMEAS, MORETHAN and LESSTHAN, and dates as values of other operators', () => {
    for (const condition of [
      'sys_updated_onSAMEASopened_at@day',
      'sla_dueMORETHANopened_at@day@before@1',
      'opened_atLESSTHANsys_updated_on@hour@after@4',
      'opened_atBETWEEN2026-01-01@2026-02-01',
    ]) {
      expect(buildRuleSet({ 'incident.yaml': rule(condition) }, catalog).problems).toEqual([]);
    }
  });

  it('refuse an unknown field named by the value', () => {
    expect(
      buildRuleSet({ 'incident.yaml': rule('sla_dueMORETHANno_such@day@before@1') }, catalog).problems.map(
        (p) => p.message,
      ),
    ).toEqual(['rule r: condition: unknown field no_such on table incident']);
  });
});

describe('the rule index', () => {
  const { ruleSet } = buildRuleSet({ 'incident.yaml': rulesYaml(300) }, catalog);
  const inputArb = fc.record({
    trigger: fc.constantFrom('inserted' as const, 'updated' as const),
    changed: fc.constantFrom([], ['priority'], ['state']),
    active: fc.constantFrom('true', 'false'),
    state: fc.constantFrom('1', '2', '3'),
    priority: fc.constantFrom('1', '2', '3'),
    category: fc.integer({ min: 0, max: 220 }).map((n) => `cat-${n}`),
    group: fc.integer({ min: 0, max: 320 }).map((n) => n.toString(16).padStart(32, '0')),
    text: fc.oneof(
      fc.integer({ min: 0, max: 320 }).map((n) => `error ${n} seen`),
      fc.integer({ min: 0, max: 320 }).map((n) => `service-${n} is down`),
      fc.integer({ min: 0, max: 320 }).map((n) => `disk full on host-${n}`),
    ),
  });

  it('matches exactly the rules a full scan matches, in the same order', () => {
    fc.assert(
      fc.property(inputArb, (e) => {
        const input: MatchInput = {
          table: 'incident',
          trigger: e.trigger,
          changedFields: e.changed,
          record: {
            active: e.active,
            state: e.state,
            priority: e.priority,
            category: e.category,
            assignment_group: e.group,
            short_description: e.text,
          },
        };
        const indexed = matchEvent(ruleSet!, input).matched.map((r) => r.definition.id);
        const scanned = matchEvent(ruleSet!, input, { explain: true }).matched.map((r) => r.definition.id);
        expect(indexed).toEqual(scanned);
      }),
      { numRuns: 300 },
    );
  });
});

import { readdirSync, readFileSync } from 'node:fs';
import { connectors } from '../../../connectors/registry';
import { mappingCatalog } from '../../../src/rules/catalog';
import { dryRun } from '../../../src/rules/dry-run';
import { buildRuleSet } from '../../../src/rules/build-rule-set';
import { loadRuleSet } from '../../../src/mappings/mapping-files';
import { formatProblem } from '../../../src/rules/validation-problem';

const catalog = mappingCatalog(connectors);
const shipped = readFileSync('mappings/incident.yaml', 'utf8');

const templates = Object.fromEntries(
  readdirSync('mappings/templates').map((name) => [
    `templates/${name}`,
    readFileSync(`mappings/templates/${name}`, 'utf8'),
  ]),
);
/** The first shipped rule alone, as written. */
const firstRule = shipped.slice(shipped.indexOf('  - id:'), shipped.indexOf('  - id:', shipped.indexOf('  - id:') + 1));

function problemsOf(text: string): string[] {
  return buildRuleSet({ 'incident.yaml': text, ...templates }, catalog).problems.map(formatProblem);
}

describe('mapping tables', () => {
  it('the shipped tables validate', () => {
    const { ruleSet, problems } = loadRuleSet('mappings', catalog);
    expect(problems).toEqual([]);
    expect(ruleSet!.byTable.get('incident')!.map((r) => r.definition.id)).toContain('restart-service-when-down');
  });

  it('reports a YAML syntax error with its line and column', () => {
    expect(problemsOf(`${shipped}\n  - id: [unclosed\n`)).toEqual([
      expect.stringMatching(/^incident\.yaml:\d+:\d+ YAML: /),
    ]);
  });

  it('reports a missing owner and a bad risk at the rule', () => {
    const text = shipped.replace('    owner: Linux Ops\n', '').replace('risk: low', 'risk: extreme');
    const problems = problemsOf(text);
    expect(problems).toEqual(
      expect.arrayContaining([
        expect.stringMatching(/^incident\.yaml:7:5 rules\.0\.owner: required/),
        expect.stringMatching(/^incident\.yaml:\d+:11 rules\.0\.risk: /),
      ]),
    );
  });

  it('points at the unknown field inside the condition', () => {
    const text = shipped.replace(
      'condition: active=true^short_descriptionLIKEis down on',
      'condition: active=true^no_such_fieldLIKEdown',
    );
    const [problem] = problemsOf(text);
    const line = text.split('\n').findIndex((l) => l.includes('no_such_field')) + 1;
    const col = text.split('\n')[line - 1]!.indexOf('no_such_field') + 1;
    expect(problem).toBe(
      `incident.yaml:${line}:${col} rule restart-service-when-down: condition: unknown field no_such_field on table incident`,
    );
  });

  it('refuses a duplicate rule id, naming where it was first defined', () => {
    expect(problemsOf(`${shipped}\n${firstRule}`)).toEqual([
      expect.stringMatching(/duplicate id \(first defined at incident\.yaml:7\)$/),
    ]);
  });

  it('refuses an unknown connector action and an unknown action parameter', () => {
    expect(problemsOf(shipped.replace('use: ansible.launch_job_template', 'use: ansible.launch_rocket'))).toEqual([
      expect.stringMatching(/connector ansible has no action launch_rocket$/),
    ]);
    expect(problemsOf(shipped.replace('job_template: Restart service', 'job_templat: Restart service'))).toEqual(
      expect.arrayContaining([
        expect.stringMatching(/has no parameter job_templat/),
        expect.stringMatching(/needs parameter job_template/),
      ]),
    );
  });

  it('refuses a template that reads a ticket field the table does not have', () => {
    expect(
      problemsOf(shipped.replace('{{ ticket.short_description | capture', '{{ ticket.short_desc | capture')),
    ).toEqual([expect.stringMatching(/template: unknown field ticket\.short_desc on table incident$/)]);
  });

  it('refuses a rule that can never run because an earlier catch-all rule stops', () => {
    const stopper = `  - id: catch-all\n    description: stops everything\n    owner: Service Desk\n    risk: low\n    priority: 1\n    stop: true\n    on: [inserted, updated]\n    steps:\n      - name: note\n        use: servicenow.add_work_note\n        with: { table: incident, sys_id: "{{ ticket.sys_id }}", text: seen }\n`;
    const problems = problemsOf(shipped.replace('rules:\n', `rules:\n${stopper}`));
    expect(problems).toContainEqual(
      expect.stringMatching(
        /rule restart-service-when-down: unreachable, rule catch-all matches every event first and stops$/,
      ),
    );
    // A rule started by a work-note command arrives as an update, which the catch-all also stops.
    expect(problems).toContainEqual(expect.stringMatching(/rule restart-service-on-command: unreachable/));
  });

  it('dry-run shows the demo ticket matching, the rendered step, and why a rule did not match', () => {
    const { ruleSet } = loadRuleSet('mappings', catalog);
    const ticket = {
      sys_id: 'a'.repeat(32),
      number: 'INC0099999',
      short_description: 'nginx is down on web-01',
      active: 'true',
      state: '1',
      sys_mod_count: '0',
    };
    const result = dryRun(ruleSet!, catalog, 'incident', ticket, 'inserted');
    expect(result.matched).toEqual(['restart-service-when-down']);
    expect(result.steps[0]).toMatchObject({
      use: 'ansible.launch_job_template',
      with: {
        job_template: 'Restart service',
        limit: 'web-01',
        extra_vars: { service_name: 'nginx', target_host: 'web-01' },
      },
    });
    const other = dryRun(ruleSet!, catalog, 'incident', { ...ticket, state: '6' }, 'inserted');
    expect(other.matched).toEqual([]);
    expect(other.explain['restart-service-when-down']).toMatchObject({
      matched: false,
      reason: 'condition not met',
      failedTerms: ['stateIN1,2'],
    });
  });
});

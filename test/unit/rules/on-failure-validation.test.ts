import { connectors } from '../../../connectors/registry';
import { stepSchema } from '../../../src/rules/mapping.schema';
import { mappingCatalog } from '../../../src/rules/catalog';
import { buildRuleSet } from '../../../src/rules/build-rule-set';
import { defaultOnFailureProblems } from '../../../src/rules/validate-default-hooks';
import { formatProblem } from '../../../src/rules/validation-problem';

/** `on_failure` steps and the configured default: checked like steps, with `failure` known only there. */
const catalog = mappingCatalog(connectors);
const mapping = (onFailure: string, note = 'restarted') => `table: incident
rules:
  - id: restart
    description: Restart a service
    owner: Ops
    risk: low
    steps:
      - name: note
        use: servicenow.add_work_note
        with: { table: incident, sys_id: "{{ ticket.sys_id }}", text: "${note}" }
    on_failure:
${onFailure}`;
const problemsOf = (text: string) => buildRuleSet({ 'incident.yaml': text }, catalog).problems.map(formatProblem);
const slack = (text: string, extra = '') =>
  `      - name: tell\n        use: notify.slack\n        with: { channel: ops, text: "${text}" }\n${extra}`;

describe('on_failure validation', () => {
  it('accepts a notification reading what failed', () => {
    expect(problemsOf(mapping(slack('{{ failure.step }} failed on {{ ticket.number }}: {{ failure.error }}')))).toEqual(
      [],
    );
  });

  it('refuses unknown failure fields, failure outside on_failure, gates, and unknown actions', () => {
    expect(problemsOf(mapping(slack('{{ failure.reason }}')))).toEqual([
      expect.stringMatching(
        /rule restart: template: failure\.reason is unknown \(use failure\.run_id, failure\.rule, failure\.step or failure\.error\)$/,
      ),
    ]);
    expect(problemsOf(mapping(slack('x'), '{{ failure.error }}'))).toEqual([
      expect.stringMatching(/rule restart: template: failure is only known in on_failure steps$/),
    ]);
    expect(problemsOf(mapping(slack('x', '        gates: [approval]\n')))).toEqual([
      expect.stringMatching(
        /^incident\.yaml:15:\d+ rule restart: on_failure steps run at once: no gates, not privileged$/,
      ),
    ]);
    expect(problemsOf(mapping('      - name: tell\n        use: notify.pager\n'))).toEqual([
      expect.stringMatching(/rule restart: connector notify has no action pager$/),
    ]);
  });

  it('checks the configured default at start, naming engine.onFailure', () => {
    const step = (text: string) =>
      stepSchema.parse({ name: 'tell', use: 'notify.email', with: { channel: 'mail', subject: 'Run failed', text } });
    expect(defaultOnFailureProblems([step('{{ failure.error }} on {{ ticket.number }}')], catalog)).toEqual([]);
    expect(defaultOnFailureProblems([step('{{ failure.cause }}')], catalog)).toEqual([
      'engine.onFailure: template: failure.cause is unknown (use failure.run_id, failure.rule, failure.step or failure.error)',
    ]);
  });
});

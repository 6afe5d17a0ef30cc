import { readFileSync } from 'node:fs';
import { connectors } from '../../../connectors/registry';
import { mappingCatalog } from '../../../src/rules/catalog';
import { buildRuleSet } from '../../../src/rules/build-rule-set';
import { formatProblem } from '../../../src/rules/validation-problem';

const catalog = mappingCatalog(connectors);
const shipped = readFileSync('mappings/change.yaml', 'utf8');
const problemsOf = (text: string) => buildRuleSet({ 'change.yaml': text }, catalog).problems.map(formatProblem);

describe('change mapping rules', () => {
  it('the shipped change rules validate and carry their plans', () => {
    const { ruleSet, problems } = buildRuleSet({ 'change.yaml': shipped }, catalog);
    expect(problems).toEqual([]);
    const patch = ruleSet!.byTable
      .get('change_request')!
      .find((r) => r.definition.id === 'patch-linux-host')!.definition;
    expect(patch.gates).toEqual(['change']);
    expect(patch.change).toMatchObject({
      approval: 'required',
      rollback: [expect.objectContaining({ name: 'roll_back_patch' })],
    });
  });

  it('refuses a change block without the change gate, naming the rule', () => {
    const text = shipped.replace('    gates: [change]\n    params:\n      host', '    params:\n      host');
    expect(problemsOf(text)).toEqual([
      expect.stringMatching(
        /^change\.yaml:\d+:\d+ rule patch-linux-host: a rule with a change block must list the change gate/,
      ),
    ]);
  });

  it('checks rollback steps like plan steps, pointing into change.rollback', () => {
    const text = shipped.replace('job_template: Roll back patches', 'job_templat: Roll back patches');
    expect(problemsOf(text)).toEqual(
      expect.arrayContaining([
        expect.stringContaining('rule patch-linux-host: ansible.launch_job_template has no parameter job_templat'),
      ]),
    );
  });

  it('refuses a milestone check on a step that does not run before, on an unknown change field, or with a bad query', () => {
    const later = shipped.replace('            step: security_scan\n', '            step: deploy_production\n');
    expect(problemsOf(later)).toEqual([
      expect.stringMatching(
        /^change\.yaml:\d+:\d+ rule deploy-application-release: requires: deploy_production does not run before deploy_production$/,
      ),
    ]);
    const field = shipped.replace(
      '            step: security_scan\n            result: artifacts.scan_result=passed\n',
      '            record: u_security_scan=passed\n',
    );
    expect(problemsOf(field)).toEqual([
      expect.stringContaining('requires: unknown field u_security_scan on table change_request'),
    ]);
    const both = shipped.replace(
      '            result: artifacts.scan_result=passed\n',
      '            result: artifacts.scan_result=passed\n            record: approval=approved\n',
    );
    expect(problemsOf(both)).toEqual([
      expect.stringMatching(/requires\.0\.step: give either step \(an earlier step\) or record/),
    ]);
  });

  it('refuses an unknown approval policy with the field path', () => {
    expect(problemsOf(shipped.replace('approval: required', 'approval: sometimes'))).toEqual([
      expect.stringMatching(/rules\.0\.change\.approval: /),
    ]);
  });
});

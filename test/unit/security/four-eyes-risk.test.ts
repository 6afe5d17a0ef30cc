import { readdirSync, readFileSync } from 'node:fs';
import { connectors } from '../../../connectors/registry';
import { mappingCatalog } from '../../../src/rules/catalog';
import { reviewProposal } from '../../../src/rules/proposal-review';

/** Four-eyes by what a rule does, not by the label it declares (issue "Security hardening" item 5). */
const catalog = mappingCatalog(connectors);
const running = Object.fromEntries([
  ...readdirSync('mappings')
    .filter((f) => f.endsWith('.yaml'))
    .map((f) => [f, readFileSync(`mappings/${f}`, 'utf8')]),
  ...readdirSync('mappings/templates').map((f) => [`templates/${f}`, readFileSync(`mappings/templates/${f}`, 'utf8')]),
]);

const proposal = (rule: string) => `table: incident\nrules:\n${rule}`;
const review = (rule: string) => {
  const result = reviewProposal(running, 'access.yaml', proposal(rule), catalog);
  if (!result.ok) throw new Error(JSON.stringify(result.problems));
  return result.highRiskRules;
};

describe('the risk of a rule', () => {
  it('every action of every shipped connector declares its risk', () => {
    const undeclared = Object.values(connectors).flatMap((c) =>
      Object.values(c.actions)
        .filter((a) => a.risk === undefined)
        .map((a) => `${c.name}.${a.name}`),
    );
    expect(undeclared).toEqual([]);
  });

  it('a rule using "Revoke user access" through its template needs a second person although it says risk: low', () => {
    const rule = `  - id: revoke-on-termination
    description: Revoke access of a leaver
    owner: Identity and Access
    risk: low
    condition: "short_descriptionSTARTSWITHleaver:"
    use: template:revoke-user-access
    params:
      user_name: "{{ ticket.short_description | capture: '^leaver: *([a-z.]+)' }}"
`;
    expect(review(rule)).toEqual(['revoke-on-termination']);
  });

  it('the same playbook launched directly is high risk too', () => {
    const rule = `  - id: revoke-direct
    description: Revoke access of a leaver
    owner: Identity and Access
    risk: low
    condition: "short_descriptionSTARTSWITHleaver:"
    steps:
      - name: revoke
        use: ansible.launch_job_template
        with:
          job_template: Revoke user access
          extra_vars: { user_name: "{{ ticket.caller_id }}" }
`;
    expect(review(rule)).toEqual(['revoke-direct']);
  });

  it('a low-risk rule that only writes a work note goes live without a second person', () => {
    const rule = `  - id: note-only
    description: Note that a leaver was seen
    owner: Identity and Access
    risk: low
    condition: "short_descriptionSTARTSWITHleaver:"
    steps:
      - name: note
        use: servicenow.add_work_note
        with: { table: incident, sys_id: "{{ ticket.sys_id }}", text: "seen" }
`;
    expect(review(rule)).toEqual([]);
  });
});

import { readdirSync, readFileSync } from 'node:fs';
import { connectors } from '../../../connectors/registry';
import { mappingCatalog } from '../../../src/rules/catalog';
import { dryRun } from '../../../src/rules/dry-run';
import { buildRuleSet } from '../../../src/rules/build-rule-set';
import { renderValue } from '../../../src/rules/template';

/** `paths: [/var, /tmp]` is a list in the rule, in dry-run and in the action's parameters — never `/var/tmp`. */
const catalog = mappingCatalog(connectors);
const templates = Object.fromEntries(
  readdirSync('mappings/templates').map((name) => [
    `templates/${name}`,
    readFileSync(`mappings/templates/${name}`, 'utf8'),
  ]),
);

const cleanup = `
table: incident
rules:
  - id: clean-disk
    description: Clean temporary files
    owner: Linux Ops
    risk: low
    on: [inserted]
    condition: short_descriptionLIKEdisk full
    params:
      paths: [/var,/tmp]
      host: web-01
    steps:
      - name: clean
        use: ansible.launch_job_template
        with:
          job_template: Clean disk
          limit: "{{ params.host }}"
          extra_vars:
            paths: "{{ params.paths }}"
            first: "{{ params.paths | first }}"
            described: "cleaning {{ params.paths | join: ', ' }}"
`;

describe('list parameters', () => {
  it('a template that reads a list whole renders the list; text around it still renders text', () => {
    const scope = { params: { paths: ['/var', '/tmp'], count: 3 } };
    expect(renderValue('{{ params.paths }}', scope)).toEqual(['/var', '/tmp']);
    expect(renderValue('{{- params.paths -}}', scope)).toEqual(['/var', '/tmp']);
    expect(renderValue('in {{ params.paths | join: "," }}', scope)).toBe('in /var,/tmp');
    expect(renderValue('{{ params.count }}', scope)).toBe('3');
    expect(() => renderValue('{{ params.missing }}', scope)).toThrow(/params\.missing|undefined variable/);
  });

  it('reaches the rendered step as a list in dry-run', () => {
    const { ruleSet, problems } = buildRuleSet({ 'incident.yaml': cleanup, ...templates }, catalog);
    expect(problems).toEqual([]);
    const result = dryRun(ruleSet!, catalog, 'incident', { short_description: 'disk full on web-01' }, 'inserted');
    expect(result.explain['clean-disk']).toMatchObject({ matched: true, params: { paths: ['/var', '/tmp'] } });
    expect(result.steps[0]!.with).toMatchObject({
      limit: 'web-01',
      extra_vars: { paths: ['/var', '/tmp'], first: '/var', described: 'cleaning /var, /tmp' },
    });
  });
});

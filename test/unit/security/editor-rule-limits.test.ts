import { readdirSync, readFileSync } from 'node:fs';
import { connectors } from '../../../connectors/registry';
import { mappingCatalog } from '../../../src/rules/catalog';
import { buildRuleSet } from '../../../src/rules/build-rule-set';
import { formatProblem } from '../../../src/rules/validation-problem';
import { renderString } from '../../../src/rules/template';

/**
 * An editor's rule must not stall the process (issue "Security hardening" item 4): the review froze
 * it 18.9 s with a catastrophic regular expression and 5.2 s with a Liquid loop.
 */
const catalog = mappingCatalog(connectors);
const shipped = readFileSync('mappings/incident.yaml', 'utf8');
const templates = Object.fromEntries(
  readdirSync('mappings/templates').map((name) => [
    `templates/${name}`,
    readFileSync(`mappings/templates/${name}`, 'utf8'),
  ]),
);
const problemsOf = (text: string) =>
  buildRuleSet({ 'incident.yaml': text, ...templates }, catalog).problems.map(formatProblem);
const withServiceTemplate = (template: string) =>
  shipped.replace(
    `service: "{{ ticket.short_description | capture: '^([A-Za-z0-9_.-]+) is down on' | lower }}"`,
    `service: "${template}"`,
  );

describe('regular expressions in rules', () => {
  it('matches a catastrophic pattern against a crafted ticket in linear time', () => {
    // (a+)+$ on "aaaa…!" backtracks 2^n times in a backtracking engine: minutes for n = 28.
    const started = Date.now();
    const out = renderString("{{ text | capture: '^(a+)+$' }}", { text: `${'a'.repeat(28)}!` });
    expect(out).toBe('');
    // Generous: RE2 answers in microseconds; a backtracking engine needs seconds at the least.
    expect(Date.now() - started).toBeLessThan(3000);
    expect(renderString("{{ text | capture: '^(a+)+$' }}", { text: 'aaa' })).toBe('aaa');
  });

  it('refuses at validation a pattern that needs backtracking (backreference, lookahead)', () => {
    for (const pattern of ['(a)\\\\1', '(?=a)a']) {
      const problems = problemsOf(withServiceTemplate(`{{ ticket.short_description | capture: '${pattern}' }}`));
      expect(problems).toEqual([
        expect.stringMatching(
          /^incident\.yaml:17:\d+ rule restart-service-when-down: template: pattern .* is not a linear-time \(RE2\)/,
        ),
      ]);
    }
  });

  it('refuses a pattern taken from a variable (ticket text would choose it)', () => {
    const problems = problemsOf(withServiceTemplate('{{ ticket.short_description | capture: ticket.description }}'));
    expect(problems).toEqual([expect.stringMatching(/capture takes its pattern as a quoted literal/)]);
  });
});

describe('Liquid limits', () => {
  it('aborts a loop over a huge range with a clear error instead of running for seconds', () => {
    expect(() => renderString('{% for i in (1..100000000) %}{{ i }}{% endfor %}', {})).toThrow(
      expect.objectContaining({ code: 'template.render_failed', message: expect.stringMatching(/limit exceeded/) }),
    );
  });

  it('aborts nested loops that stay under the memory limit once they run past the render limit', () => {
    expect(() => renderString('{% for i in (1..5000) %}{% for j in (1..5000) %}x{% endfor %}{% endfor %}', {})).toThrow(
      /render limit exceeded/,
    );
  });

  it('aborts a template that doubles a string until it exhausts memory', () => {
    expect(() =>
      renderString(
        '{% assign s = "xxxxxxxxxx" %}{% for i in (1..40) %}{% assign s = s | append: s %}{% endfor %}{{ s | size }}',
        {},
      ),
    ).toThrow(/limit exceeded/);
  });

  it('still renders the ordinary templates of the shipped rules', () => {
    expect(
      renderString("{{ ticket.short_description | capture: '^([A-Za-z0-9_.-]+) is down on' | lower }}", {
        ticket: { short_description: 'NGINX is down on web-01' },
      }),
    ).toBe('nginx');
  });
});

import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { connectors } from '../../../connectors/registry';
import { CHANGE_GATE } from '../../../src/change/change-lifecycle';
import { APPROVAL_GATE } from '../../../src/rules/catalog';
import { GATE_NAMES, mappingCatalog } from '../../../src/rules/catalog';
import { buildRuleSet } from '../../../src/rules/build-rule-set';
import { loadRuleSet } from '../../../src/mappings/mapping-files';
import { formatProblem } from '../../../src/rules/validation-problem';

/** Mistakes that used to pass `snowline validate`: a missing directory, an operator without a value, a misspelt gate. */
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

describe('validation catches typos', () => {
  it('refuses a directory that does not exist, or a file given as the directory', () => {
    const dir = mkdtempSync(join(tmpdir(), 'snowline-validate-'));
    try {
      const missing = loadRuleSet(join(dir, 'no-such-dir'), catalog);
      expect(missing.ruleSet).toBeUndefined();
      expect(missing.problems.map(formatProblem)).toEqual([
        `${join(dir, 'no-such-dir')}:1:1 no such directory; expected the mapping tables directory (env SNOWLINE_MAPPINGS)`,
      ]);
      writeFileSync(join(dir, 'file.yaml'), 'x: 1\n');
      expect(loadRuleSet(join(dir, 'file.yaml'), catalog).problems[0]!.message).toMatch(/^is not a directory/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('refuses a comparison with no value (priority>), pointing at it', () => {
    const text = shipped.replace(
      'condition: active=true^short_descriptionLIKEis down on',
      'condition: active=true^priority>^short_descriptionLIKEis down on',
    );
    const line = text.split('\n').findIndex((l) => l.includes('priority>^')) + 1;
    const col = text.split('\n')[line - 1]!.indexOf('priority>') + 1;
    expect(problemsOf(text)).toEqual([
      `incident.yaml:${line}:${col} rule restart-service-when-down: condition: "priority>" has operator > but no value (write priorityISEMPTY to test for empty)`,
    ]);
  });

  it('still accepts field= (empty) and the operators that take no value', () => {
    const text = shipped.replace(
      'condition: active=true^short_descriptionLIKEis down on',
      'condition: active=true^assigned_to=^close_notesISEMPTY^short_descriptionLIKEis down on',
    );
    expect(problemsOf(text)).toEqual([]);
  });

  it('refuses an unknown gate and suggests the nearest known one', () => {
    const text = shipped.replace(/( {4}steps:\n)/, '    gates: [aproval]\n$1');
    const [problem] = problemsOf(text);
    expect(problem).toMatch(
      /^incident\.yaml:\d+:\d+ rule restart-service-when-down: unknown gate aproval \(did you mean approval\?\) \(gates: approval, change\)$/,
    );
    const far = problemsOf(shipped.replace(/( {4}steps:\n)/, '    gates: [sign_off_by_board]\n$1'));
    expect(far[0]).toMatch(/unknown gate sign_off_by_board \(gates: approval, change\)$/);
  });

  it('knows exactly the gates the application registers', () => {
    expect([...GATE_NAMES].sort()).toEqual([APPROVAL_GATE, CHANGE_GATE].sort());
  });
});

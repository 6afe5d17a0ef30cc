import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { connectors } from '../../../connectors/registry';
import { mappingCatalog } from '../../../src/rules/catalog';
import { loadRuleSet } from '../../../src/mappings/mapping-files';
import { formatProblem } from '../../../src/rules/validation-problem';

const corpus = 'test/fixtures/mappings/invalid';
const cases = readdirSync(corpus, { withFileTypes: true })
  .filter((e) => e.isDirectory())
  .map((e) => e.name);

describe('the invalid mapping corpus', () => {
  it('has cases', () => {
    expect(cases.length).toBeGreaterThanOrEqual(20);
  });

  it.each(cases)('%s is refused with exactly its expected problems', (name) => {
    const dir = join(corpus, name);
    const { ruleSet, problems } = loadRuleSet(dir, mappingCatalog(connectors));
    const expected = readFileSync(join(dir, 'expected.txt'), 'utf8').trim().split('\n');
    expect(ruleSet).toBeUndefined();
    expect(problems.map((p) => formatProblem(p).split(`${dir}/`).join(''))).toEqual(expected);
  });
});

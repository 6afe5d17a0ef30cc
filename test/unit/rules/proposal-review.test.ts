import { connectors } from '../../../connectors/registry';
import { mappingCatalog } from '../../../src/rules/catalog';
import { readMappingSources } from '../../../src/mappings/mapping-files';
import { reviewProposal } from '../../../src/rules/proposal-review';

const catalog = mappingCatalog(connectors);
const running = readMappingSources('mappings');
const problem = running['problem.yaml']!;
const highRiskOf = (file: string, content: string) => {
  const review = reviewProposal(running, file, content, catalog);
  if (!review.ok) throw new Error(JSON.stringify(review.problems));
  return review.highRiskRules;
};

describe('which proposed changes need a second person', () => {
  it('names a changed high-risk rule, and only it, not the unchanged rules of the same file', () => {
    expect(highRiskOf('problem.yaml', problem.replace('priority: 110', 'priority: 120'))).toEqual([
      'revoke-access-of-compromised-account',
    ]);
  });

  it('needs nobody for a change to other rules of a file that also holds a high-risk rule', () => {
    expect(highRiskOf('problem.yaml', problem.replace('risk: medium', 'risk: low'))).toEqual([]);
  });

  it('keeps a rule that revokes access high-risk when its label is lowered (no way around four eyes)', () => {
    const lowered = problem
      .replace('risk: high', 'risk: low')
      .replace(
        'description: Lock a compromised account and remove its keys on every managed host',
        'description: Lock a compromised account everywhere',
      );
    expect(highRiskOf('problem.yaml', lowered)).toEqual(['revoke-access-of-compromised-account']);
  });

  it('needs nobody to remove a high-risk rule: removing automation runs nothing', () => {
    // The revoke rule is the last one of the file.
    const withoutRevoke = problem.slice(0, problem.indexOf('  # Compromised account'));
    expect(withoutRevoke).not.toContain('revoke-access-of-compromised-account');
    const review = reviewProposal(running, 'problem.yaml', withoutRevoke, catalog);
    expect(review).toMatchObject({ ok: true, highRiskRules: [] });
  });

  it('reports problems with file:line:col positions instead of a version', () => {
    const review = reviewProposal(running, 'incident.yaml', 'table: incident\nrules:\n  - id: Not_Kebab\n', catalog);
    expect(review.ok).toBe(false);
    if (!review.ok)
      expect(review.problems[0]).toMatchObject({
        file: 'incident.yaml',
        line: expect.any(Number),
        col: expect.any(Number),
      });
  });
});

import { ruleHistory } from '../../../src/rules/rule-history';

const file = (condition: string, other = 'b') => `table: incident
rules:
  - id: restart
    condition: ${condition}
  - id: other
    condition: ${other}
`;

describe("a rule's versions", () => {
  it('keeps only the versions in which the rule changed, newest first, each with its diff', () => {
    const history = ruleHistory(
      [
        { version: 'v3', loadedAt: 3000, loadedBy: 'erin', sources: { 'incident.yaml': file('priority<=2', 'c') } },
        { version: 'v1', loadedAt: 1000, loadedBy: 'ops', sources: { 'incident.yaml': file('priority=1') } },
        // Only the other rule changed: not a version of this one.
        { version: 'v2', loadedAt: 2000, loadedBy: 'ops', sources: { 'incident.yaml': file('priority=1', 'c') } },
      ],
      'restart',
    );
    expect(history.map((r) => r.version)).toEqual(['v3', 'v1']);
    expect(history[0]!.diff).toMatch(/--- v1\/restart\n\+\+\+ v3\/restart/);
    expect(history[0]!.diff).toMatch(/-condition: priority=1\n\+condition: priority<=2/);
    expect(history[1]!.diff).toMatch(/\+id: restart/);
  });

  it('records the removal of a rule as a version without text', () => {
    const history = ruleHistory(
      [
        { version: 'v1', loadedAt: 1, loadedBy: 'ops', sources: { 'incident.yaml': file('a') } },
        { version: 'v2', loadedAt: 2, loadedBy: 'ops', sources: { 'incident.yaml': 'table: incident\nrules: []\n' } },
      ],
      'restart',
    );
    expect(history[0]).toMatchObject({ version: 'v2', text: null });
    expect(history[0]!.diff).toMatch(/-id: restart/);
  });
});

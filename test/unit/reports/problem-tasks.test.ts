import { fileProblemTasks, type ProblemTaskClient } from '../../../src/reports/problem-tasks';
import type { Report } from '../../../src/reports/report';

const report: Report = {
  kind: 'portfolio',
  title: 'Portfolio review',
  from: '2026-11-04T00:00:00.000Z',
  to: '2026-12-04T00:00:00.000Z',
  generatedAt: '2026-12-04T00:00:00.000Z',
  summary: {},
  tables: [
    {
      title: 'Never matched in the window',
      columns: ['rule', 'owner', 'table', 'last run'],
      rows: [['a', 'ops', 'incident', 'never']],
    },
    {
      title: 'Hard-coded values',
      columns: ['rule', 'owner', 'kind', 'where'],
      rows: [
        ['b', 'web', 'host', 'x.with.url'],
        ['c', 'ops', 'credential', 'y.with.password'],
      ],
    },
    {
      title: 'Overlapping rules',
      columns: ['rule', 'other rule', 'shared events', 'owners'],
      rows: [['a', 'c', 3, 'ops, ops']],
    },
  ],
};

/** A problem_task table in memory, answering the one query the filing makes. */
function fakeInstance(open: Record<string, string> = {}) {
  const calls: string[] = [];
  const client: ProblemTaskClient = {
    query: async (_table, { query }) => {
      const title = Object.keys(open).find((t) => query.endsWith(`short_description=${t}`));
      return { rows: title ? [{ sys_id: open[title] }] : [] };
    },
    insert: async (table, fields) =>
      void calls.push(
        `insert ${table} ${fields.short_description} (${fields.problem ?? 'no problem'})\n${fields.description}`,
      ),
    update: async (table, sysId, fields) => void calls.push(`update ${table} ${sysId}\n${fields.description}`),
  };
  return { client, calls };
}

describe('portfolio findings filed as problem tasks', () => {
  it('files one task per owner with every finding of theirs', async () => {
    const { client, calls } = fakeInstance();
    const filed = await fileProblemTasks(client, report, 'PRB0040001');
    expect(filed).toEqual([
      { owner: 'ops', findings: 2, action: 'created' },
      { owner: 'web', findings: 1, action: 'created' },
    ]);
    expect(calls[0]).toBe(
      [
        'insert problem_task Snowline portfolio review: rules owned by ops (PRB0040001)',
        'Owner: ops',
        'Portfolio review of 2026-11-04T00:00:00.000Z – 2026-12-04T00:00:00.000Z (snowline report portfolio):',
        '- Never matched in the window: a, incident, never',
        '- Hard-coded values: c, credential, y.with.password',
      ].join('\n'),
    );
  });

  it("updates an owner's task still open from an earlier review instead of opening another", async () => {
    const { client, calls } = fakeInstance({ 'Snowline portfolio review: rules owned by web': 'abc123' });
    const filed = await fileProblemTasks(client, report);
    expect(filed.find((f) => f.owner === 'web')).toEqual({ owner: 'web', findings: 1, action: 'updated' });
    expect(calls.filter((c) => c.startsWith('update'))).toEqual([
      expect.stringMatching(/^update problem_task abc123\n/),
    ]);
  });
});

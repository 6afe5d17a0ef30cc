import { queryValue, rawValue } from '../../connectors/servicenow/schemas';
import type { Report } from './report';

/** The part of the ServiceNow client that files findings. */
export interface ProblemTaskClient {
  query(table: string, options: { query: string; fields: string[]; limit: number }): Promise<{ rows: unknown[] }>;
  insert(table: string, fields: Record<string, string>): Promise<unknown>;
  update(table: string, sysId: string, fields: Record<string, string>): Promise<unknown>;
}

/** The portfolio review's findings per rule owner, one line each (tables that have an `owner` column). */
export function findingsByOwner(report: Report): Map<string, string[]> {
  const byOwner = new Map<string, string[]>();
  for (const table of report.tables) {
    const owner = table.columns.indexOf('owner');
    if (owner < 0) continue;
    for (const row of table.rows) {
      const name = String(row[owner]);
      const rest = row.filter((_, i) => i !== owner).map((cell) => String(cell ?? '–'));
      byOwner.set(name, [...(byOwner.get(name) ?? []), `${table.title}: ${rest.join(', ')}`]);
    }
  }
  return byOwner;
}

const titleFor = (owner: string) => `Snowline portfolio review: rules owned by ${owner}`.slice(0, 160);

/**
 * Files the findings as one problem task per owner (under `problem` when given). An owner's task
 * still open from an earlier review is updated instead, so a weekly review never piles up tasks.
 */
export async function fileProblemTasks(
  client: ProblemTaskClient,
  report: Report,
  problem?: string,
): Promise<{ owner: string; findings: number; action: 'created' | 'updated' }[]> {
  const filed: { owner: string; findings: number; action: 'created' | 'updated' }[] = [];
  for (const [owner, findings] of findingsByOwner(report)) {
    const title = titleFor(owner);
    const description = [
      `Owner: ${owner}`,
      `Portfolio review of ${report.from} – ${report.to} (snowline report portfolio):`,
      ...findings.map((f) => `- ${f}`),
    ].join('\n');
    const { rows } = await client.query('problem_task', {
      query: `active=true^short_description=${queryValue(title)}`,
      fields: ['sys_id'],
      limit: 1,
    });
    const open = rawValue((rows[0] as { sys_id?: unknown } | undefined)?.sys_id);
    if (open) await client.update('problem_task', open, { description });
    else
      await client.insert('problem_task', {
        short_description: title,
        description,
        ...(problem ? { problem } : {}),
      });
    filed.push({ owner, findings: findings.length, action: open ? 'updated' : 'created' });
  }
  return filed;
}

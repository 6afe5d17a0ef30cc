import type { ReportRange, ReportRepository } from '../store/report.repository';
import { duration, type Report } from './report';
import { header } from './report-header';

/**
 * Adoption: manual triggers per person and per group (the groups an agent was in when the run was
 * asked for), identities that used the API or console, approvals and time to approve (from the
 * run's start to the decision).
 */
export async function adoptionReport(repo: ReportRepository, range: ReportRange): Promise<Report> {
  const triggers = await repo.manualTriggers(range);
  const byActor = new Map<string, number>();
  const byGroup = new Map<string, number>();
  for (const t of triggers) {
    byActor.set(t.actor, (byActor.get(t.actor) ?? 0) + t.triggers);
    for (const group of t.groups.length > 0 ? t.groups : ['(none recorded)'])
      byGroup.set(group, (byGroup.get(group) ?? 0) + t.triggers);
  }
  const approvals = await repo.approvals(range);
  const identities = await repo.activeIdentities(range);
  const decisions = approvals.reduce((t, a) => t + a.decisions, 0);
  const meanWait = decisions === 0 ? null : approvals.reduce((t, a) => t + a.meanMs * a.decisions, 0) / decisions;
  const sorted = (m: Map<string, number>) => [...m].sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0]));
  return {
    ...header('adoption', 'Adoption', range),
    summary: {
      'manual triggers': [...byActor.values()].reduce((t, n) => t + n, 0),
      'people who triggered': byActor.size,
      'active API and console identities': identities.length,
      approvals: decisions,
      'mean time to approve': duration(meanWait),
    },
    tables: [
      { title: 'Manual triggers by person', columns: ['person', 'triggers'], rows: sorted(byActor) },
      { title: 'Manual triggers by group', columns: ['group', 'triggers'], rows: sorted(byGroup) },
      {
        title: 'Approvals by approver',
        columns: ['approver', 'decisions', 'approved', 'mean time to approve', 'longest'],
        rows: approvals.map((a) => [a.actor, a.decisions, a.approved, duration(a.meanMs), duration(a.maxMs)]),
      },
      {
        title: 'Active API and console identities',
        columns: ['identity', 'last use'],
        rows: identities.map((i) => [i.subject, new Date(i.lastUsedAt).toISOString()]),
      },
    ],
  };
}

import { auditDetail } from '../store/audit.repository';
import type { AuditRow } from '../store/schema';

/**
 * Evidence for an auditor over a time range, built from the audit journal alone (pure: rows in,
 * report out): who did what, which rule versions acted on which tickets, every human override and
 * approval decision, and whether the hash chain verifies.
 */
export interface AuditReport {
  from: string;
  to: string;
  chain: { intact: boolean; entries: number; brokenAt?: number; reason?: string };
  totals: Record<string, number>;
  actors: { actor: string; actions: Record<string, number>; first: string; last: string }[];
  ruleVersions: { rule: string; version: string; runs: number; tickets: string[] }[];
  /** Decisions by people: retries, cancellations, approvals, credential changes. */
  humanDecisions: { at: string; actor: string; kind: string; subject: string; detail: Record<string, unknown> }[];
}

const iso = (ms: number) => new Date(Number(ms)).toISOString();

export function buildAuditReport(
  rows: readonly AuditRow[],
  range: { from: number; to: number },
  chain: AuditReport['chain'],
): AuditReport {
  const totals: Record<string, number> = {};
  const actors = new Map<string, AuditReport['actors'][number]>();
  const versions = new Map<string, { rule: string; version: string; runs: number; tickets: Set<string> }>();
  const humanDecisions: AuditReport['humanDecisions'] = [];
  for (const row of rows) {
    totals[row.kind] = (totals[row.kind] ?? 0) + 1;
    const actor = actors.get(row.actor) ?? { actor: row.actor, actions: {}, first: iso(row.at), last: iso(row.at) };
    actor.actions[row.kind] = (actor.actions[row.kind] ?? 0) + 1;
    actor.last = iso(row.at);
    actors.set(row.actor, actor);
    const detail = auditDetail(row);
    if (row.kind === 'rule.matched') {
      const key = `${String(detail.rule)}@${String(detail.ruleVersion)}`;
      const entry = versions.get(key) ?? {
        rule: String(detail.rule),
        version: String(detail.ruleVersion),
        runs: 0,
        tickets: new Set<string>(),
      };
      entry.runs++;
      entry.tickets.add(row.subject);
      versions.set(key, entry);
    }
    if (row.actor !== 'snowline')
      humanDecisions.push({ at: iso(row.at), actor: row.actor, kind: row.kind, subject: row.subject, detail });
  }
  return {
    from: iso(range.from),
    to: iso(range.to),
    chain,
    totals,
    actors: [...actors.values()].sort((a, b) => a.actor.localeCompare(b.actor)),
    ruleVersions: [...versions.values()]
      .map((v) => ({ ...v, tickets: [...v.tickets].sort() }))
      .sort((a, b) => a.rule.localeCompare(b.rule) || a.version.localeCompare(b.version)),
    humanDecisions,
  };
}

/** One CSV line per journal entry, for spreadsheets. */
export function auditCsv(rows: readonly AuditRow[]): string {
  const lines = ['seq,at,kind,actor,subject,detail,hash'];
  for (const r of rows) lines.push(csvLine([String(r.seq), iso(r.at), r.kind, r.actor, r.subject, r.detail, r.hash]));
  return `${lines.join('\n')}\n`;
}

/** One CSV line, fields quoted per RFC 4180. */
export function csvLine(values: readonly string[]): string {
  const quote = (v: string) => (/[",\r\n]/.test(v) ? `"${v.replace(/"/g, '""')}"` : v);
  // A leading =, +, - or @ would be a formula in a spreadsheet: ticket text must stay text.
  const cell = (v: string) => quote(/^[=+\-@]/.test(v) ? `'${v}` : v);
  return values.map(cell).join(',');
}

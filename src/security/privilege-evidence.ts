import { auditDetail } from '../store/audit.repository';
import type { AuditRow } from '../store/schema';

/**
 * One just-in-time elevation in the period (`privilege.granted`), with how it ended: who approved
 * it, for which run, step and ticket, which credential from which provider, the lease asked for,
 * and when and why it was given back (or that it lapsed, or is still held at the end of the period).
 */
export interface PrivilegeGrantEvidence {
  grantedAt: string;
  ticket: string;
  runId: string;
  step: string;
  credential: string;
  provider: string;
  leaseId: string;
  approvedBy: string;
  leaseSeconds: number | null;
  /** `released`, `expired` (the release failed after the provider's lease lapsed) or `held at the end of the period`. */
  outcome: string;
  endedAt: string;
  heldSeconds: number | null;
  reason: string;
}

const ENDED = new Set(['privilege.released', 'privilege.expired']);
const iso = (ms: number) => new Date(Number(ms)).toISOString();

/** Every grant of the period, oldest first, matched with its release by lease. Pure. */
export function privilegeGrants(rows: readonly AuditRow[]): PrivilegeGrantEvidence[] {
  const ends = new Map<string, { row: AuditRow; detail: Record<string, unknown> }>();
  for (const row of rows)
    if (ENDED.has(row.kind)) {
      const detail = auditDetail(row);
      ends.set(leaseKey(detail), { row, detail });
    }
  return rows
    .filter((row) => row.kind === 'privilege.granted')
    .map((row) => {
      const detail = auditDetail(row);
      const end = ends.get(leaseKey(detail));
      return {
        grantedAt: iso(row.at),
        ticket: row.subject,
        runId: String(detail.runId ?? ''),
        step: String(detail.step ?? ''),
        credential: String(detail.credential ?? ''),
        provider: String(detail.provider ?? ''),
        leaseId: String(detail.leaseId ?? ''),
        approvedBy: String(detail.approvedBy ?? ''),
        leaseSeconds: typeof detail.leaseSeconds === 'number' ? detail.leaseSeconds : null,
        outcome: end ? end.row.kind.slice('privilege.'.length) : 'held at the end of the period',
        endedAt: end ? iso(end.row.at) : '',
        heldSeconds: end && typeof end.detail.heldMs === 'number' ? Math.round(end.detail.heldMs / 1000) : null,
        reason: end ? String(end.detail.reason ?? '') : '',
      };
    });
}

function leaseKey(detail: Record<string, unknown>): string {
  return `${String(detail.runId)}\u001f${String(detail.step)}\u001f${String(detail.leaseId)}`;
}

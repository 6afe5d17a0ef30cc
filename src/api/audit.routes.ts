import { auditDetail } from '../store/audit.repository';
import { z } from 'zod';
import type { AuditRepository } from '../store/audit.repository';
import type { RouteDefinition } from './route';

const isoInstant = z.iso.datetime({ offset: true }).transform((text) => Date.parse(text));

const auditQuery = z.object({
  from: isoInstant.optional().describe('ISO 8601, inclusive; default: 24 h before `to`'),
  to: isoInstant.optional().describe('ISO 8601, exclusive; default: now'),
  kind: z.string().max(80).optional().describe('e.g. rule.matched, run.retried, step.succeeded'),
  actor: z.string().max(200).optional(),
  subject: z.string().max(80).optional().describe('ticket number'),
  afterSeq: z.coerce
    .number()
    .int()
    .nonnegative()
    .max(Number.MAX_SAFE_INTEGER)
    .optional()
    .describe('page on: the last seq of the previous page'),
  limit: z.coerce.number().int().min(1).max(1000).default(200),
});

export const auditEntryViewSchema = z.object({
  seq: z.number().int(),
  at: z.string().describe('ISO 8601'),
  kind: z.string(),
  actor: z.string().describe('who decided: a user, a token subject, or snowline'),
  subject: z.string(),
  detail: z.record(z.string(), z.unknown()),
  hash: z.string().describe('SHA-256 chaining this entry to the previous one'),
});

const DAY_MS = 24 * 3600_000;

/** The audit journal, read-only, for the auditor role. */
export function auditRoutes(audit: AuditRepository): RouteDefinition[] {
  return [
    {
      method: 'get',
      path: '/audit',
      permission: 'audit:read',
      summary: 'Audit journal entries in a time range, oldest first',
      query: auditQuery,
      response: z.array(auditEntryViewSchema),
      handle: async (_req, { query }) => {
        const q = query as z.infer<typeof auditQuery>;
        const to = q.to ?? Date.now();
        const rows = await audit.between({ ...q, from: q.from ?? to - DAY_MS, to });
        return rows.map((row) => ({
          seq: row.seq,
          at: new Date(Number(row.at)).toISOString(),
          kind: row.kind,
          actor: row.actor,
          subject: row.subject,
          detail: auditDetail(row),
          hash: row.hash,
        }));
      },
    },
  ];
}

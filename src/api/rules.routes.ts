import type { Request } from 'express';
import { identityValue } from '../../connectors/servicenow/schemas';
import { z } from 'zod';
import { fieldsOf } from '../../connectors/servicenow/dictionary';
import type { Dispatcher } from '../engine/dispatcher';
import type { TicketLookups } from '../engine/ticket-lookups';
import { ConflictError, ForbiddenError, NotFoundError, ValidationError } from '../errors';
import { recordSchema, watchedTableSchema, type TicketEvent } from '../engine/event.schema';
import { dryRun } from '../rules/dry-run';
import type { MappingCatalog } from '../rules/mapping-catalog';
import type { RuleReloader } from '../mappings/rule-reloader';
import { formatProblem } from '../rules/validation-problem';
import { findRule } from '../rules/rule-set';
import type { RuleVersionRepository } from '../store/rule-version.repository';
import type { RouteDefinition } from './route';

export const dryRunRequestSchema = z
  .object({
    table: watchedTableSchema,
    record: recordSchema.describe('the ticket as the Table API shows it with raw values'),
    trigger: z.enum(['inserted', 'updated', 'manual']).default('inserted'),
    changed_fields: z.array(z.string().max(80)).max(500).default([]).describe('for updates: the fields that changed'),
    rule: z.string().max(80).optional().describe('for manual: the rule asked for'),
  })
  .strict();

function isIdentity(value: string): boolean {
  try {
    identityValue(value, 'requested_by');
    return true;
  } catch {
    return false;
  }
}

export const triggerRequestSchema = z
  .object({
    table: watchedTableSchema,
    sys_id: z.string().regex(/^[0-9a-f]{32}$/, 'must be 32 lowercase hex characters'),
    requested_by: z
      .string()
      .max(100)
      .refine(isIdentity, "must be a sys_user sys_id or user_name (letters, digits, . _ @ + - \\ ' and space)")
      .optional()
      .describe(
        "the agent on whose behalf the UI Action asks: sys_user.user_name, or the user's sys_id; a rule with { manual: true, allowed_groups } needs it and checks the agent's groups",
      ),
  })
  .strict();

const dryRunResponseSchema = z.object({
  ruleVersion: z.string(),
  trigger: z.string(),
  matched: z.array(z.string()),
  steps: z.array(z.object({ rule: z.string(), name: z.string(), use: z.string(), with: z.unknown() })),
  explain: z.record(
    z.string(),
    z.object({
      matched: z.boolean(),
      mode: z.string().optional(),
      reason: z.string().optional(),
      failedTerms: z.array(z.string()).optional(),
      params: z.unknown().optional(),
    }),
  ),
});

export interface RuleRoutesDeps {
  rules: RuleReloader;
  catalog: MappingCatalog;
  versions: RuleVersionRepository;
  dispatcher: Dispatcher;
  lookups: TicketLookups;
}

function bodyOf<T extends z.ZodType>(schema: T, req: Request): z.infer<T> {
  const parsed = schema.safeParse(req.body ?? {});
  if (parsed.success) return parsed.data;
  throw new ValidationError(
    'request body',
    parsed.error.issues.map((i) => ({ path: i.path.join('.'), message: i.message })),
  );
}

/** Mapping tables over the API: the running rules and versions, dry-run, and the manual trigger (the UI Action). */
export function ruleRoutes(deps: RuleRoutesDeps): RouteDefinition[] {
  return [
    {
      method: 'get',
      path: '/rules',
      permission: 'rules:read',
      summary: 'The running rules: id, table, mode, risk, triggers, and the version',
      response: z.object({
        version: z.string(),
        rejected: z.unknown().optional(),
        rules: z.array(
          z.object({ id: z.string(), table: z.string(), mode: z.string(), risk: z.string(), on: z.array(z.unknown()) }),
        ),
      }),
      handle: async () => {
        const ruleSet = deps.rules.current();
        const rules = [...ruleSet.byTable.values()].flat().map((r) => ({
          id: r.definition.id,
          table: r.table,
          mode: r.definition.mode,
          risk: r.definition.risk,
          on: r.definition.on,
        }));
        return { ...deps.rules.status(), rules };
      },
    },
    {
      method: 'post',
      path: '/rules/reload',
      permission: 'rules:write',
      summary:
        'Read the mapping tables from disk now (as SIGHUP does); an invalid set is refused with its problems and the running version stays',
      response: z.object({
        applied: z.boolean(),
        version: z.string(),
        problems: z.array(z.string()),
      }),
      handle: async (req) => {
        const result = await deps.rules.reload(`api:${req.identity!.subject}`);
        return { applied: result.applied, version: result.version, problems: result.problems.map(formatProblem) };
      },
    },
    {
      method: 'get',
      path: '/rules/versions',
      permission: 'rules:read',
      summary: 'Versions of the mapping tables loaded, newest first, with who loaded them and when',
      response: z.array(z.object({ version: z.string(), loaded_at: z.number(), loaded_by: z.string() })),
      handle: async () => (await deps.versions.list()).map((v) => ({ ...v, loaded_at: Number(v.loaded_at) })),
    },
    {
      method: 'post',
      path: '/rules/dry-run',
      permission: 'rules:read',
      summary:
        'What a ticket would do: matched rules, rendered steps, and why each other rule does not match; runs nothing',
      response: dryRunResponseSchema,
      handle: async (req) => {
        const body = bodyOf(dryRunRequestSchema, req);
        return dryRun(deps.rules.current(), deps.catalog, body.table, body.record, {
          trigger: body.trigger,
          changedFields: body.changed_fields,
          ruleId: body.rule,
        });
      },
    },
    {
      method: 'post',
      path: '/rules/:id/trigger',
      permission: 'runs:trigger',
      summary: 'Run one rule for one ticket now (the ServiceNow UI Action); the rule needs the manual trigger',
      response: z.object({ runId: z.string().optional(), mode: z.string().optional() }),
      handle: async (req) => {
        const ruleId = String(req.params.id);
        const body = bodyOf(triggerRequestSchema, req);
        const rule = findRule(deps.rules.current(), ruleId);
        if (!rule || rule.table !== body.table) throw new NotFoundError('rule', `${ruleId} on ${body.table}`);
        const fields = fieldsOf(body.table)
          .filter((f) => f.type !== 'journal')
          .map((f) => f.name);
        const record = await deps.lookups.readRecord(body.table, body.sys_id, fields);
        if (!record) throw new NotFoundError(body.table, body.sys_id);
        const payload: TicketEvent = {
          event: 'updated',
          table: body.table,
          sys_id: body.sys_id,
          number: record.number ?? body.sys_id,
          sys_mod_count: Number(record.sys_mod_count ?? 0),
          sys_updated_on: record.sys_updated_on ?? '',
          sys_updated_by: record.sys_updated_by ?? '',
          changed_fields: [],
          record,
        };
        const result = await deps.dispatcher.triggerManually({
          ruleId,
          payload,
          actor: req.identity!.subject,
          requestedBy: body.requested_by,
        });
        if (result.forbidden) throw new ForbiddenError('rule.trigger_forbidden', result.forbidden, { rule: ruleId });
        if (result.refused) throw new ConflictError('rule.not_triggerable', result.refused, { rule: ruleId });
        return { runId: result.runId, mode: result.mode };
      },
    },
  ];
}

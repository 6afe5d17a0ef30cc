import { z } from 'zod';
import { NotFoundError } from '../errors';
import { watchedTableSchema } from '../engine/event.schema';
import { ruleToBpmn, stagesOf } from '../rules/bpmn';
import { dryRun } from '../rules/dry-run';
import { ruleHistory } from '../rules/rule-history';
import { findRule, type CompiledRule } from '../rules/rule-set';
import type { RouteDefinition } from './route';
import type { RuleRoutesDeps } from './rules.routes';

export interface RuleDetailDeps extends Pick<RuleRoutesDeps, 'rules' | 'catalog' | 'versions'> {
  /** The ticket with that number, raw values; undefined when none (ServiceNow, or the sandbox). */
  findTicket(table: string, number: string): Promise<Record<string, string> | undefined>;
}

const ruleDetailSchema = z.object({
  id: z.string(),
  table: z.string(),
  file: z.string(),
  version: z.string().describe('the running version of the mapping tables'),
  description: z.string(),
  owner: z.string(),
  risk: z.string(),
  mode: z.string(),
  on: z.array(z.unknown()).describe('triggers'),
  condition: z.string().describe('ServiceNow encoded query'),
  gates: z.array(z.string()),
  steps: z.array(
    z.object({ name: z.string(), use: z.string(), gates: z.array(z.string()), when: z.string().nullable() }),
  ),
  stages: z.array(z.array(z.string())).describe('step names per stage; more than one = parallel branches'),
  writeback: z.record(z.string(), z.unknown()).describe('success / failure / refused / waiting_approval'),
});

const ruleRevisionSchema = z.object({
  version: z.string(),
  loadedAt: z.string().describe('ISO 8601: when this version was first loaded'),
  loadedBy: z.string(),
  current: z.boolean().describe('the revision running now'),
  text: z.string().nullable().describe("the rule's definition as YAML; null: the rule was removed in this version"),
  diff: z.string().describe('unified diff from the previous revision of this rule'),
});

/** Stored versions read for a rule's history: the newest ones, as many as `snowline rules history` shows. */
const HISTORY_VERSIONS = 200;

const dryRunByNumberBody = z
  .object({
    table: watchedTableSchema,
    number: z
      .string()
      .regex(/^[A-Z]{2,8}\d{4,12}$/, 'must be a ticket number such as INC0010001')
      .describe('the ticket, read from ServiceNow'),
    trigger: z.enum(['inserted', 'updated']).default('inserted'),
  })
  .strict();

function ruleOr404(deps: RuleDetailDeps, id: string): CompiledRule {
  const rule = findRule(deps.rules.current(), id);
  if (!rule) throw new NotFoundError('rule', id);
  return rule;
}

/** A rule as the console's flow diagram and BPMN export show it, and the dry-run of a ticket by its number. */
export function ruleDetailRoutes(deps: RuleDetailDeps): RouteDefinition[] {
  return [
    {
      method: 'get',
      path: '/rules/:id',
      permission: 'rules:read',
      summary: 'One running rule: trigger, condition, gates, steps by stage, write-backs',
      response: ruleDetailSchema,
      handle: async (req) => {
        const { table, file, definition: d } = ruleOr404(deps, String(req.params.id));
        return {
          id: d.id,
          table,
          file,
          version: deps.rules.current().version,
          description: d.description,
          owner: d.owner,
          risk: d.risk,
          mode: d.mode,
          on: d.on,
          condition: d.condition,
          gates: d.gates,
          steps: d.steps.map((s) => ({ name: s.name, use: s.use, gates: s.gates, when: s.when ?? null })),
          stages: stagesOf(d.steps),
          writeback: d.writeback,
        };
      },
    },
    {
      method: 'get',
      path: '/rules/:id/bpmn',
      permission: 'rules:read',
      summary: 'One running rule as BPMN 2.0 XML (process only, no diagram layout)',
      response: z.object({ fileName: z.string(), xml: z.string() }),
      handle: async (req) => {
        const { table, definition } = ruleOr404(deps, String(req.params.id));
        return { fileName: `${definition.id}.bpmn`, xml: ruleToBpmn(table, definition) };
      },
    },
    {
      method: 'get',
      path: '/rules/:id/versions',
      permission: 'rules:read',
      summary:
        "Versions in which one rule changed, newest first, each with the rule's YAML and a diff from the one before",
      response: z.object({ rule: z.string(), revisions: z.array(ruleRevisionSchema) }),
      handle: async (req) => {
        const id = String(req.params.id);
        const stored = await Promise.all(
          (await deps.versions.list(HISTORY_VERSIONS)).map(async (v) => ({
            version: v.version,
            loadedAt: Number(v.loaded_at),
            loadedBy: v.loaded_by,
            sources: (await deps.versions.sources(v.version)) ?? {},
          })),
        );
        const revisions = ruleHistory(stored, id);
        if (revisions.length === 0 && !findRule(deps.rules.current(), id)) throw new NotFoundError('rule', id);
        return {
          rule: id,
          // The newest revision is the one running, unless the rule has since been removed.
          revisions: revisions.map((r, i) => ({
            ...r,
            loadedAt: new Date(r.loadedAt).toISOString(),
            current: i === 0 && r.text !== null,
          })),
        };
      },
    },
    {
      method: 'post',
      path: '/rules/dry-run/ticket',
      permission: 'rules:read',
      summary:
        'Dry-run of a ticket read by its number: matched rules, and for each other rule the clause that failed; runs nothing',
      body: dryRunByNumberBody,
      response: z.object({ record: z.record(z.string(), z.string()) }).passthrough(),
      handle: async (_req, { body }) => {
        const { table, number, trigger } = body as z.infer<typeof dryRunByNumberBody>;
        const record = await deps.findTicket(table, number);
        if (!record) throw new NotFoundError(table, number);
        return { record, ...dryRun(deps.rules.current(), deps.catalog, table, record, { trigger, changedFields: [] }) };
      },
    },
  ];
}

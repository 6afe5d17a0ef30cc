import { z } from 'zod';

/**
 * The mapping-table language ops teams write (`mappings/<process>.yaml`). These schemas are the
 * documentation: every field says what it is for.
 */

const kebabId = z.string().regex(/^[a-z0-9]+(-[a-z0-9]+)*$/, 'must be kebab-case (a-z, 0-9, single dashes)').max(80);

/** A value rendered from the ticket: a template string, or a structure of them. */
export type TemplateValue = string | number | boolean | null | TemplateValue[] | { [key: string]: TemplateValue };
export const templateValueSchema: z.ZodType<TemplateValue> = z.lazy(() =>
  z.union([z.string().max(4096), z.number(), z.boolean(), z.null(), z.array(templateValueSchema), z.record(z.string(), templateValueSchema)]),
);

export const triggerSchema = z.enum(['inserted', 'updated']).describe('which record events the rule looks at');

/** Names of registered gates (src/engine/gates.ts): `approval` is built in; change management adds its own. */
const gateListSchema = z.array(z.string().regex(/^[a-z][a-z0-9_]*$/, 'gate names are snake_case')).max(20).default([]);

export const stepSchema = z
  .object({
    name: z.string().regex(/^[a-z][a-z0-9_]*$/, 'must be snake_case, starting with a letter').describe('unique within the rule; later templates read `steps.<name>`'),
    use: z.string().regex(/^[a-z0-9_]+\.[a-z0-9_]+$/, 'must be <connector>.<action>').describe('the connector action to run'),
    with: z.record(z.string(), templateValueSchema).default({}).describe('action parameters, templated from the ticket'),
    gates: gateListSchema.describe('gates the step must pass before it starts, asked in order (e.g. [approval])'),
  })
  .strict();
export type StepDefinition = z.infer<typeof stepSchema>;

export const writebackSchema = z
  .object({
    work_note: z.string().max(8000).optional().describe('journal entry added to the ticket (template)'),
    fields: z.record(z.string().regex(/^[a-z_][a-z0-9_]*$/), z.string().max(4000)).default({}).describe('field updates sent in the same PATCH (templates)'),
  })
  .strict();
export type WritebackDefinition = z.infer<typeof writebackSchema>;

/** What a change_request rule adds: how its gates apply and what undoes its work (change management). */
export const changePlanSchema = z
  .object({
    approval: z.enum(['required', 'not_required']).default('required').describe('`not_required` lets a standard (pre-approved) change run without approval; normal and emergency changes always need it'),
    change_tasks: z.boolean().default(false).describe('create one change_task per plan step and close it with the step'),
    rollback: z.array(stepSchema).default([]).describe('steps run, in order, when a plan step fails; their outcome is noted on the change'),
  })
  .strict();
export type ChangePlanDefinition = z.infer<typeof changePlanSchema>;

export const ruleSchema = z
  .object({
    id: kebabId.describe('unique across all tables'),
    description: z.string().min(1).max(500),
    owner: z.string().min(1).max(100).describe('the group that owns the rule'),
    tags: z.array(z.string().min(1).max(40)).default([]),
    risk: z.enum(['low', 'medium', 'high']),
    priority: z.number().int().min(0).max(100000).default(100).describe('lower runs first'),
    mode: z.enum(['active', 'shadow', 'suggest', 'disabled']).default('active'),
    stop: z.boolean().default(false).describe('when this rule matches, later rules are not evaluated'),
    on: z.array(triggerSchema).min(1).default(['inserted']),
    condition: z.string().max(4000).default('').describe('ServiceNow encoded query on the event record'),
    params: z.record(z.string().regex(/^[a-z][a-z0-9_]*$/), templateValueSchema).default({}).describe('named values rendered from the ticket'),
    gates: gateListSchema.describe('gates the run must pass before its first step starts (asked before that step\'s own gates)'),
    steps: z.array(stepSchema).min(1),
    writeback: z
      .object({ success: writebackSchema.optional(), failure: writebackSchema.optional(), refused: writebackSchema.optional().describe('when a gate refused the run; default: the failure write-back') })
      .strict()
      .default({}),
    change: changePlanSchema.optional().describe('change_request rules: approval policy, change tasks and rollback plan'),
  })
  .strict();
export type RuleDefinition = z.infer<typeof ruleSchema>;

export const mappingFileSchema = z
  .object({
    table: z.enum(['incident', 'change_request', 'problem']).describe('the ServiceNow table this file maps'),
    rules: z.array(ruleSchema).default([]),
  })
  .strict();
export type MappingFile = z.infer<typeof mappingFileSchema>;

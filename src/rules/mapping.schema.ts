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
    when: z.string().min(1).max(1000).optional().describe('Liquid condition on earlier results or ticket fields (`steps.check.healthy == false`); false = the step is skipped'),
    parallel: z.string().regex(/^[a-z][a-z0-9_]*$/, 'must be snake_case').optional().describe('adjacent steps with the same parallel group run at once as branches'),
    join: z.union([z.enum(['all', 'first']), z.number().int().min(1)]).optional().describe('how a parallel group ends: all succeed (default), the first success, or at least N'),
    retry: z
      .object({
        max_attempts: z.number().int().min(1).max(100),
        base_delay_ms: z.number().int().positive().max(3_600_000).optional(),
        max_delay_ms: z.number().int().positive().max(86_400_000).optional(),
      })
      .strict()
      .optional()
      .describe("this step's retry policy; default: the connector's, else engine.retry"),
    timeout_seconds: z.number().int().positive().max(7 * 86400).optional().describe('the step fails when it has not finished this long after it started'),
    compensate: z
      .object({ use: z.string().regex(/^[a-z0-9_]+\.[a-z0-9_]+$/, 'must be <connector>.<action>'), with: z.record(z.string(), templateValueSchema).default({}) })
      .strict()
      .optional()
      .describe('the action that undoes this step when a later step fails (run latest first)'),
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

export const escalationSchema = z
  .object({
    assignment_group: z.string().min(1).max(100).optional().describe('group the ticket is reassigned to (name or sys_id)'),
    priority: z.enum(['1', '2', '3', '4', '5']).optional().describe('priority the ticket is raised to'),
    work_note: z.boolean().default(true).describe('add a work note naming what failed and what was tried'),
  })
  .strict();
export type EscalationDefinition = z.infer<typeof escalationSchema>;

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
    escalation: escalationSchema.optional().describe('when the run fails: reassign, raise priority, explain (sent with the failure write-back)'),
    writeback: z
      .object({ success: writebackSchema.optional(), failure: writebackSchema.optional(), refused: writebackSchema.optional().describe('when a gate refused the run; default: the failure write-back') })
      .strict()
      .default({}),
  })
  .strict()
  .superRefine((rule, ctx) => {
    for (const problem of parallelGroupProblems(rule.steps)) ctx.addIssue({ code: 'custom', path: ['steps', problem.index, problem.field], message: problem.message });
  });
export type RuleDefinition = z.infer<typeof ruleSchema>;

export const mappingFileSchema = z
  .object({
    table: z.enum(['incident', 'change_request', 'problem']).describe('the ServiceNow table this file maps'),
    rules: z.array(ruleSchema).default([]),
  })
  .strict();
export type MappingFile = z.infer<typeof mappingFileSchema>;

/** Parallel groups are adjacent steps; a join belongs to a group and asks no more than it has. */
function parallelGroupProblems(steps: readonly StepDefinition[]): { index: number; field: string; message: string }[] {
  const problems: { index: number; field: string; message: string }[] = [];
  const closed = new Set<string>();
  steps.forEach((step, i) => {
    const previous = steps[i - 1]?.parallel;
    if (previous !== undefined && step.parallel !== previous) closed.add(previous);
    if (step.parallel === undefined) {
      if (step.join !== undefined) problems.push({ index: i, field: 'join', message: 'join needs a parallel group' });
      return;
    }
    if (step.parallel !== previous && closed.has(step.parallel)) problems.push({ index: i, field: 'parallel', message: `steps of parallel group ${step.parallel} must be adjacent` });
    const members = steps.filter((s) => s.parallel === step.parallel);
    const joins = new Set(members.map((s) => s.join).filter((j) => j !== undefined));
    if (joins.size > 1) problems.push({ index: i, field: 'join', message: `parallel group ${step.parallel} has different joins` });
    if (typeof step.join === 'number' && step.join > members.length) problems.push({ index: i, field: 'join', message: `join ${step.join} exceeds the ${members.length} branches of ${step.parallel}` });
  });
  return problems;
}

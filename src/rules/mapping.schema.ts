import { z } from 'zod';
import { parallelGroupProblems } from './parallel-groups';
import { scheduleTriggerSchema } from './schedule.schema';

/**
 * The mapping-table language ops teams write (`mappings/<process>.yaml`). These schemas are the
 * documentation: every field says what it is for.
 */

const kebabId = z
  .string()
  .regex(/^[a-z0-9]+(-[a-z0-9]+)*$/, 'must be kebab-case (a-z, 0-9, single dashes)')
  .max(80);

/** A value rendered from the ticket: a template string, or a structure of them. */
export type TemplateValue = string | number | boolean | null | TemplateValue[] | { [key: string]: TemplateValue };
export const templateValueSchema: z.ZodType<TemplateValue> = z.lazy(() =>
  z.union([
    z.string().max(4096),
    z.number(),
    z.boolean(),
    z.null(),
    z.array(templateValueSchema),
    z.record(z.string(), templateValueSchema),
  ]),
);

const fieldName = z.string().regex(/^[a-z_][a-z0-9_]*$/, 'must be a ServiceNow column name');

/**
 * When a rule looks at an event:
 * - `inserted` / `updated`: every insert or update of a record of the table;
 * - `{ changes: [field, ...] }`: an update where any listed field changed (the event's `changed_fields`);
 *   `{ changes: { field: value } }`: an update where the field changed *to* that value;
 * - `{ command: name, allowed_groups: [...] }`: an agent typed `/automate <name> key=value ...` in a work
 *   note, and is a member of one of the groups;
 * - `manual`: an operator triggered it through `POST /api/v1/rules/{id}/trigger`;
 *   `{ manual: true, allowed_groups: [...] }`: the same, on behalf of a service-desk agent (the UI
 *   Action sends the agent's `requested_by`) who is a member of one of the groups;
 * - `{ schedule: { cron, query } }`: each record the query finds on a tick (src/rules/schedule.schema.ts).
 */
export const triggerSchema = z.union([
  z.enum(['inserted', 'updated', 'manual']),
  z.object({ changes: z.union([z.array(fieldName).min(1), z.record(fieldName, z.string().max(4000))]) }).strict(),
  z
    .object({
      command: kebabId.describe('the word after /automate'),
      allowed_groups: z
        .array(z.string().min(1).max(100))
        .min(1)
        .describe('ServiceNow groups (sys_user_group.name) whose members may run the command'),
    })
    .strict(),
  z
    .object({
      manual: z.literal(true),
      allowed_groups: z
        .array(z.string().min(1).max(100))
        .min(1)
        .describe('ServiceNow groups (sys_user_group.name) whose members may trigger the rule from the UI Action'),
    })
    .strict(),
  scheduleTriggerSchema,
]);
export type TriggerDefinition = z.infer<typeof triggerSchema>;

/** The plain `manual` trigger or its agent-restricted form. */
export function isManualTrigger(trigger: TriggerDefinition): boolean {
  return trigger === 'manual' || (typeof trigger === 'object' && 'manual' in trigger);
}

/** Names of registered gates (src/engine/gates.ts): `approval` is built in; change management adds its own. */
const gateListSchema = z
  .array(z.string().regex(/^[a-z][a-z0-9_]*$/, 'gate names are snake_case'))
  .max(20)
  .default([]);

/**
 * A milestone check (`requires:` on a step): evidence that must be there before the step starts.
 * Either an earlier step succeeded — and, with `result`, its result matches an encoded query over
 * its fields (`artifacts.scan_result=passed`) — or the ticket, read from ServiceNow when the step is
 * about to start, matches an encoded query (`u_security_scan=passed`). A check not met refuses the
 * step; every verdict goes to a work note and the audit journal.
 */
export const stepRequirementSchema = z
  .object({
    check: z.string().min(1).max(100).describe('what the check is called in the verdict (e.g. "security scan passed")'),
    step: z
      .string()
      .regex(/^[a-z][a-z0-9_]*$/, 'must be snake_case')
      .optional()
      .describe('an earlier step of the same list that must have succeeded'),
    result: z
      .string()
      .min(1)
      .max(2000)
      .optional()
      .describe("encoded query the step's result must match; result fields are dotted paths (artifacts.scan_result)"),
    record: z
      .string()
      .min(1)
      .max(2000)
      .optional()
      .describe('encoded query the ticket must match as ServiceNow shows it when the step is about to start'),
  })
  .strict()
  .refine((r) => (r.step === undefined) !== (r.record === undefined), {
    message: 'give either step (an earlier step) or record (an encoded query on the ticket)',
    path: ['step'],
  })
  .refine((r) => r.result === undefined || r.step !== undefined, {
    message: "result needs step: it is matched against that step's result",
    path: ['result'],
  });
export type StepRequirement = z.infer<typeof stepRequirementSchema>;

export const stepSchema = z
  .object({
    name: z
      .string()
      .regex(/^[a-z][a-z0-9_]*$/, 'must be snake_case, starting with a letter')
      .describe('unique within the rule; later templates read `steps.<name>`'),
    use: z
      .string()
      .regex(/^[a-z0-9_]+\.[a-z0-9_]+$/, 'must be <connector>.<action>')
      .describe('the connector action to run'),
    with: z
      .record(z.string(), templateValueSchema)
      .default({})
      .describe('action parameters, templated from the ticket'),
    gates: gateListSchema.describe('gates the step must pass before it starts, asked in order (e.g. [approval])'),
    when: z
      .string()
      .min(1)
      .max(1000)
      .optional()
      .describe(
        'Liquid condition on earlier results or ticket fields (`steps.check.healthy == false`); false = the step is skipped',
      ),
    requires: z
      .array(stepRequirementSchema)
      .min(1)
      .max(20)
      .optional()
      .describe(
        'milestone checks that must be met before the step starts (after its gates); a check not met refuses the step',
      ),
    parallel: z
      .string()
      .regex(/^[a-z][a-z0-9_]*$/, 'must be snake_case')
      .optional()
      .describe('adjacent steps with the same parallel group run at once as branches'),
    join: z
      .union([z.enum(['all', 'first']), z.number().int().min(1)])
      .optional()
      .describe('how a parallel group ends: all succeed (default), the first success, or at least N'),
    retry: z
      .object({
        max_attempts: z.number().int().min(1).max(100),
        base_delay_ms: z.number().int().positive().max(3_600_000).optional(),
        max_delay_ms: z.number().int().positive().max(86_400_000).optional(),
      })
      .strict()
      .optional()
      .describe("this step's retry policy; default: the connector's, else engine.retry"),
    timeout_seconds: z
      .number()
      .int()
      .positive()
      .max(7 * 86400)
      .optional()
      .describe('the step fails when it has not finished this long after it started'),
    compensate: z
      .object({
        use: z.string().regex(/^[a-z0-9_]+\.[a-z0-9_]+$/, 'must be <connector>.<action>'),
        with: z.record(z.string(), templateValueSchema).default({}),
      })
      .strict()
      .optional()
      .describe('the action that undoes this step when a later step fails (run latest first)'),
    privileged: z
      .boolean()
      .optional()
      .describe(
        'the step runs with a credential checked out just in time (see credential); it must pass the approval gate first',
      ),
    credential: z
      .string()
      .regex(/^[a-z0-9]+(-[a-z0-9]+)*$/, 'must be kebab-case (a name under privilege.credentials in config)')
      .optional()
      .describe(
        "privileged steps: the credential to check out for the attempt; its fields are `credential.<field>` in this step's `with`",
      ),
  })
  .strict();
export type StepDefinition = z.infer<typeof stepSchema>;

export const writebackSchema = z
  .object({
    work_note: z.string().max(8000).optional().describe('journal entry added to the ticket (template)'),
    fields: z
      .record(z.string().regex(/^[a-z_][a-z0-9_]*$/), z.string().max(4000))
      .default({})
      .describe('field updates sent in the same PATCH (templates)'),
    attach_output: z
      .object({
        step: z.string().regex(/^[a-z][a-z0-9_]*$/),
        file_name: z
          .string()
          .max(200)
          .regex(/^[A-Za-z0-9][A-Za-z0-9._-]*$/, 'letters, digits, dot, dash and underscore only (a name, not a path)')
          .default('job-output.txt'),
      })
      .strict()
      .optional()
      .describe(
        "attach the named step's output (the controller job's or playbook's stdout, else its result or error) to the ticket, through the outbox",
      ),
  })
  .strict();
export type WritebackDefinition = z.infer<typeof writebackSchema>;

export const escalationSchema = z
  .object({
    assignment_group: z
      .string()
      .min(1)
      .max(100)
      .optional()
      .describe('group the ticket is reassigned to (name or sys_id)'),
    priority: z.enum(['1', '2', '3', '4', '5']).optional().describe('priority the ticket is raised to'),
    work_note: z.boolean().default(true).describe('add a work note naming what failed and what was tried'),
  })
  .strict();
export type EscalationDefinition = z.infer<typeof escalationSchema>;

/** What a change_request rule adds: how its gates apply and what undoes its work (change management). */
export const changePlanSchema = z
  .object({
    approval: z
      .enum(['required', 'not_required'])
      .default('required')
      .describe(
        '`not_required` lets a standard (pre-approved) change run without approval; normal and emergency changes always need it',
      ),
    change_tasks: z
      .boolean()
      .default(false)
      .describe('create one change_task per plan step and close it with the step'),
    rollback: z
      .array(stepSchema)
      .default([])
      .describe('steps run, in order, when a plan step fails; their outcome is noted on the change'),
  })
  .strict();
export type ChangePlanDefinition = z.infer<typeof changePlanSchema>;

/**
 * How many runs may be active at once. A run held back waits in state `queued` (nothing fails) and
 * starts, oldest first, when its turn comes, on whichever instance.
 */
export const concurrencySchema = z
  .object({
    key: z
      .string()
      .min(1)
      .max(500)
      .optional()
      .describe(
        'template rendered when the run is created (ticket, params, rule, command): runs whose keys are equal, of any rule, run one at a time — e.g. "ci:{{ ticket.cmdb_ci }}"; a key that renders empty holds nothing back',
      ),
    max_runs: z
      .number()
      .int()
      .min(1)
      .max(100_000)
      .optional()
      .describe('runs of this rule active at once (on all instances together)'),
  })
  .strict()
  .refine((c) => c.key !== undefined || c.max_runs !== undefined, { message: 'give key, max_runs or both' });
export type ConcurrencyDefinition = z.infer<typeof concurrencySchema>;

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
    params: z
      .record(z.string().regex(/^[a-z][a-z0-9_]*$/), templateValueSchema)
      .default({})
      .describe('named values rendered from the ticket'),
    gates: gateListSchema.describe(
      "gates the run must pass before its first step starts (asked before that step's own gates)",
    ),
    secret_params: z
      .array(z.string())
      .default([])
      .describe('names of params whose values never appear in logs, work notes, audit entries, API answers or errors'),
    optional_params: z
      .array(z.string())
      .default([])
      .describe(
        'names of params that may render empty; any other param that renders empty stops the run before its first step, with a note naming it',
      ),
    use: z
      .string()
      .regex(/^template:[a-z0-9]+(-[a-z0-9]+)*$/, 'must be template:<name> (a file in mappings/templates/)')
      .optional()
      .describe('run the steps of a reusable template instead of writing `steps`; `params` fill its parameters'),
    steps: z
      .array(stepSchema)
      .min(1)
      .optional()
      .describe('the connector actions to run, in order (or `use` a template)'),
    concurrency: concurrencySchema
      .optional()
      .describe('runs active at once: one per key, and at most max_runs of this rule (others wait queued)'),
    escalation: escalationSchema
      .optional()
      .describe('when the run fails: reassign, raise priority, explain (sent with the failure write-back)'),
    writeback: z
      .object({
        success: writebackSchema.optional(),
        failure: writebackSchema.optional(),
        refused: writebackSchema.optional().describe('when a gate refused the run; default: the failure write-back'),
        waiting_approval: writebackSchema.optional(),
      })
      .strict()
      .default({}),
    change: changePlanSchema
      .optional()
      .describe('change_request rules: approval policy, change tasks and rollback plan'),
    /** Templates of these steps also read `failure.run_id`, `failure.step` and `failure.error`. */
    on_failure: z
      .array(stepSchema)
      .max(10)
      .optional()
      .describe('steps run as a run of their own when a run of this rule fails; [] = none; absent = engine.onFailure'),
  })
  .strict()
  .refine((rule) => (rule.use === undefined) !== (rule.steps === undefined), {
    message: 'give either steps or use: template:<name>, not both or neither',
    path: ['steps'],
  })
  .superRefine((rule, ctx) => {
    for (const problem of parallelGroupProblems(rule.steps ?? []))
      ctx.addIssue({ code: 'custom', path: ['steps', problem.index, problem.field], message: problem.message });
  });
/** A rule as written; after loading, `steps` always holds the steps (a template's, when it `use`s one). */
export type RuleDefinition = z.infer<typeof ruleSchema>;
/**
 * A rule ready to run: template expanded, `risk` raised to the highest of its label, its template's
 * and its actions' (src/rules/rule-risk.ts); `declared_risk` keeps the label as written, so lowering
 * it is still seen as a change.
 */
export type ResolvedRule = RuleDefinition & { steps: StepDefinition[]; declared_risk?: RuleDefinition['risk'] };

/** A parameter a template expects from the rules that use it. */
export const templateParamSchema = z
  .object({
    description: z.string().min(1).max(300),
    required: z.boolean().default(true),
    default: z.string().max(4000).optional().describe('used when the rule does not give the parameter'),
  })
  .strict();

/**
 * A reusable component in `mappings/templates/<name>.yaml`: a named list of steps and the params they
 * read. Rules refer to it with `use: template:<name>` and supply the params. Steps have the same shape
 * as a rule's, so workflow constructs added to steps work in templates too.
 */
export const templateFileSchema = z
  .object({
    template: kebabId.describe('the name rules use after template:; must match the file name'),
    description: z.string().min(1).max(500),
    risk: z
      .enum(['low', 'medium', 'high'])
      .optional()
      .describe("the least risk of any rule using this template (its actions' risks count too)"),
    params: z.record(z.string().regex(/^[a-z][a-z0-9_]*$/), templateParamSchema).default({}),
    steps: z.array(stepSchema).min(1),
  })
  .strict();
export type TemplateDefinition = z.infer<typeof templateFileSchema>;

export const mappingFileSchema = z
  .object({
    table: z.enum(['incident', 'change_request', 'problem']).describe('the ServiceNow table this file maps'),
    rules: z.array(ruleSchema).default([]),
  })
  .strict();
export type MappingFile = z.infer<typeof mappingFileSchema>;

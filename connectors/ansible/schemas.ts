import { z } from 'zod';

/**
 * Shapes of the Ansible connector: its configuration, the controller (AWX / AAP) answers it reads,
 * and the validation of what Snowline sends to playbooks. Ticket text is untrusted: it reaches a
 * playbook only as data inside `extra_vars`, type-checked and length-capped here, and never as a
 * host pattern (`limit` is validated as a plain list of host names).
 */

// ---------------------------------------------------------------------------------------------
// Configuration
// ---------------------------------------------------------------------------------------------

export const controllerConfigSchema = z
  .object({
    url: z.string().url().describe('controller base URL, e.g. https://awx.example.com (env AWX_URL)'),
    apiPath: z
      .string()
      .regex(/^\/(.*\/)?$/, 'must start and end with /')
      .default('/api/v2/')
      .describe('/api/v2/ (AWX, AAP ≤ 2.4) or /api/controller/v2/ (AAP 2.5+ platform gateway)'),
    token: z.string().min(1).optional().describe('bearer token (env AWX_TOKEN)'),
    username: z.string().min(1).optional().describe('basic auth user, when no token'),
    password: z.string().min(1).optional(),
    caFile: z
      .string()
      .min(1)
      .optional()
      .describe('custom CA: a PEM file path, or the PEM text itself (from a file: reference)'),
    verifyTls: z.boolean().default(true).describe('false accepts any certificate (lab use only)'),
    timeoutMs: z.number().int().positive().default(30000).describe('per HTTP request, in ms'),
    pollIntervalMs: z.number().int().positive().default(1000).describe('how often a running job is looked at, in ms'),
    maxPollIntervalMs: z
      .number()
      .int()
      .positive()
      .default(30_000)
      .describe(
        'the longest wait between two looks at a long-running job, in ms (the wait grows to a tenth of its running time)',
      ),
    maxConcurrent: z.number().int().positive().default(8).describe('requests in flight at once against the controller'),
    templateCacheMs: z
      .number()
      .int()
      .nonnegative()
      .default(5000)
      .describe(
        "how long a template's lookup, launch prompts and survey serve further launches, in ms (0: read for every launch); an edit in the controller is seen this much later",
      ),
    retry: z
      .object({
        maxAttempts: z.number().int().min(1).max(20).default(4).describe('HTTP attempts per idempotent request'),
        baseDelayMs: z.number().int().positive().default(500),
        maxDelayMs: z.number().int().positive().default(30000),
      })
      .strict()
      .default({ maxAttempts: 4, baseDelayMs: 500, maxDelayMs: 30000 }),
    recoverLookbackMs: z
      .number()
      .int()
      .positive()
      .default(24 * 3600 * 1000)
      .describe('how far back recovery scans a template’s jobs for the idempotency key, in ms'),
    stdoutTailBytes: z
      .number()
      .int()
      .positive()
      .max(1024 * 1024)
      .default(4096)
      .describe('bytes of job output kept in results'),
  })
  .strict()
  .superRefine((c, ctx) => {
    if (c.token && (c.username || c.password))
      ctx.addIssue({ code: 'custom', path: ['token'], message: 'give either token or username + password, not both' });
    if (!!c.username !== !!c.password)
      ctx.addIssue({ code: 'custom', path: ['username'], message: 'username and password go together' });
  });
export type ControllerConfig = z.infer<typeof controllerConfigSchema>;
export type ControllerConfigInput = z.input<typeof controllerConfigSchema>;

// ---------------------------------------------------------------------------------------------
// Controller answers (https://docs.ansible.com/projects/awx/en/latest/rest_api/)
// ---------------------------------------------------------------------------------------------

/** `GET job_templates/?name=…` rows (only what Snowline reads). */
export const jobTemplateSchema = z
  .object({
    id: z.number().int(),
    name: z.string(),
    type: z.string().optional(),
    organization: z.number().int().nullish(),
    summary_fields: z
      .object({ organization: z.object({ id: z.number().optional(), name: z.string() }).partial().optional() })
      .partial()
      .passthrough()
      .optional(),
    ask_variables_on_launch: z.boolean().optional(),
    ask_limit_on_launch: z.boolean().optional(),
    ask_inventory_on_launch: z.boolean().optional(),
    ask_credential_on_launch: z.boolean().optional(),
    survey_enabled: z.boolean().optional(),
  })
  .passthrough();
export type JobTemplate = z.infer<typeof jobTemplateSchema>;

const pageSchema = <T extends z.ZodType>(item: T) =>
  z
    .object({
      count: z.number().int().optional(),
      next: z.string().nullish(),
      previous: z.string().nullish(),
      results: z.array(item),
    })
    .passthrough();

/** `GET job_templates/{id}/launch/`: which prompts the template accepts at launch. */
export const launchPromptsSchema = z
  .object({
    ask_variables_on_launch: z.boolean().default(false),
    ask_limit_on_launch: z.boolean().default(false),
    ask_inventory_on_launch: z.boolean().default(false),
    ask_credential_on_launch: z.boolean().default(false),
    ask_labels_on_launch: z.boolean().default(false),
    ask_tags_on_launch: z.boolean().default(false),
    ask_job_type_on_launch: z.boolean().default(false),
    can_start_without_user_input: z.boolean().optional(),
    passwords_needed_to_start: z.array(z.string()).default([]),
    variables_needed_to_start: z.array(z.string()).default([]),
    survey_enabled: z.boolean().default(false),
    inventory_needed_to_start: z.boolean().default(false),
    credential_needed_to_start: z.boolean().optional(),
    job_template_data: z.object({ id: z.number().int(), name: z.string() }).partial().passthrough().optional(),
  })
  .passthrough();
export type LaunchPrompts = z.infer<typeof launchPromptsSchema>;

/** `GET job_templates/{id}/survey_spec/`. */
export const surveySpecSchema = z
  .object({ spec: z.array(z.object({ variable: z.string() }).passthrough()).default([]) })
  .passthrough();

/** Job states; the last four are terminal (https://github.com/ansible/awx/blob/devel/awx/main/models/unified_jobs.py). */
export const JOB_STATUSES = [
  'new',
  'pending',
  'waiting',
  'running',
  'successful',
  'failed',
  'error',
  'canceled',
] as const;
export type JobStatus = (typeof JOB_STATUSES)[number];
export const TERMINAL_STATUSES: ReadonlySet<string> = new Set(['successful', 'failed', 'error', 'canceled']);

/** `GET jobs/{id}/` (and list rows). `extra_vars` arrives as a JSON (or YAML) string. */
export const jobSchema = z
  .object({
    id: z.number().int(),
    status: z.string(),
    failed: z.boolean().default(false),
    started: z.string().nullish(),
    finished: z.string().nullish(),
    created: z.string().nullish(),
    elapsed: z.union([z.number(), z.string().transform(Number)]).default(0),
    job_template: z.number().int().nullish(),
    workflow_job_template: z.number().int().nullish(),
    job_explanation: z.string().nullish(),
    artifacts: z.union([z.record(z.string(), z.unknown()), z.string()]).nullish(),
    extra_vars: z.union([z.string(), z.record(z.string(), z.unknown())]).nullish(),
    limit: z.string().nullish(),
  })
  .passthrough();
export type Job = z.infer<typeof jobSchema>;

/** `GET labels/` rows. */
export const labelSchema = z
  .object({ id: z.number().int(), name: z.string(), organization: z.number().int() })
  .passthrough();

/** `GET workflow_jobs/{id}/workflow_nodes/` rows: the template a node runs and its job, once launched. */
export const workflowNodeSchema = z
  .object({
    id: z.number().int(),
    job: z.number().int().nullish(),
    unified_job_template: z.number().int().nullish(),
    do_not_run: z.boolean().default(false),
    summary_fields: z
      .object({
        unified_job_template: z.object({ name: z.string() }).partial().passthrough().optional(),
        job: z.object({ status: z.string() }).partial().passthrough().optional(),
      })
      .partial()
      .passthrough()
      .default({}),
  })
  .passthrough();
export type WorkflowNode = z.infer<typeof workflowNodeSchema>;

// Pages of each kind, built once: a zod schema costs more to build than to check a page with.
export const jobPageSchema = pageSchema(jobSchema);
export const jobTemplatePageSchema = pageSchema(jobTemplateSchema);
export const labelPageSchema = pageSchema(labelSchema);
export const workflowNodePageSchema = pageSchema(workflowNodeSchema);

/** `POST …/launch/` 201 body: `job` (or `workflow_job`) id, `ignored_fields`, then the job itself. */
export const launchResponseSchema = z
  .object({
    job: z.number().int().optional(),
    workflow_job: z.number().int().optional(),
    id: z.number().int(),
    status: z.string().optional(),
    ignored_fields: z.record(z.string(), z.unknown()).default({}),
  })
  .passthrough();
export type LaunchResponse = z.infer<typeof launchResponseSchema>;

// ---------------------------------------------------------------------------------------------
// What Snowline sends: limit and extra_vars
// ---------------------------------------------------------------------------------------------

const HOST = /^[A-Za-z0-9](?:[A-Za-z0-9_.-]{0,251}[A-Za-z0-9])?$/;
const BROAD_PATTERNS = new Set(['all', 'ungrouped', 'localhost']);

/**
 * Checks a `limit`: a comma-separated list of host names (or IPv4 addresses), nothing else.
 * Host patterns would widen or redirect the run, so these are refused: `all`, `ungrouped`,
 * `localhost`, exclusions `!`, intersections `&`, ranges/ports `:`, wildcards `*` `?` `[`,
 * regexes `~`, file lists `@`, spaces and any template syntax (`{{`, `{%`, `{#`).
 * Returns the problem, or undefined when the limit is acceptable.
 */
export function limitProblem(limit: string): string | undefined {
  if (limit.length === 0) return 'is empty';
  if (limit.length > 4096) return 'is longer than 4096 characters';
  if (/[{}]|\{%|\{#/.test(limit)) return 'contains template syntax';
  if (/\s/.test(limit)) return 'contains whitespace';
  const bad = /[!&:*?[\]~@]/.exec(limit);
  if (bad) return `contains ${JSON.stringify(bad[0])}, which is host-pattern syntax`;
  const hosts = limit.split(',');
  for (const host of hosts) {
    if (host === '') return 'has an empty entry';
    if (BROAD_PATTERNS.has(host.toLowerCase())) return `names ${JSON.stringify(host)}, which is not a single host`;
    if (!HOST.test(host)) return `entry ${JSON.stringify(host.slice(0, 80))} is not a host name`;
  }
  if (hosts.length > 200) return 'names more than 200 hosts';
  return undefined;
}

export const limitSchema = z.string().superRefine((limit, ctx) => {
  const problem = limitProblem(limit);
  if (problem) ctx.addIssue({ code: 'custom', message: `limit ${problem}` });
});

/** Caps on what extra_vars may hold. */
export const EXTRA_VARS_LIMITS = {
  maxStringLength: 8192,
  maxDepth: 6,
  maxKeys: 200,
  maxArrayLength: 500,
  maxTotalBytes: 256 * 1024,
} as const;

/** Top-level keys Snowline writes itself; a rule may not set them. */
export const RESERVED_EXTRA_VARS = ['snowline', 'ansible_eda'] as const;

const VAR_NAME = /^[A-Za-z_][A-Za-z0-9_]{0,127}$/;

/**
 * Problems with an extra_vars object: keys must be Ansible variable names (nested keys too), values
 * JSON data only (string, finite number, boolean, null, arrays, objects), bounded in depth, size
 * and string length. Returns one line per problem (empty when fine).
 */
export function extraVarsProblems(vars: Record<string, unknown>): string[] {
  const problems: string[] = [];
  let keys = 0;
  const walk = (value: unknown, path: string, depth: number): void => {
    if (problems.length >= 20) return;
    if (depth > EXTRA_VARS_LIMITS.maxDepth) {
      problems.push(`${path}: nested deeper than ${EXTRA_VARS_LIMITS.maxDepth} levels`);
      return;
    }
    if (value === null || typeof value === 'boolean') return;
    if (typeof value === 'string') {
      if (value.length > EXTRA_VARS_LIMITS.maxStringLength)
        problems.push(`${path}: string longer than ${EXTRA_VARS_LIMITS.maxStringLength} characters`);
      return;
    }
    if (typeof value === 'number') {
      if (!Number.isFinite(value)) problems.push(`${path}: not a finite number`);
      return;
    }
    if (Array.isArray(value)) {
      if (value.length > EXTRA_VARS_LIMITS.maxArrayLength)
        problems.push(`${path}: more than ${EXTRA_VARS_LIMITS.maxArrayLength} items`);
      value.forEach((v, i) => walk(v, `${path}[${i}]`, depth + 1));
      return;
    }
    if (typeof value === 'object' && Object.getPrototypeOf(value) === Object.prototype) {
      for (const [k, v] of Object.entries(value as Record<string, unknown>)) {
        keys++;
        if (!VAR_NAME.test(k))
          problems.push(
            `${path}.${k.slice(0, 60)}: not a variable name (letters, digits, _; not starting with a digit)`,
          );
        else walk(v, `${path}.${k}`, depth + 1);
      }
      return;
    }
    problems.push(`${path}: ${typeof value} is not JSON data`);
  };
  for (const reserved of RESERVED_EXTRA_VARS)
    if (reserved in vars) problems.push(`extra_vars.${reserved}: reserved for Snowline`);
  walk(vars, 'extra_vars', 0);
  if (keys > EXTRA_VARS_LIMITS.maxKeys) problems.push(`extra_vars: more than ${EXTRA_VARS_LIMITS.maxKeys} keys in all`);
  if (problems.length === 0) {
    const bytes = Buffer.byteLength(JSON.stringify(vars), 'utf8');
    if (bytes > EXTRA_VARS_LIMITS.maxTotalBytes)
      problems.push(`extra_vars: ${bytes} bytes of JSON, more than ${EXTRA_VARS_LIMITS.maxTotalBytes}`);
  }
  return problems;
}

export const extraVarsSchema = z.record(z.string(), z.unknown()).superRefine((vars, ctx) => {
  for (const message of extraVarsProblems(vars)) ctx.addIssue({ code: 'custom', message });
});

// ---------------------------------------------------------------------------------------------
// Action results
// ---------------------------------------------------------------------------------------------

export const launchJobResultSchema = z.object({
  job_id: z.number().int(),
  status: z.string(),
  failed: z.boolean(),
  elapsed: z.number(),
  artifacts: z.record(z.string(), z.unknown()),
  stdout_tail: z.string(),
});
export type LaunchJobResult = z.infer<typeof launchJobResultSchema>;

export const workflowNodeResultSchema = z.object({
  node_id: z.number().int(),
  job_template: z.string(),
  /** Null for a node that never ran. */
  job_id: z.number().int().nullable(),
  status: z.string(),
});

export const launchWorkflowResultSchema = z.object({
  workflow_job_id: z.number().int(),
  status: z.string(),
  failed: z.boolean(),
  elapsed: z.number(),
  nodes: z.array(workflowNodeResultSchema),
  /** The nodes' jobs' `set_stats` artifacts merged in node order, as the workflow passes them on. */
  artifacts: z.record(z.string(), z.unknown()),
});
export type LaunchWorkflowResult = z.infer<typeof launchWorkflowResultSchema>;

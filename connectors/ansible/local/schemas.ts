import { z } from 'zod';
import { limitSchema } from '../schemas';
import { connectorLimitsSchema } from '../../endpoint-limits';

/**
 * Shapes of the local ansible-playbook runner. Ticket text reaches a playbook only through the
 * variables a playbook's entry declares here (allow-listed names, typed values, length caps) and
 * through `limit`, which must name hosts of the inventory.
 */

/** The type of one variable a playbook accepts. Strings are always length-capped. */
export const varSpecSchema = z.discriminatedUnion('type', [
  z
    .object({
      type: z.literal('string'),
      maxLength: z.number().int().positive().max(8192).default(256).describe('characters'),
      pattern: z.string().optional().describe('regular expression the whole value must match'),
      enum: z.array(z.string()).min(1).optional(),
      required: z.boolean().default(false),
    })
    .strict(),
  z
    .object({
      type: z.literal('integer'),
      min: z.number().int().optional(),
      max: z.number().int().optional(),
      required: z.boolean().default(false),
    })
    .strict(),
  z.object({ type: z.literal('boolean'), required: z.boolean().default(false) }).strict(),
  z
    .object({
      type: z.literal('string_list'),
      maxItems: z.number().int().positive().max(500).default(50),
      maxLength: z.number().int().positive().max(8192).default(256).describe('characters per item'),
      required: z.boolean().default(false),
    })
    .strict(),
]);
export type VarSpec = z.infer<typeof varSpecSchema>;

const VAR_NAME = /^[A-Za-z_][A-Za-z0-9_]{0,127}$/;

export const playbookEntrySchema = z
  .object({
    file: z
      .string()
      .min(1)
      .refine((f) => !f.startsWith('/') && !f.split(/[\\/]/).includes('..'), 'must be a path inside playbookDir')
      .describe('playbook file, relative to playbookDir'),
    vars: z
      .record(z.string().regex(VAR_NAME, 'must be an Ansible variable name'), varSpecSchema)
      .refine((v) => !('snowline' in v) && !('ansible_eda' in v), 'snowline and ansible_eda are reserved')
      .default({})
      .describe('the only variables a step may pass, with their types'),
    timeoutMs: z.number().int().positive().optional().describe('overrides the runner timeout for this playbook, in ms'),
  })
  .strict();
export type PlaybookEntry = z.infer<typeof playbookEntrySchema>;

export const localRunnerConfigSchema = z
  .object({
    ansiblePlaybook: z.string().min(1).default('ansible-playbook').describe('the ansible-playbook executable'),
    ansibleInventory: z
      .string()
      .min(1)
      .default('ansible-inventory')
      .describe('the ansible-inventory executable (host list for limit checks)'),
    playbookDir: z.string().min(1).describe('directory holding the playbooks'),
    inventory: z.string().min(1).describe('inventory file or directory'),
    playbooks: z
      .record(z.string().regex(/^[a-z][a-z0-9_-]{0,63}$/), playbookEntrySchema)
      .describe('playbooks steps may run, by name'),
    stdoutCallback: z
      .string()
      .default('ansible.posix.json')
      .describe('a JSON stdout callback (ansible.posix.json, from the ansible package or collection)'),
    timeoutMs: z
      .number()
      .int()
      .positive()
      .default(30 * 60 * 1000)
      .describe('a run is killed after this, in ms'),
    killGraceMs: z.number().int().positive().default(5000).describe('SIGTERM to SIGKILL, in ms'),
    // Per runner (this host): playbook runs at once, and per hour.
    ...connectorLimitsSchema,
    stdoutTailBytes: z
      .number()
      .int()
      .positive()
      .max(1024 * 1024)
      .default(4096)
      .describe('bytes of the human-readable output kept in results'),
    maxOutputBytes: z
      .number()
      .int()
      .positive()
      .default(64 * 1024 * 1024)
      .describe('a run writing more JSON output than this is killed'),
    workRoot: z.string().optional().describe('where per-step work directories are made; default the OS temp dir'),
  })
  .strict();
export type LocalRunnerConfig = z.infer<typeof localRunnerConfigSchema>;
export type LocalRunnerConfigInput = z.input<typeof localRunnerConfigSchema>;

/** Parameters of `ansible_local.run_playbook`. Variable values are checked against the playbook entry. */
export const runPlaybookParamsSchema = z
  .object({
    playbook: z.string().min(1).max(64).describe('a playbook name from the runner configuration'),
    limit: limitSchema.optional().describe('comma-separated inventory host names'),
    vars: z.record(z.string(), z.unknown()).default({}).describe('values for the variables the playbook declares'),
  })
  .strict();
export type RunPlaybookParams = z.infer<typeof runPlaybookParamsSchema>;

export const hostResultSchema = z.object({
  ok: z.number().int(),
  changed: z.number().int(),
  failures: z.number().int(),
  unreachable: z.number().int(),
  skipped: z.number().int(),
  rescued: z.number().int(),
  ignored: z.number().int(),
});
export type HostResult = z.infer<typeof hostResultSchema>;

export const runPlaybookResultSchema = z.object({
  playbook: z.string(),
  exit_code: z.number().int(),
  hosts: z.record(z.string(), hostResultSchema),
  /** Per task, per host: the module's `msg` when it gave one (e.g. `debug`). */
  messages: z.array(z.object({ task: z.string(), host: z.string(), msg: z.unknown() })),
  stats: z.record(z.string(), z.unknown()).describe('set_stats data (global_custom_stats)'),
  stdout_tail: z.string(),
});
export type RunPlaybookResult = z.infer<typeof runPlaybookResultSchema>;

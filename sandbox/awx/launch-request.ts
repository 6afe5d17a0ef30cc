import { parse as parseYaml } from 'yaml';
import { z } from 'zod';
import { ValidationError, type FieldProblem } from '../../src/errors';
import type { AskFlag } from './awx-model';

const ids = z.array(z.number().int());

/** docs/awx-behaviour.md §1.2: the prompts a launch may answer, the flag that must allow each, and its value's shape. */
const PROMPTS = {
  extra_vars: { flag: 'ask_variables_on_launch', schema: z.union([z.record(z.string(), z.unknown()), z.string()]) },
  limit: { flag: 'ask_limit_on_launch', schema: z.string() },
  inventory: { flag: 'ask_inventory_on_launch', schema: z.number().int() },
  credentials: { flag: 'ask_credential_on_launch', schema: ids },
  job_type: { flag: 'ask_job_type_on_launch', schema: z.enum(['run', 'check']) },
  job_tags: { flag: 'ask_tags_on_launch', schema: z.string() },
  skip_tags: { flag: 'ask_skip_tags_on_launch', schema: z.string() },
  diff_mode: { flag: 'ask_diff_mode_on_launch', schema: z.boolean() },
  verbosity: { flag: 'ask_verbosity_on_launch', schema: z.number().int().min(0).max(5) },
  scm_branch: { flag: 'ask_scm_branch_on_launch', schema: z.string() },
  labels: { flag: 'ask_labels_on_launch', schema: ids },
  execution_environment: { flag: 'ask_execution_environment_on_launch', schema: z.number().int() },
  forks: { flag: 'ask_forks_on_launch', schema: z.number().int().min(0) },
  job_slice_count: { flag: 'ask_job_slice_count_on_launch', schema: z.number().int().min(1) },
  timeout: { flag: 'ask_timeout_on_launch', schema: z.number().int() },
  instance_groups: { flag: 'ask_instance_groups_on_launch', schema: ids },
} satisfies Record<string, { flag: AskFlag; schema: z.ZodType }>;

type PromptName = keyof typeof PROMPTS;

/** What a launch request gives the new job: its accepted prompts and what was ignored. */
export interface LaunchRequest {
  /** Launch-time extra vars (already a dictionary); `{}` when none were given. */
  extraVars: Record<string, unknown>;
  /** The other accepted prompts, by name. */
  accepted: { [K in Exclude<PromptName, 'extra_vars'>]?: z.infer<(typeof PROMPTS)[K]['schema']> };
  /** Prompts the template does not ask for: dropped, and echoed back as `ignored_fields` (docs/awx-behaviour.md §1.2). */
  ignored: Record<string, unknown>;
}

/**
 * Reads a `POST …/launch/` body against the template's `ask_*_on_launch` flags (docs/awx-behaviour.md §1.2): a prompt
 * that is not allowed is ignored (not an error); `null`, a value of the wrong shape, or extra vars
 * that are not a JSON/YAML dictionary are 400. Names that are not prompts of this kind of template
 * (a workflow job template has no `credentials` prompt, for one) are ignored silently — not even
 * listed in `ignored_fields`, as the launch serializer does not know them.
 */
export function readLaunchRequest(
  ask: Partial<Record<AskFlag, boolean>>,
  body: Record<string, unknown>,
): LaunchRequest {
  const request: LaunchRequest = { extraVars: {}, accepted: {}, ignored: {} };
  const problems: FieldProblem[] = [];
  for (const [name, prompt] of Object.entries(PROMPTS) as [PromptName, (typeof PROMPTS)[PromptName]][]) {
    if (!(name in body) || !(prompt.flag in ask)) continue;
    const value = body[name];
    if (value === null) {
      problems.push({ path: name, message: 'This field may not be null.' });
    } else if (!ask[prompt.flag]) {
      request.ignored[name] = value;
    } else {
      const parsed = prompt.schema.safeParse(value);
      if (!parsed.success) problems.push({ path: name, message: parsed.error.issues[0]?.message ?? 'Invalid value.' });
      else if (name === 'extra_vars') request.extraVars = dictionary(parsed.data, problems);
      else (request.accepted as Record<string, unknown>)[name] = parsed.data;
    }
  }
  if (problems.length > 0) throw new ValidationError('launch request', problems);
  return request;
}

/** Extra vars given as an object, or as a JSON or YAML string that must hold a dictionary. */
function dictionary(value: unknown, problems: FieldProblem[]): Record<string, unknown> {
  if (typeof value !== 'string') return value as Record<string, unknown>;
  let parsed: unknown;
  try {
    parsed = value.trim() === '' ? {} : parseYaml(value);
  } catch (err) {
    problems.push({ path: 'extra_vars', message: `Cannot parse as JSON or YAML (error: ${(err as Error).message}).` });
    return {};
  }
  if (typeof parsed === 'object' && parsed !== null && !Array.isArray(parsed)) return parsed as Record<string, unknown>;
  problems.push({ path: 'extra_vars', message: 'Must be a valid JSON or YAML dictionary.' });
  return {};
}

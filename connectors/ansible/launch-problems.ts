import type { LaunchPrompts } from './schemas';
import { KIND_PATHS, type TemplateKind } from './template-kinds';

/** Prompt fields Snowline may send at launch. */
export interface LaunchRequest {
  extra_vars?: Record<string, unknown>;
  limit?: string;
  inventory?: number;
  credentials?: number[];
  labels?: number[];
  /**
   * A label to tag the job with (created in `organization` when missing), so the launch can be
   * found again by `findJobsByLabel`. Only sent when the template prompts for labels; otherwise
   * left off (the launch is then found by its extra_vars).
   */
  idempotencyLabel?: { name: string; organization: number };
}

/** One reason a launch is refused before it is sent. */
export interface LaunchProblem {
  code: 'prompt_disabled' | 'not_a_prompt' | 'passwords_needed' | 'variables_needed' | 'inventory_needed';
  /** The request field concerned. */
  field: string;
  /** The template setting that would have to change, when there is one. */
  prompt?: string;
  message: string;
}

/**
 * Why a launch with these fields would not run as asked. AWX drops prompt fields whose
 * `ask_*_on_launch` is off and still answers 201 (https://github.com/ansible/awx/blob/devel/docs/prompting.md): a limit silently dropped
 * runs the job on the whole inventory. So every such field is refused here, naming the prompt to
 * enable. With a survey and no `ask_variables_on_launch`, only the survey's variables are accepted
 * (pass `surveyVariables` to check that; without it any extra_vars are refused). A workflow job
 * template has no credentials prompt at all: its launch drops them without even listing them.
 */
export function launchProblems(
  prompts: LaunchPrompts,
  request: LaunchRequest,
  surveyVariables?: readonly string[],
  kind: TemplateKind = 'job_template',
): LaunchProblem[] {
  const problems: LaunchProblem[] = [];
  const noun = KIND_PATHS[kind].noun;
  const refuse = (field: string, prompt: string, what: string) =>
    problems.push({
      code: 'prompt_disabled',
      field,
      prompt,
      message: `${what} would be ignored: enable "${prompt}" (Prompt on launch) on the ${noun}`,
    });

  const varNames = Object.keys(request.extra_vars ?? {});
  if (varNames.length > 0 && !prompts.ask_variables_on_launch) {
    const allowed = prompts.survey_enabled && surveyVariables ? new Set(surveyVariables) : new Set<string>();
    const dropped = varNames.filter((v) => !allowed.has(v));
    if (dropped.length > 0) refuse('extra_vars', 'ask_variables_on_launch', `extra_vars ${dropped.join(', ')}`);
  }
  if (request.limit !== undefined && !prompts.ask_limit_on_launch)
    refuse('limit', 'ask_limit_on_launch', `limit ${JSON.stringify(request.limit)}`);
  if (request.inventory !== undefined && !prompts.ask_inventory_on_launch)
    refuse('inventory', 'ask_inventory_on_launch', `inventory ${request.inventory}`);
  if (request.credentials && request.credentials.length > 0 && kind === 'workflow_job_template') {
    problems.push({
      code: 'not_a_prompt',
      field: 'credentials',
      message: `credentials ${request.credentials.join(', ')} would be ignored: a workflow job template takes no credentials at launch; set them on its nodes' job templates`,
    });
  } else if (request.credentials && request.credentials.length > 0 && !prompts.ask_credential_on_launch) {
    refuse('credentials', 'ask_credential_on_launch', `credentials ${request.credentials.join(', ')}`);
  }
  if (request.labels && request.labels.length > 0 && !prompts.ask_labels_on_launch)
    refuse('labels', 'ask_labels_on_launch', `labels ${request.labels.join(', ')}`);

  if (prompts.passwords_needed_to_start.length > 0) {
    problems.push({
      code: 'passwords_needed',
      field: 'credential_passwords',
      message: `the template needs passwords at launch (${prompts.passwords_needed_to_start.join(', ')}); store them in its credentials instead`,
    });
  }
  const missing = prompts.variables_needed_to_start.filter((v) => !varNames.includes(v));
  if (missing.length > 0)
    problems.push({
      code: 'variables_needed',
      field: 'extra_vars',
      message: `the template's survey requires ${missing.join(', ')}`,
    });
  if (prompts.inventory_needed_to_start && request.inventory === undefined) {
    problems.push({
      code: 'inventory_needed',
      field: 'inventory',
      message: 'the template has no inventory; give one (and enable ask_inventory_on_launch)',
    });
  }
  return problems;
}

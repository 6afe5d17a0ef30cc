import { createHash } from 'node:crypto';
import type { ActionContext } from '../connector';
import { jobExtraVars, type ControllerClient, type TemplateKind } from './client';
import type { Job } from './schemas';

/**
 * How a launch carries the step's idempotency key, and how it is found again. The controller
 * has no idempotency key (https://github.com/ansible/awx/blob/devel/awx/api/templates/api/job_template_launch.md), so every launch carries it twice:
 * - as a **label** `snowline:<key>` when the template prompts for labels (`ask_labels_on_launch`),
 *   found again with one query (`labels__name=…`), as Event-Driven Ansible does;
 * - always inside **extra_vars** (`snowline.idempotency_key`), which playbooks can read and which
 *   finds the launch of a template that takes no labels (a scan of its recent jobs).
 */

/** AWX's label names are at most 512 characters. */
const LABEL_NAME_MAX = 512;

/** The label a launch for this idempotency key carries (a hash when the key is too long for a label). */
export function idempotencyLabel(key: string): string {
  const label = `snowline:${key}`;
  return label.length <= LABEL_NAME_MAX ? label : `snowline:sha256:${createHash('sha256').update(key).digest('hex')}`;
}

/**
 * The extra_vars sent: the rule's own, plus two namespaces Snowline owns.
 * - `snowline`: `idempotency_key`, `run_id`, `step`, `ticket {table, sys_id, number}`.
 * - `ansible_eda`: the shape Event-Driven Ansible gives playbooks (`ansible_eda.ruleset`, `.rule`,
 *   `.event` with `meta.source {name, type}`, `meta.received_at`, `meta.uuid`), so playbooks
 *   written for EDA's ServiceNow source read the ticket the same way.
 * Ticket text never goes anywhere else: it is data inside these variables, which the controller
 * marks `!unsafe` by default (ALLOW_JINJA_IN_EXTRA_VARS=template).
 */
export function snowlineExtraVars(
  user: Record<string, unknown> | undefined,
  ctx: Pick<ActionContext, 'idempotencyKey' | 'runId' | 'stepName' | 'ticket'>,
  now: Date,
): Record<string, unknown> {
  const ticket = { table: ctx.ticket.table, sys_id: ctx.ticket.sysId, number: ctx.ticket.number };
  return {
    ...(user ?? {}),
    snowline: { idempotency_key: ctx.idempotencyKey, run_id: ctx.runId, step: ctx.stepName, ticket },
    ansible_eda: {
      ruleset: 'snowline',
      rule: ctx.stepName,
      event: {
        ...ticket,
        meta: {
          source: { name: 'snowline', type: 'servicenow' },
          received_at: now.toISOString(),
          uuid: ctx.idempotencyKey,
        },
      },
    },
  };
}

/** The idempotency key a job was launched with, if Snowline launched it. */
export function idempotencyKeyOf(job: Pick<Job, 'extra_vars'>): string | undefined {
  const snowline = jobExtraVars(job)?.snowline;
  if (!snowline || typeof snowline !== 'object') return undefined;
  const key = (snowline as { idempotency_key?: unknown }).idempotency_key;
  return typeof key === 'string' ? key : undefined;
}

export interface FindLaunchOptions {
  kind: TemplateKind;
  /** Jobs created since then are scanned when no job carries the label. */
  sinceIso: string;
  signal?: AbortSignal;
}

/**
 * The job (or workflow job) an earlier attempt launched for `key`: first by its label (one
 * query), then — for a template that takes no labels, or one that started prompting for them
 * since — by scanning the template's recent jobs for the key in their extra_vars.
 */
export async function findLaunch(
  client: Pick<ControllerClient, 'findJobsByLabel' | 'findJobsByTemplateSince'>,
  templateId: number,
  key: string,
  options: FindLaunchOptions,
): Promise<Job | undefined> {
  const labeled = await client.findJobsByLabel(templateId, idempotencyLabel(key), options);
  if (labeled[0]) return labeled[0];
  const recent = await client.findJobsByTemplateSince(templateId, options.sinceIso, options);
  return recent.find((j) => idempotencyKeyOf(j) === key);
}

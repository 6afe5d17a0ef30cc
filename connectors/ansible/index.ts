import type { RequestLimiter } from '../failover-limiter';
import type { ConnectorDeps, ConnectorDescriptor, ConnectorRuntime } from '../connector';
import { createLaunchJobTemplateHandler, launchJobTemplateAction } from './actions/launch-job-template.action';
import {
  createLaunchWorkflowHandler,
  launchWorkflowJobTemplateAction,
} from './actions/launch-workflow-job-template.action';
import { ControllerClient } from './client';
import { classifyError } from './errors';
import { controllerConfigSchema, type ControllerConfig } from './schemas';

export { ControllerClient, launchProblems, jobExtraVars } from './client';
export type { LaunchRequest, LaunchedJob, LaunchProblem, TemplateKind } from './client';
export { ansibleLocalConnector } from './local';
export { controllerConfigSchema, limitProblem, extraVarsProblems } from './schemas';
export type { ControllerConfig, ControllerConfigInput, Job, JobTemplate, LaunchPrompts } from './schemas';

/**
 * The actions, by the name mapping steps use (`ansible.<name>`). The local ansible-playbook
 * runner is its own connector, `ansible_local` (connectors/ansible/local), sharing the `limit`
 * validation in `schemas.ts`.
 */
export const ansibleActions = {
  launch_job_template: launchJobTemplateAction,
  launch_workflow_job_template: launchWorkflowJobTemplateAction,
};

/** Builds the runtime over an existing controller client. */
export function createAnsibleRuntime(client: ControllerClient): ConnectorRuntime {
  return {
    actions: {
      launch_job_template: createLaunchJobTemplateHandler({
        client,
        pollIntervalMs: client.config.pollIntervalMs,
        maxPollIntervalMs: client.config.maxPollIntervalMs,
        recoverLookbackMs: client.config.recoverLookbackMs,
        stdoutTailBytes: client.config.stdoutTailBytes,
      }),
      launch_workflow_job_template: createLaunchWorkflowHandler({
        client,
        pollIntervalMs: client.config.pollIntervalMs,
        recoverLookbackMs: client.config.recoverLookbackMs,
      }),
    },
    async health() {
      try {
        await client.ping();
        return { ok: true };
      } catch (err) {
        return { ok: false, detail: (err as Error).message };
      }
    },
  };
}

/**
 * Ansible through an AWX / Automation Platform controller. The controller has no idempotency key;
 * launches carry Snowline's as a label (when the template prompts for labels) and in their
 * extra_vars, and are found again by it (idempotency.ts).
 */
export const ansibleConnector: ConnectorDescriptor<ControllerConfig> = {
  name: 'ansible',
  description: 'Ansible: launch AWX / AAP job templates and workflow job templates and wait for their jobs',
  config: controllerConfigSchema,
  actions: ansibleActions,
  acceptsIdempotencyKeys: false,
  defaults: {
    maxConcurrent: 8,
    requestsPerHour: undefined,
    retry: { maxAttempts: 5, baseDelayMs: 1000, maxDelayMs: 60_000 },
    breaker: { failureThreshold: 5, resetAfterMs: 30_000 },
  },
  classify: classifyError,
  create(config: ControllerConfig, deps: ConnectorDeps & { client?: ControllerClient; limiter?: RequestLimiter }) {
    return createAnsibleRuntime(
      deps.client ?? new ControllerClient(config, { logger: deps.logger, limiter: deps.limiter }),
    );
  },
};

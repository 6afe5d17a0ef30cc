import { hostname } from 'node:os';
import type { ConnectorDeps, ConnectorDescriptor } from '../../connector';
import { createEndpointLimiters, effectiveLimit, limitActions } from '../../endpoint-limits';
import { classifyError } from '../errors';
import { createRunPlaybookHandler, runPlaybookAction } from './actions/run-playbook.action';
import { LocalPlaybookRunner } from './runner';
import { localRunnerConfigSchema, type LocalRunnerConfig } from './schemas';

export { LocalPlaybookRunner, hostsOfInventory } from './runner';
export { unsafeVarsYaml, playbookVarsProblems } from './playbook-vars';
export { parseCallbackOutput } from './json-callback';
export { localRunnerConfigSchema } from './schemas';
export type {
  LocalRunnerConfig,
  LocalRunnerConfigInput,
  RunPlaybookParams,
  RunPlaybookResult,
  VarSpec,
} from './schemas';

/**
 * Ansible without a controller, for small sites: the configured playbooks run through the local
 * ansible-playbook. Lives beside the controller client in connectors/ansible and is registered
 * as its own connector, `ansible_local`.
 */
export const ansibleLocalConnector: ConnectorDescriptor<LocalRunnerConfig> = {
  name: 'ansible_local',
  description: 'Ansible: run configured playbooks with the local ansible-playbook',
  config: localRunnerConfigSchema,
  actions: { run_playbook: runPlaybookAction },
  acceptsIdempotencyKeys: false,
  defaults: {
    maxConcurrent: 2,
    requestsPerHour: undefined,
    retry: { maxAttempts: 2, baseDelayMs: 5000, maxDelayMs: 60_000 },
    breaker: { failureThreshold: 5, resetAfterMs: 60_000 },
  },
  classify: classifyError,
  create(config: LocalRunnerConfig, deps: ConnectorDeps) {
    const runner = new LocalPlaybookRunner(config);
    // A run holds its slot as long as the playbook runs (up to its timeout).
    const longestRunMs = Math.max(config.timeoutMs, ...Object.values(config.playbooks).map((p) => p.timeoutMs ?? 0));
    const limit = { ...effectiveLimit(ansibleLocalConnector.defaults, config), requestTimeoutMs: longestRunMs };
    const limits = createEndpointLimiters('ansible_local', limit, deps.limiters);
    return {
      actions: limitActions({ run_playbook: createRunPlaybookHandler(runner) }, limits.forEndpoint(hostname())),
      async health() {
        try {
          const hosts = await runner.inventoryHosts();
          return { ok: true, detail: `${hosts.size} inventory hosts` };
        } catch (err) {
          return { ok: false, detail: (err as Error).message };
        }
      },
    };
  },
};

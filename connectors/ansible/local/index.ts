import type { ConnectorDeps, ConnectorDescriptor } from '../../connector';
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
  create(config: LocalRunnerConfig, _deps: ConnectorDeps) {
    const runner = new LocalPlaybookRunner(config);
    return {
      actions: { run_playbook: createRunPlaybookHandler(runner) },
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

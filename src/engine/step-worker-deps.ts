import type { Logger } from '../observability/logger';
import type { Metrics } from '../observability/metrics';
import type { Repositories, Store, StoreTransaction } from '../store';
import type { Run, Step } from '../store/run.repository';
import type { PrivilegeBroker } from '../security/privilege-broker';
import type { SecretBox } from '../security/secret-box';
import type { CircuitBreakers } from './circuit-breakers';
import type { EmitInTransaction } from './run-event-emitter';
import type { ConnectorSet } from './connector-set';
import type { GateRegistry, ServiceNowReader } from './gates';
import type { RetryPolicy, RunState } from './run-state-machine';

// The step worker's public types live here, apart from its factory, so that the modules the worker
// is built from can name them without importing step-worker.ts (which imports them: a circle).

export interface StepWorkerDeps {
  store: Store;
  repos: Repositories;
  connectors: ConnectorSet;
  logger: Logger;
  metrics: Metrics;
  owner: string;
  leaseMs: number;
  /** Backoff delays (attempts are bounded by `retryDeadlineMs`, or a step's own `retry.max_attempts`). */
  retry: Omit<RetryPolicy, 'maxAttempts'>;
  /** How long after its first attempt a step failing for reasons that may pass is retried; default 15 min. */
  retryDeadlineMs?: number;
  /** Gates steps may name; a step naming an unregistered gate is refused. */
  gates?: GateRegistry;
  /** What gates read ServiceNow through. */
  servicenow?: ServiceNowReader;
  /** Circuit breakers per connector; without them every call goes straight to the backend. */
  breakers?: CircuitBreakers;
  /** When a waiting gate gave no time: how long until it is asked again. Default 30 s. */
  gateRecheckMs?: number;
  now?: () => number;
  random?: () => number;
  /** Largest job output attached to a ticket (`attach_output`), in bytes; the start of a longer one is cut. Default 5 MiB. */
  attachmentMaxBytes?: number;
  /** Optional lifecycle around settled steps (change management plugs in here). */
  hooks?: StepHooks;
  /** Checks out credentials of privileged steps; without it a privileged step fails. */
  privilege?: PrivilegeBroker;
  /** Opens the secret params sealed in run contexts; default: the process's own key (as the dispatcher's). */
  secretBox?: SecretBox;
  /** Told when a step it saved falls due again (a job to check on, a retry), so an idle step loop wakes then. */
  onDue?: (at: number) => void;
}

/** What a step hook learns when a step settles, inside the transaction that settles it. */
export interface SettledStep {
  run: Run;
  step: Step;
  /** `refused`: a gate said no; the step never started. `skipped`: its `when` condition was false. */
  outcome: 'succeeded' | 'failed' | 'refused' | 'skipped';
  error?: string;
  /** The run's state after this step, and all its steps as saved. */
  runState: RunState;
  steps: Step[];
  at: number;
}

export interface StepHooks {
  /**
   * Called in the settling transaction; may enqueue write-backs or create runs with `trx`, and tell
   * what it decided with `emit` (journaled in `trx`, logged and counted once it committed).
   */
  afterSettle?(trx: StoreTransaction, settled: SettledStep, emit: EmitInTransaction): Promise<void>;
}

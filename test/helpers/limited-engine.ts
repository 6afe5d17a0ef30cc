import { soleInstanceSignals } from '../../src/store/work-signals';
import { createServer, type Server } from 'node:http';
import type { ActionHandler } from '../../connectors/connector';
import {
  createHttpRuntime,
  endpointClients,
  httpActions,
  httpConnector,
  type HttpConfigInput,
} from '../../connectors/http';
import { httpConfigSchema } from '../../connectors/http/schemas';
import type { SharedLimiters } from '../../connectors/rate-limiters';
import { connectorSet } from '../../src/engine/connector-set';
import { connectorSlots } from '../../src/engine/connector-slots';
import { createDispatcher } from '../../src/engine/dispatcher';
import { createEngine } from '../../src/engine/engine';
import type { TicketEvent } from '../../src/engine/event.schema';
import { createOutboxSender } from '../../src/engine/outbox-sender';
import { createRunAdmission } from '../../src/engine/run-admission';
import { createStepWorker } from '../../src/engine/step-worker';
import { createWritebackCompletion } from '../../src/engine/writeback-completion';
import { createIntake } from '../../src/ingest/intake';
import { silentLogger, type Logger } from '../../src/observability/logger';
import { createMetrics } from '../../src/observability/metrics';
import { buildRuleSet } from '../../src/rules/build-rule-set';
import type { MappingCatalog } from '../../src/rules/mapping-catalog';
import type { Repositories, Store } from '../../src/store';
import { fakeCatalog } from '../integration/engine/harness';

/**
 * Two kinds of incident for the connector-limit tests and bench: "api" ones call the `http`
 * connector's endpoint `backend` (the limited one), "quick" ones the `fake` connector (unlimited).
 */
const MAPPING = `table: incident
rules:
  - id: call-api
    description: Call the backend
    owner: Ops
    risk: medium
    condition: short_descriptionLIKEapi
    steps:
      - { name: call, use: http.request, with: { endpoint: backend, method: POST, path: /work } }
  - id: quick-fix
    description: Quick fix
    owner: Ops
    risk: low
    condition: short_descriptionLIKEquick
    steps:
      - { name: fix, use: fake.launch, with: { host: web-01 } }
`;

const catalog: MappingCatalog = {
  ...fakeCatalog,
  connectorExists: (c) => c === 'http' || fakeCatalog.connectorExists(c),
  action: (c, a) => (c === 'http' && a === 'request' ? httpActions.request : fakeCatalog.action(c, a)),
};

/** An incident that starts an `http` run ("api") or a `fake` one ("quick"). */
export function limitedIncident(n: number, kind: 'api' | 'quick'): TicketEvent {
  const sysId = `${kind}${String(n).padStart(10, '0')}`.padEnd(32, '0');
  return {
    event: 'inserted',
    table: 'incident',
    sys_id: sysId,
    number: `INC${kind === 'api' ? 1 : 2}${String(n).padStart(6, '0')}`,
    sys_mod_count: 0,
    sys_updated_on: '2026-11-28 09:00:00',
    sys_updated_by: 'abel.tuter',
    changed_fields: [],
    record: { sys_id: sysId, short_description: `${kind} incident ${n}`, state: '1' },
  };
}

export interface LimitedEngineOptions {
  store: Store;
  repos: Repositories;
  owner: string;
  /** Where the engine logs; default: nowhere. */
  logger?: Logger;
  /** The http connector's section: `backend` endpoint, and the limits under test. */
  http: HttpConfigInput;
  limiters?: SharedLimiters;
  /** Workers of the instance (engine.workerConcurrency). */
  concurrency: number;
}

/** One Snowline instance's engine loops (real clock) over `store`, with the http and fake connectors. */
export function startLimitedEngine(options: LimitedEngineOptions) {
  const { store, repos, owner } = options;
  const { ruleSet, problems } = buildRuleSet({ 'incident.yaml': MAPPING }, catalog);
  if (!ruleSet) throw new Error(`limited-engine mapping is invalid: ${JSON.stringify(problems)}`);
  const logger = options.logger ?? silentLogger();
  const metrics = createMetrics();
  const http = httpConfigSchema.parse(options.http);
  const quick: ActionHandler<{ host: string }, { job: number }> = {
    start: async () => ({ status: 'done', result: { job: 1 } }),
  };
  const connectors = connectorSet(
    {
      http: {
        descriptor: httpConnector,
        runtime: createHttpRuntime(endpointClients(http, { limiters: options.limiters })),
      },
      fake: {
        descriptor: { classify: () => 'permanent' } as never,
        runtime: { actions: { launch: quick }, health: async () => ({ ok: true }) },
      },
    },
    { http },
  );
  const retry = { baseDelayMs: 100, maxDelayMs: 1000 };
  const deps = { store, repos, logger, metrics };
  const engine = createEngine({
    repos,
    signals: soleInstanceSignals,
    dispatcher: createDispatcher({ ...deps, rules: () => ruleSet, integrationUser: 'snowline' }),
    stepWorker: createStepWorker({ ...deps, connectors, owner, leaseMs: 30_000, retry }),
    outboxSender: createOutboxSender({
      store,
      repos,
      target: { patch: async () => ({ modCount: 1 }), journalContains: async () => false, classify: () => 'permanent' },
      logger,
      metrics,
      owner,
      leaseMs: 30_000,
      retry,
    }),
    writebacks: createWritebackCompletion(deps),
    admission: createRunAdmission({ store, repos, logger }),
    logger,
    metrics,
    owner,
    leaseMs: 30_000,
    tickMs: 20,
    concurrency: options.concurrency,
    connectorSlots: connectorSlots(connectors.names(), (name) => connectors.limit(name)?.maxConcurrent),
  });
  const intake = createIntake({ inbox: repos.inbox, metrics, onAccepted: () => engine.wake() });
  engine.start();
  return { intake, stop: () => engine.stop(5_000) };
}

/**
 * A backend that answers each request after `delayMs`, counting the requests in flight at once.
 * While held, it answers none until released.
 */
export async function countingBackend(delayMs: number) {
  const seen = { requests: 0, inFlight: 0, maxInFlight: 0 };
  let held: Array<() => void> | undefined;
  const server: Server = createServer((req, res) => {
    seen.requests += 1;
    seen.inFlight += 1;
    seen.maxInFlight = Math.max(seen.maxInFlight, seen.inFlight);
    req.resume();
    const answer = () =>
      setTimeout(() => {
        seen.inFlight -= 1;
        res.writeHead(200, { 'content-type': 'application/json' }).end('{"ok":true}');
      }, delayMs);
    if (held) held.push(answer);
    else answer();
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const url = `http://127.0.0.1:${(server.address() as { port: number }).port}`;
  return {
    seen,
    url,
    hold: () => void (held ??= []),
    release() {
      const waiting = held ?? [];
      held = undefined;
      for (const answer of waiting) answer();
    },
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

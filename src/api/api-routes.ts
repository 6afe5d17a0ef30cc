import type { EventControl } from '../engine/event-control';
import type { RunControl } from '../engine/run-control';
import type { RuleProposals } from '../rules/rule-proposals';
import type { AuditRepository } from '../store/audit.repository';
import type { InboxRepository } from '../store/inbox.repository';
import type { RunRepository } from '../store/run.repository';
import { auditRoutes } from './audit.routes';
import { eventRoutes } from './events.routes';
import type { RouteDefinition } from './route';
import { ruleProposalRoutes } from './rule-proposals.routes';
import { ruleRoutes, type RuleRoutesDeps } from './rules.routes';
import { runRoutes } from './runs.routes';

export interface ApiDeps {
  runs: RunRepository;
  control: RunControl;
  inbox: InboxRepository;
  events: EventControl;
  audit: AuditRepository;
  rules: RuleRoutesDeps;
  proposals: RuleProposals;
}

/** The whole API route table: every route the server mounts under /api/v1 comes from here. */
export function apiRoutes(deps: ApiDeps): RouteDefinition[] {
  return [
    ...runRoutes(deps.runs, deps.control),
    ...eventRoutes(deps.inbox, deps.events),
    ...ruleRoutes(deps.rules),
    ...ruleProposalRoutes(deps.proposals),
    ...auditRoutes(deps.audit),
  ];
}

import type { CallBudget } from '../observability/call-budget';
import type { EventControl } from '../engine/event-control';
import type { RunControl } from '../engine/run-control';
import type { ReportInputs } from '../reports/build-report';
import type { RuleProposals } from '../mappings/rule-proposals';
import type { AuditRepository } from '../store/audit.repository';
import type { InboxRepository } from '../store/inbox.repository';
import type { OutboxRepository } from '../store/outbox.repository';
import type { RunRepository } from '../store/run.repository';
import { auditRoutes } from './audit.routes';
import { eventRoutes } from './events.routes';
import { liveTicketRoutes } from './live.router';
import type { RouteDefinition } from './route';
import { overviewRoutes } from './overview';
import { reportRoutes } from './reports.routes';
import { ruleDetailRoutes } from './rule-detail.routes';
import { ruleProposalRoutes } from './rule-proposals.routes';
import { ruleRoutes, type RuleRoutesDeps } from './rules.routes';
import { runTimelineRoutes } from './run-timeline';
import { runRoutes } from './runs.routes';
import { serviceNowBudgetRoutes } from './servicenow-budget.routes';
import { sessionRoutes } from './session.routes';

export interface ApiDeps {
  runs: RunRepository;
  outbox: OutboxRepository;
  control: RunControl;
  inbox: InboxRepository;
  events: EventControl;
  audit: AuditRepository;
  rules: RuleRoutesDeps;
  proposals: RuleProposals;
  /** The continuous-improvement reports' aggregates, settings and loaded rules. */
  reports: ReportInputs;
  /** Signs stream tickets for the live view (security.jwtSecret). */
  jwtSecret: string;
  /** Calls made to ServiceNow per hour, for the overview's budget chart. */
  serviceNowBudget: CallBudget;
  /** Reads a ticket by number for the dry-run by number; absent = that route answers 404 for every ticket. */
  findTicket?: (table: string, number: string) => Promise<Record<string, string> | undefined>;
}

/** The whole API route table: every route the server mounts under /api/v1 comes from here. */
export function apiRoutes(deps: ApiDeps): RouteDefinition[] {
  return [
    ...sessionRoutes(),
    ...liveTicketRoutes({ jwtSecret: deps.jwtSecret }),
    ...runRoutes(deps.runs, deps.control),
    ...eventRoutes(deps.inbox, deps.events),
    ...runTimelineRoutes(deps),
    ...overviewRoutes(deps.runs),
    ...serviceNowBudgetRoutes(deps.serviceNowBudget),
    ...ruleRoutes(deps.rules),
    ...ruleProposalRoutes(deps.proposals),
    // After the routes above: `/rules/:id` would otherwise take `/rules/versions` and `/rules/proposals`.
    ...ruleDetailRoutes({ ...deps.rules, findTicket: deps.findTicket ?? (async () => undefined) }),
    ...auditRoutes(deps.audit),
    ...reportRoutes(deps.reports),
  ];
}

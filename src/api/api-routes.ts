import type { RunControl } from '../engine/run-control';
import type { AuditRepository } from '../store/audit.repository';
import type { RunRepository } from '../store/run.repository';
import { auditRoutes } from './audit.routes';
import type { RouteDefinition } from './route';
import { ruleRoutes, type RuleRoutesDeps } from './rules.routes';
import { runRoutes } from './runs.routes';

export interface ApiDeps {
  runs: RunRepository;
  control: RunControl;
  audit: AuditRepository;
  rules: RuleRoutesDeps;
}

/** The whole API route table: every route the server mounts under /api/v1 comes from here. */
export function apiRoutes(deps: ApiDeps): RouteDefinition[] {
  return [...runRoutes(deps.runs, deps.control), ...ruleRoutes(deps.rules), ...auditRoutes(deps.audit)];
}

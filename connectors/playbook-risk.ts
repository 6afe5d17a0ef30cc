import type { RiskLevel } from './connector';

/**
 * A playbook can do anything, so what it is called is the best static hint of what it does. Names
 * that take access away, destroy or elevate make the step high risk (a second person must approve a
 * rule using it, whatever the rule's own label says); any other playbook is medium.
 */
const HIGH_RISK_NAME =
  /\b(revoke|delete|destroy|decommission|wipe|drop|purge|terminate|disable|remove|grant|elevat\w*|privilege\w*|reset password|rotate)\b/i;

/** Risk of a step launching a playbook, from the (unrendered) params the rule gives it. */
export function playbookRisk(params: unknown): RiskLevel {
  const p = (params ?? {}) as Record<string, unknown>;
  const name = [p.job_template, p.workflow_job_template, p.playbook].find((v) => typeof v === 'string') as
    string | undefined;
  // A name chosen at run time (a template) is unknown here: assume the worst.
  if (name === undefined || name.includes('{{')) return 'high';
  return HIGH_RISK_NAME.test(name) ? 'high' : 'medium';
}

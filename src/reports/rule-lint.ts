import type { RuleSet } from '../rules/rule-set';

/** What the portfolio review reads of a rule: who owns it and what its steps call with which values. */
export interface PortfolioRule {
  id: string;
  owner: string;
  table: string;
  /** `connector.action` of each step (and compensation). */
  uses: string[];
  /** Every literal parameter value, with its path (`restart.with.host`). */
  values: { path: string; key: string; value: string }[];
}

export function portfolioRules(ruleSet: RuleSet): PortfolioRule[] {
  return [...ruleSet.byTable.entries()].flatMap(([table, rules]) =>
    rules.map(({ definition }) => ({
      id: definition.id,
      owner: definition.owner,
      table,
      uses: definition.steps.flatMap((s) => [s.use, ...(s.compensate ? [s.compensate.use] : [])]),
      values: definition.steps.flatMap((s) => literals(`${s.name ?? s.use}.with`, s.with ?? {})),
    })),
  );
}

function literals(path: string, value: unknown, key = ''): PortfolioRule['values'] {
  if (typeof value === 'string') return [{ path, key, value }];
  if (Array.isArray(value)) return value.flatMap((v, i) => literals(`${path}[${i}]`, v, key));
  if (value && typeof value === 'object')
    return Object.entries(value).flatMap(([k, v]) => literals(`${path}.${k}`, v, k));
  return [];
}

const IPV4 = /\b(?:25[0-5]|2[0-4]\d|1?\d?\d)(?:\.(?:25[0-5]|2[0-4]\d|1?\d?\d)){3}\b/;
const HOST = /\b[a-z0-9](?:[a-z0-9-]*[a-z0-9])?(?:\.[a-z0-9-]+)*\.(?:com|net|org|io|local|internal|corp|lan|intra)\b/i;
const SECRET_KEY = /pass(word|wd)?|secret|token|api[_-]?key|private[_-]?key/i;
/** Values that are references or templates, not literals: resolved at run time from elsewhere. */
const REFERENCE = /^(env:|file:|vault:)|\{\{|\{%/;

/** Hard-coded hosts, addresses and credentials in a rule's step parameters (templates and references are fine). */
export function hardCodedValues(rule: PortfolioRule): { path: string; kind: string }[] {
  return rule.values.flatMap(({ path, key, value }) => {
    if (REFERENCE.test(value.trim())) return [];
    if (SECRET_KEY.test(key) && value !== '') return [{ path, kind: 'credential' }];
    if (IPV4.test(value)) return [{ path, kind: 'address' }];
    if (HOST.test(value)) return [{ path, kind: 'host' }];
    return [];
  });
}

/** Deprecated actions (`connector:action` in `reports.deprecated`) and API paths (`/api/v1/`) a rule still uses. */
export function deprecatedUses(rule: PortfolioRule, deprecated: readonly string[]): string[] {
  const actions = rule.uses.map((u) => u.replace('.', ':'));
  return deprecated.filter(
    (d) => actions.includes(d) || (!/^[^:/]+:[^:/]+$/.test(d) && rule.values.some((v) => v.value.includes(d))),
  );
}

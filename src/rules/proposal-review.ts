import { isDeepStrictEqual } from 'node:util';
import { buildRuleSet } from './build-rule-set';
import type { MappingCatalog } from './mapping-catalog';
import type { ResolvedRule } from './mapping.schema';
import type { RuleSet } from './rule-set';
import type { MappingProblem } from './validation-problem';

/** A mapping table an API caller may propose: a top-level `name.yaml` (not templates/, not a `.cases.yaml`). */
export const PROPOSABLE_FILE = /^[a-z0-9][a-z0-9_-]{0,62}\.yaml$/;

export type ProposalReview =
  | { ok: false; problems: MappingProblem[] }
  | {
      ok: true;
      /** The whole set as it would run: the running files with this one replaced or added. */
      sources: Record<string, string>;
      version: string;
      /** Added or changed rules that are, or were, `risk: high`: the change needs a second person. */
      highRiskRules: string[];
    };

/**
 * Checks a proposed mapping table against the running set exactly as `snowline validate` checks a
 * directory (every file, cross-file checks included), and names the high-risk rules it touches.
 * Pure: the caller supplies the running sources.
 */
export function reviewProposal(
  running: Record<string, string>,
  file: string,
  content: string,
  catalog: MappingCatalog,
): ProposalReview {
  const sources = { ...running, [file]: content };
  const { ruleSet, problems } = buildRuleSet(sources, catalog);
  if (!ruleSet) return { ok: false, problems };
  const before = rulesById(buildRuleSet(running, catalog).ruleSet);
  const highRiskRules = [...rulesById(ruleSet).values()]
    .filter((rule) => rule.file === file)
    .filter(({ definition }) => {
      const old = before.get(definition.id)?.definition;
      return !isDeepStrictEqual(old, definition) && (definition.risk === 'high' || old?.risk === 'high');
    })
    .map((rule) => rule.definition.id);
  return { ok: true, sources, version: ruleSet.version, highRiskRules };
}

function rulesById(ruleSet: RuleSet | undefined): Map<string, { definition: ResolvedRule; file: string }> {
  // A running set that no longer validates (a connector removed since) counts as having no rules,
  // so every high-risk rule of the proposal needs approval.
  return new Map([...(ruleSet?.byTable.values() ?? [])].flat().map((rule) => [rule.definition.id, rule]));
}

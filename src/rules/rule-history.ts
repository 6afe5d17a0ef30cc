import { createTwoFilesPatch } from 'diff';
import { parse, stringify } from 'yaml';

/** A stored version of the mapping tables, with its files (see RuleVersionRepository). */
export interface StoredVersion {
  version: string;
  loadedAt: number;
  loadedBy: string;
  sources: Record<string, string>;
}

/** One version of one rule: its definition as YAML (null = the rule was absent) and the diff from the one before. */
export interface RuleRevision {
  version: string;
  loadedAt: number;
  loadedBy: string;
  text: string | null;
  /** Unified diff from the previous revision; the whole text for the first one kept. */
  diff: string;
}

/** The rule's own YAML in one version's files, re-serialised so layout elsewhere in the file does not count as a change. */
export function ruleText(sources: Record<string, string>, ruleId: string): string | null {
  for (const text of Object.values(sources)) {
    let document: unknown;
    try {
      document = parse(text);
    } catch {
      continue;
    }
    const rules = (document as { rules?: unknown } | null)?.rules;
    if (!Array.isArray(rules)) continue;
    const rule = rules.find((r) => (r as { id?: unknown } | null)?.id === ruleId);
    if (rule) return stringify(rule, { lineWidth: 0 });
  }
  return null;
}

/**
 * The versions in which a rule changed, newest first: a version that loaded the rule unchanged
 * (another rule or file changed) is left out. Pure: the caller reads the stored versions.
 */
export function ruleHistory(versions: readonly StoredVersion[], ruleId: string): RuleRevision[] {
  const oldestFirst = [...versions].sort((a, b) => a.loadedAt - b.loadedAt || a.version.localeCompare(b.version));
  const revisions: RuleRevision[] = [];
  let previous: { version: string; text: string | null } | undefined;
  for (const v of oldestFirst) {
    const text = ruleText(v.sources, ruleId);
    if (previous ? previous.text === text : text === null) continue;
    const diff = createTwoFilesPatch(
      previous ? `${previous.version}/${ruleId}` : '(none)',
      `${v.version}/${ruleId}`,
      previous?.text ?? '',
      text ?? '',
      undefined,
      undefined,
      { context: 3 },
    );
    revisions.push({ version: v.version, loadedAt: v.loadedAt, loadedBy: v.loadedBy, text, diff });
    previous = { version: v.version, text };
  }
  return revisions.reverse();
}

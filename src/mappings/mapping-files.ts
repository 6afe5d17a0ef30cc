import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { buildRuleSet, TEMPLATES_DIR } from '../rules/build-rule-set';
import type { MappingCatalog } from '../rules/mapping-catalog';
import type { RuleSet } from '../rules/rule-set';
import type { MappingProblem } from '../rules/validation-problem';

/** Mapping tables are the top-level `*.yaml` files of the directory; reusable components are in templates/. */
export function mappingFiles(dir: string): string[] {
  const yamlIn = (folder: string) =>
    existsSync(folder)
      ? readdirSync(folder, { withFileTypes: true })
          .filter((e) => e.isFile() && /\.ya?ml$/.test(e.name) && !/\.cases\.ya?ml$/.test(e.name))
          .map((e) => e.name)
          .sort()
      : [];
  return [...yamlIn(dir), ...yamlIn(join(dir, TEMPLATES_DIR)).map((name) => `${TEMPLATES_DIR}/${name}`)];
}

/**
 * Reads and validates every mapping table of `dir`. A set with any problem is never returned:
 * the caller keeps running the version it has.
 */
export function loadRuleSet(dir: string, catalog: MappingCatalog): { ruleSet?: RuleSet; problems: MappingProblem[] } {
  // A mistyped path must not pass as "zero rules, all valid".
  if (!statSync(dir, { throwIfNoEntry: false })?.isDirectory())
    return {
      problems: [
        {
          file: dir,
          line: 1,
          col: 1,
          message: `${existsSync(dir) ? 'is not a directory' : 'no such directory'}; expected the mapping tables directory (env SNOWLINE_MAPPINGS)`,
        },
      ],
    };
  return buildRuleSet(readMappingSources(dir), catalog, (name) => join(dir, name));
}

/** The mapping files of `dir` as file name (relative, `templates/x.yaml`) → text. */
export function readMappingSources(dir: string): Record<string, string> {
  const sources: Record<string, string> = {};
  for (const name of mappingFiles(dir)) sources[name] = readFileSync(join(dir, name), 'utf8');
  return sources;
}

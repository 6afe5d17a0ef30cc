import { createHash } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { compileQuery, parseEncodedQuery, type FieldReader } from './encoded-query';
import type { MappingCatalog } from './mapping-catalog';
import type { CompiledRule, RuleSet } from './rule-set';
import { validateMappingFile, type ValidatedFile } from './validate-mapping';
import type { MappingProblem } from './validation-problem';
import type { PositionedYaml } from './yaml-positions';

/** Mapping tables are the top-level `*.yaml` files of the directory (templates/ and cases come later). */
function mappingFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true })
    .filter((e) => e.isFile() && /\.ya?ml$/.test(e.name) && !/\.cases\.ya?ml$/.test(e.name))
    .map((e) => e.name)
    .sort();
}

/**
 * Reads and validates every mapping table of `dir`. A set with any problem is never returned:
 * the caller keeps running the version it has.
 */
export function loadRuleSet(dir: string, catalog: MappingCatalog): { ruleSet?: RuleSet; problems: MappingProblem[] } {
  const sources: Record<string, string> = {};
  for (const name of mappingFiles(dir)) sources[name] = readFileSync(join(dir, name), 'utf8');
  return buildRuleSet(sources, catalog, (name) => join(dir, name));
}

/** Validates and compiles mapping sources given as file name → text. */
export function buildRuleSet(
  sources: Record<string, string>,
  catalog: MappingCatalog,
  displayName: (name: string) => string = (name) => name,
): { ruleSet?: RuleSet; problems: MappingProblem[] } {
  const problems: MappingProblem[] = [];
  const files: (ValidatedFile & { yaml: PositionedYaml })[] = [];
  for (const [name, text] of Object.entries(sources)) {
    const result = validateMappingFile(displayName(name), text, catalog);
    problems.push(...result.problems);
    if (result.file) files.push({ ...result.file, yaml: result.yaml });
  }
  problems.push(...crossFileProblems(files));
  if (problems.length > 0) return { problems };
  return { ruleSet: compile(files, sources, catalog), problems };
}

function crossFileProblems(files: (ValidatedFile & { yaml: PositionedYaml })[]): MappingProblem[] {
  const problems: MappingProblem[] = [];
  const firstSeen = new Map<string, string>();
  for (const { file, mapping, yaml } of files) {
    mapping.rules.forEach((rule, index) => {
      const where = { file, ...yaml.positionOf(['rules', index, 'id']) };
      const earlier = firstSeen.get(rule.id);
      if (earlier) problems.push({ ...where, message: `rule ${rule.id}: duplicate id (first defined at ${earlier})` });
      else firstSeen.set(rule.id, `${where.file}:${where.line}`);
    });
    const ordered = orderRules(mapping.rules.map((rule, index) => ({ rule, index })));
    let stopper: string | undefined;
    for (const { rule, index } of ordered) {
      if (stopper && rule.mode !== 'disabled') {
        problems.push({ file, ...yaml.positionOf(['rules', index, 'id']), message: `rule ${rule.id}: unreachable, rule ${stopper} matches every event first and stops` });
      }
      if (!stopper && rule.stop && rule.mode !== 'disabled' && rule.condition.trim() === '' && rule.on.length === 2) stopper = rule.id;
    }
  }
  return problems;
}

/** Evaluation order within a table: priority (lower first), then the order written. */
function orderRules<T extends { rule: { priority: number }; index: number }>(rules: T[]): T[] {
  return [...rules].sort((a, b) => a.rule.priority - b.rule.priority || a.index - b.index);
}

function compile(files: ValidatedFile[], sources: Record<string, string>, catalog: MappingCatalog): RuleSet {
  const byTable = new Map<string, CompiledRule[]>();
  for (const { file, mapping } of files) {
    const table = mapping.table;
    const compiled = orderRules(mapping.rules.map((rule, index) => ({ rule, index }))).map(({ rule }) => {
      const predicate = compileQuery(parseEncodedQuery(rule.condition).query);
      const matches = (record: Record<string, string>, previous?: Record<string, string>) =>
        predicate(recordReader(table, record, catalog), previous ? { previous: recordReader(table, previous, catalog) } : undefined);
      return { table, definition: rule, matches, file };
    });
    byTable.set(table, [...(byTable.get(table) ?? []), ...compiled]);
  }
  return { version: versionOf(sources), byTable, sources };
}

/** Reads an event record as the encoded-query evaluator expects: absent-but-known fields are empty. */
export function recordReader(table: string, record: Record<string, string>, catalog: MappingCatalog): FieldReader {
  return {
    read(path) {
      const value = record[path];
      if (value !== undefined) return { value };
      return catalog.fieldExists(table, path) ? { value: '' } : undefined;
    },
  };
}

/** The content hash of a set of sources: stable across instances and restarts. */
export function versionOf(sources: Record<string, string>): string {
  const hash = createHash('sha256');
  for (const name of Object.keys(sources).sort()) hash.update(name).update('\0').update(sources[name]!).update('\0');
  return hash.digest('hex').slice(0, 12);
}

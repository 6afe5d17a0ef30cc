import { createHash } from 'node:crypto';
import { compileQuery, parseEncodedQuery, termsOf, type FieldReader } from './encoded-query';
import type { MappingCatalog } from './mapping-catalog';
import type { ResolvedRule, TemplateDefinition, TriggerDefinition } from './mapping.schema';
import { buildRuleIndex } from './rule-index';
import type { CompiledRule, RuleSet } from './rule-set';
import { fieldNamedByValue, validateMappingFile, validateTemplateFile, type ValidatedFile } from './validate-mapping';
import type { MappingProblem } from './validation-problem';
import type { PositionedYaml } from './yaml-positions';

/** Reusable components live in this subfolder of the mapping tables directory. */
export const TEMPLATES_DIR = 'templates';

const isTemplateSource = (name: string) => name.startsWith(`${TEMPLATES_DIR}/`);

/** Validates and compiles mapping sources given as file name → text. */
export function buildRuleSet(
  sources: Record<string, string>,
  catalog: MappingCatalog,
  displayName: (name: string) => string = (name) => name,
): { ruleSet?: RuleSet; problems: MappingProblem[] } {
  const problems: MappingProblem[] = [];
  const templates = new Map<string, TemplateDefinition>();
  for (const [name, text] of Object.entries(sources).filter(([n]) => isTemplateSource(n))) {
    const result = validateTemplateFile(displayName(name), text, catalog);
    problems.push(...result.problems);
    if (result.template) templates.set(result.template.template, result.template);
  }
  const withTemplates = catalog.withTemplates(templates);
  const files: (ValidatedFile & { yaml: PositionedYaml })[] = [];
  for (const [name, text] of Object.entries(sources).filter(([n]) => !isTemplateSource(n))) {
    const result = validateMappingFile(displayName(name), text, withTemplates);
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
    // Event kinds an earlier rule with no condition fires on and stops: inserts and/or updates.
    const stoppedBy = new Map<'inserted' | 'updated', string>();
    for (const { rule, index } of ordered) {
      if (rule.mode === 'disabled') continue;
      const kinds = rule.on.map(eventKindOf);
      const stopper = kinds.every((k) => k !== 'manual' && stoppedBy.has(k))
        ? stoppedBy.get(kinds[0] as 'inserted' | 'updated')
        : undefined;
      if (stopper)
        problems.push({
          file,
          ...yaml.positionOf(['rules', index, 'id']),
          message: `rule ${rule.id}: unreachable, rule ${stopper} matches every event first and stops`,
        });
      if (rule.stop && rule.condition.trim() === '') {
        for (const trigger of rule.on)
          if (trigger === 'inserted' || trigger === 'updated')
            if (!stoppedBy.has(trigger)) stoppedBy.set(trigger, rule.id);
      }
    }
  }
  return problems;
}

/** The kind of event a trigger fires on: changes and work-note commands arrive as updates. */
function eventKindOf(trigger: TriggerDefinition): 'inserted' | 'updated' | 'manual' {
  if (typeof trigger === 'string') return trigger;
  return 'manual' in trigger ? 'manual' : 'updated';
}

/** Evaluation order within a table: priority (lower first), then the order written. */
function orderRules<T extends { rule: { priority: number }; index: number }>(rules: T[]): T[] {
  return [...rules].sort((a, b) => a.rule.priority - b.rule.priority || a.index - b.index);
}

/** Compiles once per version: conditions become predicates, and each table gets its index. */
function compile(files: ValidatedFile[], sources: Record<string, string>, catalog: MappingCatalog): RuleSet {
  const byTable = new Map<string, CompiledRule[]>();
  const dotWalks = new Map<string, string[]>();
  for (const { file, mapping } of files) {
    const table = mapping.table;
    const compiled = orderRules(mapping.rules.map((rule, index) => ({ rule, index }))).map(({ rule }) =>
      compileRule(table, rule, file, catalog),
    );
    byTable.set(table, [...(byTable.get(table) ?? []), ...compiled]);
    dotWalks.set(table, [...new Set([...(dotWalks.get(table) ?? []), ...mapping.rules.flatMap(dotWalkedPaths)])]);
  }
  const indexes: RuleSet['indexes'] = new Map();
  for (const [table, rules] of byTable) {
    rules.forEach((rule, order) => (rule.order = order));
    indexes.set(table, buildRuleIndex(rules));
  }
  return { version: versionOf(sources), byTable, indexes, dotWalks, sources };
}

function compileRule(table: string, rule: ResolvedRule, file: string, catalog: MappingCatalog): CompiledRule {
  const predicate = compileQuery(parseEncodedQuery(rule.condition).query);
  const matches = (record: Record<string, string>, previous?: Record<string, string>) =>
    predicate(
      recordReader(table, record, catalog),
      previous ? { previous: recordReader(table, previous, catalog) } : undefined,
    );
  return { table, definition: rule, order: 0, matches, file };
}

function dotWalkedPaths(rule: ResolvedRule): string[] {
  const terms = termsOf(parseEncodedQuery(rule.condition).query);
  return terms.flatMap((term) => [term.field, fieldNamedByValue(term) ?? '']).filter((path) => path.includes('.'));
}

// Rules of one table read the same event record: one reader per record, not one per rule.
const readers = new WeakMap<Record<string, string>, { table: string; reader: FieldReader }>();

/** Reads an event record as the encoded-query evaluator expects: absent-but-known fields are empty. */
export function recordReader(table: string, record: Record<string, string>, catalog: MappingCatalog): FieldReader {
  const cached = readers.get(record);
  if (cached?.table === table) return cached.reader;
  const known = new Map<string, boolean>();
  const reader: FieldReader = {
    read(path) {
      const value = record[path];
      if (value !== undefined) return { value };
      let exists = known.get(path);
      if (exists === undefined) known.set(path, (exists = catalog.fieldExists(table, path)));
      return exists ? { value: '' } : undefined;
    },
  };
  readers.set(record, { table, reader });
  return reader;
}

/** The content hash of a set of sources: stable across instances and restarts. */
export function versionOf(sources: Record<string, string>): string {
  const hash = createHash('sha256');
  for (const name of Object.keys(sources).sort()) hash.update(name).update('\0').update(sources[name]!).update('\0');
  return hash.digest('hex').slice(0, 12);
}

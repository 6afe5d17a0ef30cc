import type { CompileContext, EncodedQuery, EvaluationContext, FieldReader, RecordContext, Term } from './ast';
import { planQuery, type TermCheck } from './query-plan';

type CompiledGroups = TermCheck[][][];

// docs/servicenow-behaviour.md §1.2 by default: a dropped term leaves its clause; a clause with no decided term constrains nothing.
function clauseHolds(clause: TermCheck[], record: FieldReader, run: RecordContext | undefined): boolean {
  let decided = false;
  for (let i = 0; i < clause.length; i++) {
    const result = clause[i]!(record, run);
    if (result === true) return true;
    if (result === false) decided = true;
  }
  return !decided;
}

function matchDroppingInvalid(groups: CompiledGroups, record: FieldReader, run: RecordContext | undefined): boolean {
  if (groups.length === 0) return true;
  for (let g = 0; g < groups.length; g++) {
    const group = groups[g]!;
    let holds = true;
    for (let c = 0; holds && c < group.length; c++) holds = clauseHolds(group[c]!, record, run);
    if (holds) return true;
  }
  return false;
}

// glide.invalid_query.returns_no_rows: one invalid term anywhere and nothing matches, so every term is evaluated.
function matchStrictly(groups: CompiledGroups, record: FieldReader, run: RecordContext | undefined): boolean {
  let matched = groups.length === 0;
  for (const group of groups) {
    let groupHolds = true;
    for (const clause of group) {
      let clauseHolds = clause.length === 0;
      for (const check of clause) {
        const result = check(record, run);
        if (result === undefined) return false;
        clauseHolds ||= result;
      }
      groupHolds &&= clauseHolds;
    }
    matched ||= groupHolds;
  }
  return matched;
}

/**
 * Compiles once for hot paths (rule matching at 10,000 rules): returns a predicate equivalent to
 * evaluateQuery. Values, patterns and date functions are prepared here; a call only reads fields.
 */
export function compileQuery(
  query: EncodedQuery,
  ctx: CompileContext = {},
): (record: FieldReader, ctx?: RecordContext) => boolean {
  const planned = planQuery(query, ctx);
  if (ctx.invalidTerms === 'no-match') {
    const checks = planned.map((group) => group.map((clause) => clause.map((t) => t.check)));
    if (checks.flat(2).includes(undefined)) return () => false;
    const groups = checks as CompiledGroups;
    return (record, run) => matchStrictly(groups, record, run);
  }
  const groups = planned.map((group) =>
    group.map((clause) => clause.flatMap((t) => (t.check ? [t.check] : []))).filter((clause) => clause.length > 0),
  );
  return (record, run) => matchDroppingInvalid(groups, record, run);
}

/**
 * Whether the record matches the query, as an instance would answer (docs/servicenow-behaviour.md §2). A query with no groups,
 * or a group with no clauses, matches every record.
 */
export function evaluateQuery(query: EncodedQuery, record: FieldReader, ctx: EvaluationContext = {}): boolean {
  return compileQuery(query, ctx)(record, ctx);
}

/**
 * Like evaluateQuery, and says why not: the first term that failed in each group (for `snowline dry-run`).
 * `failedTerms` is empty when the query matched; `droppedTerms` lists every term that was left out (docs/servicenow-behaviour.md §1.2).
 */
export function explainQuery(
  query: EncodedQuery,
  record: FieldReader,
  ctx: EvaluationContext = {},
): { matched: boolean; failedTerms: Term[]; droppedTerms: Term[] } {
  const failedTerms: Term[] = [];
  const droppedTerms: Term[] = [];
  let anyGroupHolds = query.groups.length === 0;
  for (const group of planQuery(query, ctx)) {
    let firstFailure: Term | undefined;
    for (const clause of group) {
      const results = clause.map(({ term, check }) => ({ term, result: check?.(record, ctx) }));
      droppedTerms.push(...results.filter((r) => r.result === undefined).map((r) => r.term));
      const decided = results.filter((r) => r.result !== undefined);
      if (decided.length > 0 && decided.every((r) => r.result === false)) firstFailure ??= decided[0]!.term;
    }
    if (firstFailure) failedTerms.push(firstFailure);
    else anyGroupHolds = true;
  }
  const matched = anyGroupHolds && !(ctx.invalidTerms === 'no-match' && droppedTerms.length > 0);
  return { matched, failedTerms: matched ? [] : failedTerms, droppedTerms };
}

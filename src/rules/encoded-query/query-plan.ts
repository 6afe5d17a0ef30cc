import type { CompileContext, EncodedQuery, FieldReader, RecordContext, Term } from './ast';
import { PREDICATES } from './predicates';

/** Decides one term for one record: true or false, or undefined when the term is dropped for that record (docs/servicenow-behaviour.md §1.2). */
export type TermCheck = (record: FieldReader, run: RecordContext | undefined) => boolean | undefined;

/** A term with its check; no check means the term is dropped for every record (unusable value). */
export interface PlannedTerm {
  term: Term;
  check: TermCheck | undefined;
}

function checkFor(term: Term, ctx: CompileContext): TermCheck | undefined {
  const test = PREDICATES[term.operator]?.(term, ctx);
  if (!test) return undefined;
  const field = term.field;
  return (record, run) => {
    const current = record.read(field);
    return current === undefined ? undefined : test(current, record, run);
  };
}

/** The query's structure with every term compiled once. */
export function planQuery(query: EncodedQuery, ctx: CompileContext): PlannedTerm[][][] {
  return query.groups.map((group) =>
    group.map((clause) => clause.map((term) => ({ term, check: checkFor(term, ctx) }))),
  );
}

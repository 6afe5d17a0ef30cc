import type { CompileContext, FieldReader, FieldValue, RecordContext, Term } from '../ast';
import { resolveOperand, type Operand } from '../date-functions';

/**
 * Decides one term for one record, given the value of the term's field (which exists).
 * Undefined means the term is dropped for this record (docs/servicenow-behaviour.md §1.2), e.g. when a second field it
 * compares against does not exist.
 */
export type ValueTest = (
  current: FieldValue,
  record: FieldReader,
  run: RecordContext | undefined,
) => boolean | undefined;

/** Builds the test of a term, once per compile; undefined when the value is unusable (the term is dropped, docs/servicenow-behaviour.md §1.2). */
export type TestFactory = (term: Term, ctx: CompileContext) => ValueTest | undefined;

/** The time of evaluation in ms. */
function nowOf(run: RecordContext | undefined): number {
  return run?.now?.getTime() ?? Date.now();
}

/**
 * A value computed from the time of evaluation, recomputed only when that time changes: the rules
 * matched against one event share it, so date functions are worked out once per event, not per rule.
 */
export function perNow<T>(compute: (now: number) => T): (run: RecordContext | undefined) => T {
  let cachedNow = Number.NaN;
  let cached: T;
  return (run) => {
    const now = nowOf(run);
    if (now !== cachedNow) {
      cached = compute(now);
      cachedNow = now;
    }
    return cached;
  };
}

/**
 * A test on values that may be `javascript:` functions of the current time. Fixed values build the
 * test once; values that depend on now build it again when now changes.
 */
export function withOperands(
  values: readonly string[],
  ctx: CompileContext,
  build: (operands: string[]) => ValueTest | undefined,
): ValueTest | undefined {
  const operands: Operand[] = [];
  for (const value of values) {
    const operand = resolveOperand(value, ctx.userId);
    if (operand === undefined) return undefined;
    operands.push(operand);
  }
  if (operands.every((o) => typeof o === 'string')) return build(operands as string[]);
  const testAt = perNow((now) => build(operands.map((o) => (typeof o === 'string' ? o : o(now)))));
  return (current, record, run) => testAt(run)?.(current, record, run);
}

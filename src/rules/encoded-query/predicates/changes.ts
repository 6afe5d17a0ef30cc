import type { FieldReader } from '../ast';
import { withOperands, type TestFactory } from './value-test';

// A field the previous record lacked was empty before.
const previousValue = (previous: FieldReader, field: string): string => previous.read(field)?.value ?? '';

/** VALCHANGES: the value differs from the previous record's; false without a previous record. */
export const valueChanges: TestFactory =
  ({ field }) =>
  (current, _record, run) =>
    run?.previous !== undefined && previousValue(run.previous, field) !== current.value;

/** CHANGESFROM x: the value changed, and was x. */
export const changesFrom: TestFactory = ({ field, value }, ctx) =>
  withOperands([value], ctx, ([from]) => (current, _record, run) => {
    if (!run?.previous) return false;
    const before = previousValue(run.previous, field);
    return before !== current.value && before === from;
  });

/** CHANGESTO x: the value changed, and is now x. */
export const changesTo: TestFactory = ({ field, value }, ctx) =>
  withOperands(
    [value],
    ctx,
    ([to]) =>
      (current, _record, run) =>
        run?.previous !== undefined && previousValue(run.previous, field) !== current.value && current.value === to,
  );

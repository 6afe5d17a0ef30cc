import { comparatorFor } from '../comparison';
import { withOperands, type TestFactory } from './value-test';

/** `>` `>=` `<` `<=` against a value (docs/servicenow-behaviour.md §2.2), in the order of {@link comparatorFor}. */
export function ordering(accept: (comparison: number) => boolean): TestFactory {
  return (term, ctx) =>
    withOperands([term.value], ctx, ([operand]) => {
      const compare = comparatorFor(operand!);
      return (current) => {
        const comparison = compare(current.value);
        return comparison !== undefined && accept(comparison);
      };
    });
}

/** BETWEEN `low@high`, both bounds included. */
export const between: TestFactory = (term, ctx) => {
  const bounds = term.value.split('@');
  if (bounds.length !== 2) return undefined;
  return withOperands(bounds, ctx, ([low, high]) => {
    const [fromLow, fromHigh] = [comparatorFor(low!), comparatorFor(high!)];
    return (current) => (fromLow(current.value) ?? -1) >= 0 && (fromHigh(current.value) ?? 1) <= 0;
  });
};

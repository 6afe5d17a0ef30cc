import type { FieldValue } from '../ast';
import { withOperands, type TestFactory } from './value-test';

/** The sys_id of the "Me" dynamic filter option (docs/servicenow-behaviour.md §2.2 DYNAMIC), the only one evaluated here. */
const DYNAMIC_ME = '90d1921e5f510100a9ad2572f2b477fe';

// Reference fields match text operators on what a user sees: the display value.
const textOf = (field: FieldValue): string => field.display ?? field.value;

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

/** LIKE / STARTSWITH / ENDSWITH and their negation: case-insensitive, as instances answer in practice. */
function pattern(before: string, after: string, negate: boolean): TestFactory {
  return (term, ctx) =>
    withOperands([term.value], ctx, ([operand]) => {
      const regExp = new RegExp(`${before}${escapeRegExp(operand!)}${after}`, 'i');
      return (current) => regExp.test(textOf(current)) !== negate;
    });
}

function equality(negate: boolean): TestFactory {
  return (term, ctx) =>
    withOperands(
      [term.value],
      ctx,
      ([operand]) =>
        (current) =>
          (current.value === operand) !== negate,
    );
}

function membership(negate: boolean): TestFactory {
  return (term, ctx) =>
    withOperands([term.value], ctx, ([operand]) => {
      const members = new Set(operand!.split(','));
      return (current) => members.has(current.value) !== negate;
    });
}

export const equals = equality(false);
export const notEquals = equality(true);
export const like = pattern('', '', false);
export const notLike = pattern('', '', true);
export const startsWith = pattern('^', '', false);
export const endsWith = pattern('', '$', false);
export const inList = membership(false);
export const notInList = membership(true);

/** ISEMPTY and EMPTYSTRING: a reader cannot tell NULL from "", so both mean an empty value. */
export const isEmpty: TestFactory = () => (current) => current.value === '';
export const isNotEmpty: TestFactory = () => (current) => current.value !== '';
export const anything: TestFactory = () => () => true;

/** DYNAMIC with the "Me" option is `= gs.getUserID()`; other options need the instance, so the term is dropped. */
export const dynamic: TestFactory = (term, ctx) => {
  const userId = ctx.userId;
  return term.value === DYNAMIC_ME && userId !== undefined ? (current) => current.value === userId : undefined;
};

/** INSTANCEOF: the class or one of its descendants, as far as the context knows the hierarchy. */
export const instanceOf: TestFactory = ({ value: ancestor }, ctx) =>
  ctx.isInstanceOf ? (current) => ctx.isInstanceOf!(current.value, ancestor) : (current) => current.value === ancestor;

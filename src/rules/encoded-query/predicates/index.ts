import type { Operator } from '../ast';
import { changesFrom, changesTo, valueChanges } from './changes';
import {
  datePart,
  notOn,
  on,
  relativeAfter,
  relativeAtOrAfter,
  relativeAtOrBefore,
  relativeBefore,
  relativeSame,
} from './dates';
import {
  greaterOrEqualField,
  greaterThanField,
  lessOrEqualField,
  lessThan,
  lessThanField,
  moreThan,
  notSameAsField,
  sameAsField,
} from './field-comparison';
import { between, ordering } from './ordering';
import {
  anything,
  dynamic,
  endsWith,
  equals,
  inList,
  instanceOf,
  isEmpty,
  isNotEmpty,
  like,
  notEquals,
  notInList,
  notLike,
  startsWith,
} from './text';
import type { TestFactory } from './value-test';

// Hierarchies and tags live in the instance, so these terms cannot be decided here and are dropped.
const unsupported: TestFactory = () => undefined;

/** How each operator decides a term. */
export const PREDICATES: Readonly<Record<Operator, TestFactory>> = {
  '=': equals,
  '!=': notEquals,
  '>': ordering((c) => c > 0),
  '>=': ordering((c) => c >= 0),
  '<': ordering((c) => c < 0),
  '<=': ordering((c) => c <= 0),
  LIKE: like,
  'NOT LIKE': notLike,
  STARTSWITH: startsWith,
  ENDSWITH: endsWith,
  IN: inList,
  'NOT IN': notInList,
  ISEMPTY: isEmpty,
  ISNOTEMPTY: isNotEmpty,
  EMPTYSTRING: isEmpty,
  ANYTHING: anything,
  BETWEEN: between,
  SAMEAS: sameAsField,
  NSAMEAS: notSameAsField,
  GT_FIELD: greaterThanField,
  LT_FIELD: lessThanField,
  GT_OR_EQUALS_FIELD: greaterOrEqualField,
  LT_OR_EQUALS_FIELD: lessOrEqualField,
  DYNAMIC: dynamic,
  IN_HIERARCHY: unsupported,
  IN_HIERARCHY_DYNAMIC: unsupported,
  ON: on,
  NOTON: notOn,
  RELATIVEGT: relativeAfter,
  RELATIVELT: relativeBefore,
  RELATIVEGE: relativeAtOrAfter,
  RELATIVELE: relativeAtOrBefore,
  RELATIVEEE: relativeSame,
  DATEPART: datePart,
  MORETHAN: moreThan,
  LESSTHAN: lessThan,
  VALCHANGES: valueChanges,
  CHANGESFROM: changesFrom,
  CHANGESTO: changesTo,
  INSTANCEOF: instanceOf,
  DOESNOTHAVE: unsupported,
  EXCLUDING: unsupported,
};

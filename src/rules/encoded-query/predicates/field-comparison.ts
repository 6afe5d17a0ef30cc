import type { FieldReader, FieldValue } from '../ast';
import { compareValues } from '../comparison';
import { isDateUnit, parseDateTime, shiftDate, startOfUnit, type DateUnit } from '../date-time';
import { FIELD_PATTERN } from '../operators';
import type { TestFactory, ValueTest } from './value-test';

type FieldTest = (current: FieldValue, other: FieldValue) => boolean;

/** A test against a second field of the same record; the term is dropped where that field does not exist. */
function againstField(other: string, test: FieldTest): ValueTest | undefined {
  if (!FIELD_PATTERN.test(other)) return undefined;
  return (current: FieldValue, record: FieldReader) => {
    const otherValue = record.read(other);
    return otherValue === undefined ? undefined : test(current, otherValue);
  };
}

function sameUnit(a: string, b: string, unit: DateUnit): boolean | undefined {
  const [ta, tb] = [parseDateTime(a), parseDateTime(b)];
  return ta === undefined || tb === undefined ? undefined : startOfUnit(ta, unit) === startOfUnit(tb, unit);
}

/** SAMEAS / NSAMEAS `other` or, for dates, `other@day` (same day, hour, month…). */
function sameAs(negate: boolean): TestFactory {
  return ({ value }) => {
    const [other = '', unit, ...rest] = value.split('@');
    if (rest.length > 0 || (unit !== undefined && !isDateUnit(unit))) return undefined;
    if (unit === undefined) return againstField(other, (a, b) => (a.value === b.value) !== negate);
    return againstField(other, (a, b) => {
      const same = sameUnit(a.value, b.value, unit);
      return same !== undefined && same !== negate;
    });
  };
}

/** GT_FIELD, LT_FIELD, GT_OR_EQUALS_FIELD, LT_OR_EQUALS_FIELD. */
function orderedAgainst(accept: (comparison: number) => boolean): TestFactory {
  return ({ value }) =>
    againstField(value, (a, b) => {
      const comparison = compareValues(a.value, b.value);
      return comparison !== undefined && accept(comparison);
    });
}

const DISTANCE = /^([a-z_][a-z0-9_.]*)@([a-z]+)@(before|after)@(\d+)$/;

/**
 * MORETHAN / LESSTHAN `other@unit@before|after@n` [inf]: `sla_dueMORETHANactivity_due@day@before@1`
 * holds when sla_due is more than one day before activity_due; LESSTHAN when it is before it, but
 * by less than that.
 */
function distance(more: boolean): TestFactory {
  return ({ value }) => {
    const match = DISTANCE.exec(value);
    const unit = match?.[2] ?? '';
    if (!match || !isDateUnit(unit)) return undefined;
    const direction = match[3] === 'before' ? -1 : 1;
    const count = Number(match[4]);
    return againstField(match[1]!, (a, b) => {
      const [time, reference] = [parseDateTime(a.value), parseDateTime(b.value)];
      if (time === undefined || reference === undefined) return false;
      // Positive once `time` lies further than n units from the reference, on the named side.
      const pastLimit = direction * (time - shiftDate(reference, unit, direction * count));
      return more ? pastLimit > 0 : pastLimit < 0 && direction * (time - reference) >= 0;
    });
  };
}

export const sameAsField = sameAs(false);
export const notSameAsField = sameAs(true);
export const greaterThanField = orderedAgainst((c) => c > 0);
export const lessThanField = orderedAgainst((c) => c < 0);
export const greaterOrEqualField = orderedAgainst((c) => c >= 0);
export const lessOrEqualField = orderedAgainst((c) => c <= 0);
export const moreThan = distance(true);
export const lessThan = distance(false);

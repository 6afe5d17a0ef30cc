import type { Operator } from './ast';

/** How an operator is written and whether a value follows it. */
export interface OperatorSpec {
  /** Spellings accepted after a field name; the first is the canonical one the printer writes. */
  tokens: readonly string[];
  takesValue: boolean;
}

/** The operator table of https://www.servicenow.com/docs/r/platform-user-interface/r_OpAvailableFiltersQueries.html. */
export const OPERATORS: Readonly<Record<Operator, OperatorSpec>> = {
  '=': { tokens: ['='], takesValue: true },
  '!=': { tokens: ['!='], takesValue: true },
  '>': { tokens: ['>'], takesValue: true },
  '>=': { tokens: ['>='], takesValue: true },
  '<': { tokens: ['<'], takesValue: true },
  '<=': { tokens: ['<='], takesValue: true },
  LIKE: { tokens: ['LIKE', '*'], takesValue: true },
  'NOT LIKE': { tokens: ['NOT LIKE', 'NOTLIKE', '!*'], takesValue: true },
  STARTSWITH: { tokens: ['STARTSWITH'], takesValue: true },
  ENDSWITH: { tokens: ['ENDSWITH', '%'], takesValue: true },
  IN: { tokens: ['IN'], takesValue: true },
  'NOT IN': { tokens: ['NOT IN'], takesValue: true },
  ISEMPTY: { tokens: ['ISEMPTY'], takesValue: false },
  ISNOTEMPTY: { tokens: ['ISNOTEMPTY'], takesValue: false },
  EMPTYSTRING: { tokens: ['EMPTYSTRING'], takesValue: false },
  ANYTHING: { tokens: ['ANYTHING'], takesValue: false },
  BETWEEN: { tokens: ['BETWEEN'], takesValue: true },
  SAMEAS: { tokens: ['SAMEAS'], takesValue: true },
  NSAMEAS: { tokens: ['NSAMEAS'], takesValue: true },
  GT_FIELD: { tokens: ['GT_FIELD'], takesValue: true },
  LT_FIELD: { tokens: ['LT_FIELD'], takesValue: true },
  GT_OR_EQUALS_FIELD: { tokens: ['GT_OR_EQUALS_FIELD'], takesValue: true },
  LT_OR_EQUALS_FIELD: { tokens: ['LT_OR_EQUALS_FIELD'], takesValue: true },
  DYNAMIC: { tokens: ['DYNAMIC'], takesValue: true },
  IN_HIERARCHY: { tokens: ['IN_HIERARCHY'], takesValue: true },
  IN_HIERARCHY_DYNAMIC: { tokens: ['IN_HIERARCHY_DYNAMIC'], takesValue: true },
  ON: { tokens: ['ON'], takesValue: true },
  NOTON: { tokens: ['NOTON'], takesValue: true },
  RELATIVEGT: { tokens: ['RELATIVEGT'], takesValue: true },
  RELATIVELT: { tokens: ['RELATIVELT'], takesValue: true },
  RELATIVEGE: { tokens: ['RELATIVEGE'], takesValue: true },
  RELATIVELE: { tokens: ['RELATIVELE'], takesValue: true },
  RELATIVEEE: { tokens: ['RELATIVEEE'], takesValue: true },
  DATEPART: { tokens: ['DATEPART'], takesValue: true },
  MORETHAN: { tokens: ['MORETHAN'], takesValue: true },
  LESSTHAN: { tokens: ['LESSTHAN'], takesValue: true },
  VALCHANGES: { tokens: ['VALCHANGES'], takesValue: false },
  CHANGESFROM: { tokens: ['CHANGESFROM'], takesValue: true },
  CHANGESTO: { tokens: ['CHANGESTO'], takesValue: true },
  INSTANCEOF: { tokens: ['INSTANCEOF'], takesValue: true },
  DOESNOTHAVE: { tokens: ['DOESNOTHAVE'], takesValue: true },
  EXCLUDING: { tokens: ['EXCLUDING'], takesValue: true },
};

/** A column name, possibly dot-walked. Column names are lowercase, which is what ends the field. */
export const FIELD_PATTERN = /^[a-z_][a-z0-9_.]*$/;

const FIELD_AT = /[a-z_][a-z0-9_.]*/y;

interface TokenMatch {
  operator: Operator;
  token: string;
}

// Longest first: the operator is the longest token that follows the field (`>=` over `>`, `INSTANCEOF` over `IN`).
const TOKENS: readonly TokenMatch[] = Object.entries(OPERATORS)
  .flatMap(([operator, spec]) => spec.tokens.map((token) => ({ operator: operator as Operator, token })))
  .sort((a, b) => b.token.length - a.token.length);

/** The operator written at `index` of `text`, if any (longest match). */
export function operatorAt(text: string, index: number): TokenMatch | undefined {
  return TOKENS.find((t) => text.startsWith(t.token, index));
}

/** The length of the field name starting at `index` (0 when none starts there). */
export function fieldLengthAt(text: string, index: number): number {
  FIELD_AT.lastIndex = index;
  return FIELD_AT.exec(text)?.[0].length ?? 0;
}

/** The canonical spelling of an operator, or undefined for a name that is not one. */
export function canonicalToken(operator: string): string | undefined {
  return Object.hasOwn(OPERATORS, operator) ? OPERATORS[operator as Operator].tokens[0] : undefined;
}

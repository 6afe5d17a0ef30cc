/**
 * Every operator of the encoded-query syntax (https://www.servicenow.com/docs/r/platform-user-interface/r_OpAvailableFiltersQueries.html), in its canonical spelling.
 * Aliases (`*`, `!*`, `NOTLIKE`, `%`) are normalised by the parser.
 * `EMPTY` / `NOTEMPTY` are UI labels only: the query string spells them `ISEMPTY` / `ISNOTEMPTY`.
 */
export type Operator =
  | '='
  | '!='
  | '>'
  | '>='
  | '<'
  | '<='
  | 'LIKE'
  | 'NOT LIKE'
  | 'STARTSWITH'
  | 'ENDSWITH'
  | 'IN'
  | 'NOT IN'
  | 'ISEMPTY'
  | 'ISNOTEMPTY'
  | 'EMPTYSTRING'
  | 'ANYTHING'
  | 'BETWEEN'
  | 'SAMEAS'
  | 'NSAMEAS'
  | 'GT_FIELD'
  | 'LT_FIELD'
  | 'GT_OR_EQUALS_FIELD'
  | 'LT_OR_EQUALS_FIELD'
  | 'DYNAMIC'
  | 'IN_HIERARCHY'
  | 'IN_HIERARCHY_DYNAMIC'
  | 'ON'
  | 'NOTON'
  | 'RELATIVEGT'
  | 'RELATIVELT'
  | 'RELATIVEGE'
  | 'RELATIVELE'
  | 'RELATIVEEE'
  | 'DATEPART'
  | 'MORETHAN'
  | 'LESSTHAN'
  | 'VALCHANGES'
  | 'CHANGESFROM'
  | 'CHANGESTO'
  | 'INSTANCEOF'
  | 'DOESNOTHAVE'
  | 'EXCLUDING';

/** One condition, `<field><OPERATOR><value>`. */
export interface Term {
  /** Column name, possibly dot-walked (`caller_id.email`). */
  field: string;
  operator: Operator;
  /** The raw value text; `''` for operators that take none. */
  value: string;
  /** The term's source text. */
  raw: string;
  /** Char offset of the term in the source. */
  offset: number;
}

/** A parsed query: the union (^NQ) of groups; a group is the AND (^) of clauses; a clause is the OR (^OR) of terms. */
export interface EncodedQuery {
  groups: Term[][][];
  orderBy: { field: string; descending: boolean }[];
}

/** A part of the source the parser could not use; it is left out of the query. */
export interface QueryProblem {
  /** Char offset of the offending text in the source. */
  offset: number;
  text: string;
  message: string;
  /**
   * A construct of the syntax this engine does not implement (`^RLQUERY`, `^JOIN`): dropping it
   * would widen the query, so callers refuse the whole query instead.
   */
  unsupported?: true;
}

/** What `parseEncodedQuery` returns: the usable query and what was left out of it. */
export interface ParseResult {
  query: EncodedQuery;
  problems: QueryProblem[];
}

/**
 * A field as the evaluator sees it. `display` is the display value of a reference field; when
 * present, LIKE / NOT LIKE / STARTSWITH / ENDSWITH match against it instead of `value`.
 */
export interface FieldValue {
  value: string;
  display?: string;
}

/**
 * How the evaluator sees a record. read() returns undefined when the FIELD DOES NOT EXIST on the
 * table (path may be dot-walked: 'caller_id.email'); an existing empty field is { value: '' }.
 */
export interface FieldReader {
  read(path: string): FieldValue | undefined;
}

/** What the evaluator needs besides the record. */
export interface EvaluationContext {
  /** For date functions and relative operators; default `new Date()`. */
  now?: Date;
  /** The record before the update: VALCHANGES / CHANGESFROM / CHANGESTO need it (false without it). */
  previous?: FieldReader;
  /** The answer to `gs.getUserID()` (and the DYNAMIC "Me" option); terms using it are dropped without it. */
  userId?: string;
  /** INSTANCEOF on sys_class_name; default: equality. */
  isInstanceOf?(className: string, ancestor: string): boolean;
  /** docs/servicenow-behaviour.md §1.2: unknown field / unusable value → term dropped (default) or whole query matches nothing. */
  invalidTerms?: 'drop' | 'no-match';
}

/** The per-record part of the context, which a compiled query takes at each call. */
export type RecordContext = Pick<EvaluationContext, 'now' | 'previous'>;

/** The part of the context fixed when a query is compiled. */
export type CompileContext = Omit<EvaluationContext, 'now' | 'previous'>;

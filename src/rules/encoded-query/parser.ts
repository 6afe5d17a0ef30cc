import type { EncodedQuery, ParseResult, QueryProblem, Term } from './ast';
import { FIELD_PATTERN, OPERATORS, fieldLengthAt, operatorAt } from './operators';
import { splitSegments, type Segment } from './separators';

/** Reads `<field><OPERATOR><value>`, or says why it cannot. */
function parseTerm(raw: string, offset: number): Term | QueryProblem {
  const problem = (message: string): QueryProblem => ({ offset, text: raw, message });
  const fieldLength = fieldLengthAt(raw, 0);
  if (fieldLength === 0) return problem('expected a field name (a lowercase column name)');
  const field = raw.slice(0, fieldLength);
  const match = operatorAt(raw, fieldLength);
  if (!match) return problem(`expected an operator after field ${field}`);
  const value = raw.slice(fieldLength + match.token.length);
  if (value !== '' && !OPERATORS[match.operator].takesValue) return problem(`${match.operator} takes no value`);
  return { field, operator: match.operator, value, raw, offset };
}

/** Builds the groups/clauses structure while the segments are read in order. */
class QueryBuilder {
  readonly query: EncodedQuery = { groups: [[]], orderBy: [] };
  readonly problems: QueryProblem[] = [];
  // The clause being built: it exists as soon as a term was written, even one that was not usable,
  // so that `a^bad^ORc` keeps `c` in the clause `bad` opened.
  private clause: Term[] | undefined;
  private relatedList: Segment | undefined;

  constructor(private readonly text: string) {}

  add(segment: Segment): void {
    if (this.relatedList) {
      if (segment.kind === 'ENDRLQUERY') this.endRelatedList(segment);
      return;
    }
    switch (segment.kind) {
      case 'START':
      case 'AND':
        if (segment.body === '') return;
        this.closeClause();
        return this.addTerm(segment);
      case 'OR':
        return this.addTerm(segment);
      case 'NQ':
        this.closeClause();
        this.query.groups.push([]);
        return this.addTerm(segment);
      case 'ORDERBY':
      case 'ORDERBYDESC':
        return this.addOrderBy(segment);
      case 'RLQUERY':
        this.relatedList = segment;
        return;
      case 'JOIN':
        return this.report(
          segment,
          segment.bodyOffset + segment.body.length,
          'JOIN queries (^JOIN) are not supported',
          true,
        );
      case 'EQ':
        if (segment.body !== '')
          this.report(segment, segment.bodyOffset + segment.body.length, 'unexpected text after ^EQ');
        return;
      case 'ENDRLQUERY':
        return this.report(segment, segment.bodyOffset + segment.body.length, '^ENDRLQUERY without ^RLQUERY');
    }
  }

  finish(): ParseResult {
    if (this.relatedList)
      this.report(this.relatedList, this.text.length, 'related-list query (^RLQUERY) without ^ENDRLQUERY', true);
    this.closeClause();
    return { query: this.query, problems: this.problems };
  }

  private addTerm({ body, bodyOffset }: Segment): void {
    if (body === '') return;
    this.clause ??= [];
    const parsed = parseTerm(body, bodyOffset);
    if ('field' in parsed) this.clause.push(parsed);
    else this.problems.push(parsed);
  }

  private closeClause(): void {
    if (this.clause?.length) this.query.groups[this.query.groups.length - 1]!.push(this.clause);
    this.clause = undefined;
  }

  private addOrderBy(segment: Segment): void {
    const { kind, body } = segment;
    if (FIELD_PATTERN.test(body)) this.query.orderBy.push({ field: body, descending: kind === 'ORDERBYDESC' });
    else this.report(segment, segment.bodyOffset + body.length, `expected a field name after ${kind}`);
  }

  private endRelatedList(end: Segment): void {
    this.report(this.relatedList!, end.bodyOffset, 'related-list queries (^RLQUERY) are not supported', true);
    this.relatedList = undefined;
    if (end.body !== '') this.report(end, end.bodyOffset + end.body.length, 'unexpected text after ^ENDRLQUERY');
  }

  private report(from: Segment, end: number, message: string, unsupported?: true): void {
    const problem: QueryProblem = { offset: from.start, text: this.text.slice(from.start, end), message };
    this.problems.push(unsupported ? { ...problem, unsupported } : problem);
  }
}

/**
 * Parses an encoded query (https://www.servicenow.com/docs/r/platform-user-interface/c_EncodedQueryStrings.html). Never throws: terms that cannot be read are reported in
 * `problems` and left out of the query, like an instance drops invalid parts (docs/servicenow-behaviour.md §1.2).
 */
export function parseEncodedQuery(text: string): ParseResult {
  const builder = new QueryBuilder(text);
  for (const segment of splitSegments(text)) builder.add(segment);
  return builder.finish();
}

/** Every term of the query, in source order, for validators (unknown fields etc.). */
export function termsOf(query: EncodedQuery): Term[] {
  return query.groups.flat(2);
}

import { SnowlineError } from '../../../src/errors';

/**
 * A query uses a construct the sandbox does not implement (`^RLQUERY…^ENDRLQUERY`, `^JOIN…`).
 * Dropping it, as an instance drops an invalid term, would return more rows than the instance
 * would; so the whole query is refused (400) with the construct named.
 */
export class UnsupportedQueryError extends SnowlineError {
  constructor(problems: { text: string; message: string }[]) {
    super(
      'servicenow.unsupported_query',
      problems.map((p) => `${p.message}: ${p.text}`).join('; ') +
        ' (the sandbox refuses the query rather than widen it)',
    );
  }
}

import { SnowlineError } from './snowline.error';

/** One problem with one field of an input, named by its path (`record.sys_id`, `server.port`). */
export interface FieldProblem {
  path: string;
  message: string;
}

/**
 * Input from outside (a request body, a config file, a CLI flag) does not have the required shape.
 * Use it at boundaries; the caller must fix the input, so it is never retryable.
 */
export class ValidationError extends SnowlineError {
  readonly problems: FieldProblem[];

  constructor(what: string, problems: FieldProblem[]) {
    const summary = problems.map((p) => `${p.path || '(root)'}: ${p.message}`).join('; ');
    super('input.invalid', `${what} is invalid: ${summary}`, { details: { problems } });
    this.problems = problems;
  }
}

import { SnowlineError } from './snowline.error';

/** The request is valid but the target's current state forbids it (retrying a running run, say). */
export class ConflictError extends SnowlineError {
  constructor(code: string, message: string, details: Record<string, unknown> = {}) {
    super(code, message, { details });
  }
}

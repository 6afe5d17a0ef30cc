import { SnowlineError } from './snowline.error';

/** A named thing (run, rule version, record) does not exist or is not visible to the caller. */
export class NotFoundError extends SnowlineError {
  constructor(kind: string, id: string) {
    super(`${kind}.not_found`, `${kind} ${id} was not found`, { details: { kind, id } });
  }
}

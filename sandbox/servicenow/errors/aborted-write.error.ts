import { SnowlineError } from '../../../src/errors';

/**
 * A business rule aborted the write (`current.setAbortAction(true)`): 403 "Operation Failed" with
 * the rule's message as detail (servicenow-reference §1.5, "business-rule abort").
 */
export class AbortedWriteError extends SnowlineError {
  constructor(message: string) {
    super('servicenow.aborted', message);
  }
}

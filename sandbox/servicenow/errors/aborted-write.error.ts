import { SnowlineError } from '../../../src/errors';

/**
 * A business rule aborted the write (`current.setAbortAction(true)`): 403 "Operation Failed" with
 * the rule's message as detail (https://www.servicenow.com/docs/r/api-reference/rest-api-explorer/r_RESTAPIHTTPResponseCodes.html, 403).
 */
export class AbortedWriteError extends SnowlineError {
  constructor(message: string) {
    super('servicenow.aborted', message);
  }
}

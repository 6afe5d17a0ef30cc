import { ConnectorError } from '../../src/errors';

/**
 * CMDB connector errors (codes prefixed `cmdb.`). Transport failures are the ServiceNow
 * client's own `servicenow.*` errors, classified there; IRE calls are safe to repeat, so they
 * are never ambiguous. `invalid_params` (permanent): bad items or relations;
 * `ire_rejected` (permanent): every item of a step failed identification;
 * `source_unavailable`: a sync source could not be read (transient for 5xx/429, else permanent).
 */
export const CONNECTOR = 'cmdb';

export function invalidParams(action: string, problems: string[]): ConnectorError {
  return new ConnectorError(
    CONNECTOR,
    'permanent',
    'invalid_params',
    `${CONNECTOR}.${action} parameters are invalid: ${problems.join('; ')}`,
    { details: { problems } },
  );
}

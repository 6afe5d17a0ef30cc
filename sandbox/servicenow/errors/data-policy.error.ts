import { SnowlineError } from '../../../src/errors';

/**
 * A write left mandatory fields empty (docs/servicenow-behaviour.md §3.2: the incident resolution data policy). The message is
 * ServiceNow's own, so a client sees the same 403 detail as from a real instance.
 */
export class DataPolicyError extends SnowlineError {
  constructor(readonly fieldLabels: string[]) {
    super(
      'servicenow.data_policy',
      `Data Policy Exception: \n\tThe following fields are mandatory: ${fieldLabels.join(', ')}`,
      {
        details: { fields: fieldLabels },
      },
    );
  }
}

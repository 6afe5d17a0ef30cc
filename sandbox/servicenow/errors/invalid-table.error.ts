import { SnowlineError } from '../../../src/errors';

/** A Table API call named a table the instance does not have (docs/servicenow-behaviour.md §1.5: 400 `Invalid table <name>`). */
export class InvalidTableError extends SnowlineError {
  constructor(readonly table: string) {
    super('servicenow.invalid_table', `Invalid table ${table}`, { details: { table } });
  }
}

import { SnowlineError } from './snowline.error';

/**
 * The configuration cannot be used. Raised once at start-up, with one line per problem
 * (`path: expected …, got …`), so an operator can fix every problem in one go.
 */
export class ConfigError extends SnowlineError {
  readonly lines: string[];

  constructor(lines: string[]) {
    super('config.invalid', `configuration is invalid:\n${lines.map((l) => `  ${l}`).join('\n')}`);
    this.lines = lines;
  }
}

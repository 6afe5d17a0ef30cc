import { loadConfig, type Config } from '../config';
import { ConfigError } from '../errors';

/** Loads the configuration or exits 2 with one line per problem (never printing a secret). */
export function configOrExit(): Config {
  return orExit(loadConfig);
}

/** Runs a configuration loader; a ConfigError exits 2 with its lines. */
export function orExit<T>(load: () => T): T {
  try {
    return load();
  } catch (err) {
    if (err instanceof ConfigError) {
      process.stderr.write(`snowline: configuration is invalid\n${err.lines.map((l) => `  ${l}`).join('\n')}\n`);
      process.exit(2);
    }
    throw err;
  }
}

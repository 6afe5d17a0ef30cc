import { loadConfig } from '../../src/config';
import { ConfigError } from '../../src/errors';

/**
 * The problems loading the configuration with `env` reports, one line each; [] when it loads.
 * Without `file`, the site files are those env SNOWLINE_CONFIG names (none: the defaults alone).
 */
export function configProblems(env: NodeJS.ProcessEnv, file?: string): string[] {
  try {
    loadConfig({ file, env });
  } catch (err) {
    if (err instanceof ConfigError) return err.lines;
    throw err;
  }
  return [];
}

import { loadConfig } from '../../src/config';
import { ConfigError } from '../../src/errors';

/** The problems loading the shipped defaults with `env` reports, one line each; [] when it loads. */
export function configProblems(env: NodeJS.ProcessEnv, file = 'config/default.yaml'): string[] {
  try {
    loadConfig({ file, env });
  } catch (err) {
    if (err instanceof ConfigError) return err.lines;
    throw err;
  }
  return [];
}

import { Command } from 'commander';
import { loadConfigWithSources } from '../config';
import { effectiveValues, formatEffectiveValues } from '../config/show-config';
import { orExit } from './load-config';

/** `snowline config show [--json]`: the effective configuration, where each value came from, secrets redacted. */
export function configCommand(): Command {
  const config = new Command('config').description('the effective configuration');
  config
    .command('show')
    .description('print every effective value with its source (default, file, env); secrets redacted')
    .option('--json', 'one JSON array of {path, value, source}')
    .action((options: { json?: boolean }) => {
      const { config: effective, sources } = orExit(() => loadConfigWithSources());
      const values = effectiveValues(effective, sources);
      process.stdout.write(
        options.json ? `${JSON.stringify(values, null, 2)}\n` : `${formatEffectiveValues(values)}\n`,
      );
    });
  return config;
}

import { existsSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { ConfigError } from '../errors';
import { applyEnvironment } from './environment';
import { mergeLayer, readLayer, type RawConfig, type ValueSources } from './layers';
import { resolveSecrets } from './secret-references';

export interface LayerOptions {
  /** Files laid over the defaults, in order (later wins). Default: env SNOWLINE_CONFIG, comma-separated. */
  files?: string[];
  /** The embedded defaults; default: the package's own `config/default.yaml`. */
  defaults?: string;
  env?: NodeJS.ProcessEnv;
}

/**
 * The configuration before validation: embedded defaults ← config file(s) ← environment, then
 * `env:` / `file:` references resolved. Mappings merge, lists and scalars replace. Throws a
 * ConfigError listing every file or variable that could not be read.
 */
export function layeredConfig(options: LayerOptions = {}): { raw: RawConfig; sources: ValueSources } {
  const env = options.env ?? process.env;
  const defaults = options.defaults ?? embeddedDefaults();
  const files = (options.files ?? configFiles(env)).filter((file) => resolve(file) !== resolve(defaults));
  const problems: string[] = [];
  const raw: RawConfig = {};
  const sources: ValueSources = new Map();
  for (const file of [defaults, ...files]) {
    const layer = readLayer(file, problems);
    if (layer) mergeLayer(raw, layer, displayName(file), sources);
  }
  applyEnvironment(raw, env, sources, problems);
  resolveSecrets(raw, env, sources, problems);
  if (problems.length > 0) throw new ConfigError(problems);
  return { raw, sources };
}

/** `SNOWLINE_CONFIG=a.yaml,b.yaml`: the site's files, in the order they are laid over the defaults. */
export function configFiles(env: NodeJS.ProcessEnv): string[] {
  return (env.SNOWLINE_CONFIG ?? '')
    .split(',')
    .map((file) => file.trim())
    .filter(Boolean);
}

/**
 * The package's own `config/default.yaml`, found from this module (src/ or dist/src/) upwards, so
 * the defaults are the same whatever the working directory.
 */
export function embeddedDefaults(): string {
  let dir = __dirname;
  for (;;) {
    const candidate = join(dir, 'config', 'default.yaml');
    if (existsSync(candidate)) return candidate;
    const parent = dirname(dir);
    if (parent === dir) return join('config', 'default.yaml');
    dir = parent;
  }
}

function displayName(file: string): string {
  const shown = relative(process.cwd(), file);
  return shown.startsWith('..') ? file : shown;
}

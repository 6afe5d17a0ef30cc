import { readFileSync } from 'node:fs';
import { parse as parseYaml } from 'yaml';

/** A configuration tree as read from YAML, before validation. */
export type RawConfig = Record<string, unknown>;

/**
 * Where each effective value came from, by dotted path (`server.port` → `env PORT`). A list is one
 * value: its path names the whole list, since a later layer replaces a list rather than merging it.
 */
export type ValueSources = Map<string, string>;

export function isPlainObject(value: unknown): value is RawConfig {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}

/** Reads one YAML file holding a mapping; a problem line per failure, `undefined` then. */
export function readLayer(file: string, problems: string[]): RawConfig | undefined {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    problems.push(`${file}: cannot be read (${(err as NodeJS.ErrnoException).code ?? 'error'})`);
    return undefined;
  }
  try {
    const doc: unknown = parseYaml(text);
    // An empty file is an empty layer: it changes nothing.
    if (doc === null || doc === undefined) return {};
    if (isPlainObject(doc)) return doc;
    problems.push(`${file}: expected a YAML mapping at the top level`);
  } catch (err) {
    problems.push(`${file}: not valid YAML (${(err as Error).message.split('\n')[0]})`);
  }
  return undefined;
}

/**
 * Lays `layer` over `target` in place: mappings merge key by key, anything else (a scalar, a list)
 * replaces what was there. `null` removes a value, so a site can unset a default. Each value set is
 * recorded in `sources` under its path with the name of the layer.
 */
export function mergeLayer(
  target: RawConfig,
  layer: RawConfig,
  source: string,
  sources: ValueSources,
  prefix = '',
): void {
  for (const [key, value] of Object.entries(layer)) {
    const path = prefix ? `${prefix}.${key}` : key;
    if (isPlainObject(value) && isPlainObject(target[key])) {
      mergeLayer(target[key], value, source, sources, path);
      continue;
    }
    forgetBelow(sources, path);
    if (value === null) {
      delete target[key];
      continue;
    }
    target[key] = isPlainObject(value) ? structuredClone(value) : value;
    recordLeaves(value, path, source, sources);
  }
}

function recordLeaves(value: unknown, path: string, source: string, sources: ValueSources): void {
  if (!isPlainObject(value)) {
    sources.set(path, source);
    return;
  }
  for (const [key, child] of Object.entries(value)) recordLeaves(child, `${path}.${key}`, source, sources);
}

function forgetBelow(sources: ValueSources, path: string): void {
  for (const known of [...sources.keys()]) if (known === path || known.startsWith(`${path}.`)) sources.delete(known);
}

export function getPath(obj: unknown, path: string): unknown {
  return path.split('.').reduce<unknown>((node, key) => (isPlainObject(node) ? node[key] : undefined), obj);
}

export function setPath(obj: RawConfig, path: string, value: unknown): void {
  const keys = path.split('.');
  let node = obj;
  for (const key of keys.slice(0, -1)) {
    if (!isPlainObject(node[key])) node[key] = {};
    node = node[key] as RawConfig;
  }
  node[keys[keys.length - 1]!] = value;
}

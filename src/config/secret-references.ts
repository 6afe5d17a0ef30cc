import { readFileSync } from 'node:fs';
import { isPlainObject, type RawConfig, type ValueSources } from './layers';

/**
 * Replaces every `env:NAME` / `file:PATH` string in place; a missing required source is a problem.
 * `env:NAME?` marks an optional setting: absent means "not configured", and the value is removed.
 * The recorded source then says both the layer and the reference (`config/default.yaml → env X`).
 */
export function resolveSecrets(
  node: RawConfig,
  env: NodeJS.ProcessEnv,
  sources: ValueSources,
  problems: string[],
  prefix = '',
): void {
  for (const [key, value] of Object.entries(node)) {
    const path = prefix ? `${prefix}.${key}` : key;
    if (isPlainObject(value)) {
      resolveSecrets(value, env, sources, problems, path);
      continue;
    }
    if (typeof value !== 'string') continue;
    const resolved = resolveReference(value, env);
    if (!resolved.ok) {
      problems.push(`${path}: expected ${resolved.expected}, got nothing`);
      continue;
    }
    if (!resolved.via) continue;
    if (resolved.value === undefined) {
      delete node[key];
      sources.delete(path);
    } else {
      node[key] = resolved.value;
      sources.set(path, `${sources.get(path) ?? 'config'} → ${resolved.via}`);
    }
  }
}

type Resolution = { ok: true; value: string | undefined; via?: string } | { ok: false; expected: string };

function resolveReference(value: string, env: NodeJS.ProcessEnv): Resolution {
  const envRef = /^env:([A-Za-z_][A-Za-z0-9_]*)(\?)?$/.exec(value);
  if (envRef) {
    const found = env[envRef[1]!];
    if (found) return { ok: true, value: found, via: `env ${envRef[1]}` };
    return envRef[2]
      ? { ok: true, value: undefined, via: `env ${envRef[1]}` }
      : { ok: false, expected: `environment variable ${envRef[1]}` };
  }
  const fileRef = /^file:(.+)$/.exec(value);
  if (fileRef) {
    try {
      return { ok: true, value: readFileSync(fileRef[1]!, 'utf8').trim(), via: `file ${fileRef[1]}` };
    } catch {
      return { ok: false, expected: `a readable file at ${fileRef[1]}` };
    }
  }
  return { ok: true, value };
}

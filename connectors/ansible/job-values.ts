import { parse as parseYaml } from 'yaml';
import type { Job } from './schemas';

/** A job's `artifacts` (from `set_stats`) as an object; some controllers send them as a JSON string. */
export function jobArtifacts(job: Pick<Job, 'artifacts'>): Record<string, unknown> {
  const a = job.artifacts;
  if (!a) return {};
  if (typeof a === 'object') return a;
  return jobExtraVars({ extra_vars: a }) ?? {};
}

/** The extra_vars of a job as an object (the API returns them as a JSON or YAML string). */
export function jobExtraVars(job: Pick<Job, 'extra_vars'>): Record<string, unknown> | undefined {
  const raw = job.extra_vars;
  if (raw === null || raw === undefined || raw === '') return undefined;
  if (typeof raw === 'object') return raw;
  try {
    const parsed: unknown = JSON.parse(raw);
    return parsed && typeof parsed === 'object' && !Array.isArray(parsed)
      ? (parsed as Record<string, unknown>)
      : undefined;
  } catch {
    try {
      const parsed: unknown = parseYaml(raw);
      return parsed && typeof parsed === 'object' && !Array.isArray(parsed)
        ? (parsed as Record<string, unknown>)
        : undefined;
    } catch {
      return undefined;
    }
  }
}

import { mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import { gunzipSync, gzipSync } from 'node:zlib';
import { SnowlineError } from '../errors';

/**
 * Where pruned records go: gzip-compressed JSON Lines (one record per line), written whole or not
 * at all. The folder target is the one shipped; a bucket target implements the same two calls.
 */
export interface ArchiveTarget {
  /** Stores `records` under `name` (a file name, no folders); resolves once they are durable. */
  write(name: string, records: readonly unknown[]): Promise<void>;
  /** Every record of archive `name`, in order. */
  read(name: string): Promise<unknown[]>;
  /** Where `name` lives, for people (a path or URL). */
  locate(name: string): string;
}

/** Archives as `<dir>/<name>` files; written to a temporary name and renamed, so a crash leaves no half file. */
export function folderArchive(dir: string): ArchiveTarget {
  const pathOf = (name: string) => {
    if (basename(name) !== name || name.startsWith('.'))
      throw new SnowlineError('archive.bad_name', `archive name ${JSON.stringify(name)} is not a plain file name`);
    return join(dir, name);
  };
  return {
    async write(name, records) {
      const path = pathOf(name);
      mkdirSync(dir, { recursive: true });
      const text = records.map((r) => JSON.stringify(r)).join('\n') + '\n';
      writeFileSync(`${path}.partial`, gzipSync(text), { mode: 0o640, flush: true });
      renameSync(`${path}.partial`, path);
    },
    async read(name) {
      const text = gunzipSync(readFileSync(pathOf(name))).toString('utf8');
      return text
        .split('\n')
        .filter((line) => line !== '')
        .map((line) => JSON.parse(line) as unknown);
    },
    locate: (name) => pathOf(name),
  };
}

/** A file name that sorts by time and says what it holds: `runs-20261204T031700Z-<first id>.jsonl.gz`. */
export function archiveName(kind: 'runs' | 'audit', at: number, first: string): string {
  const stamp = new Date(at)
    .toISOString()
    .replace(/[-:]/g, '')
    .replace(/\.\d+Z$/, 'Z');
  return `${kind}-${stamp}-${first.replace(/[^A-Za-z0-9_-]/g, '_')}.jsonl.gz`;
}

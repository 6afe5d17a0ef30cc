import { randomUUID } from 'node:crypto';
import { open, rename, rm } from 'node:fs/promises';
import { SnowlineError } from '../errors';

/** Temp file in the same directory, flushed, then renamed over the target: readers see the old or the new file, never half of one. */
export async function writeAtomically(path: string, text: string): Promise<void> {
  // The `.tmp` suffix keeps the reloader (which loads `*.yaml`) from reading the file while it is written.
  const temp = `${path}.${process.pid}.${randomUUID().slice(0, 8)}.tmp`;
  try {
    const handle = await open(temp, 'wx');
    try {
      await handle.writeFile(text, 'utf8');
      await handle.sync();
    } finally {
      await handle.close();
    }
    await rename(temp, path);
  } catch (err) {
    await rm(temp, { force: true });
    throw new SnowlineError('rules.write_failed', `could not write ${path}: ${(err as Error).message}`, { cause: err });
  }
}

import { mkdirSync, readFileSync } from 'node:fs';
import { open, rename } from 'node:fs/promises';
import { dirname } from 'node:path';
import type { Logger } from 'winston';
import { z } from 'zod';
import { ConfigError } from '../errors';

/** How long a burst of changes may accumulate before one write, in ms. */
const WRITE_DELAY_MS = 50;

const fileSchema = z.object({
  format: z.literal('snowline-sandbox'),
  version: z.literal(1),
  servicenow: z.unknown(),
  awx: z.unknown(),
});

/** What the sandbox keeps across restarts; each part is validated by its own store when loaded. */
export type SandboxState = Omit<z.infer<typeof fileSchema>, 'format' | 'version'>;

/**
 * The JSON file that lets a practice instance survive restarts. It is read once at start and
 * rewritten shortly after each change, always whole and atomically (temporary file, fsync, rename),
 * so a crash leaves either the old or the new state, never half of one.
 */
export class StateFile {
  private snapshot: (() => SandboxState) | undefined;
  private timer: NodeJS.Timeout | undefined;
  private writing: Promise<void> = Promise.resolve();

  constructor(
    private readonly path: string,
    private readonly logger: Logger,
  ) {}

  /** The saved state, or undefined when the file does not exist yet. A damaged file stops start-up. */
  read(): SandboxState | undefined {
    let text: string;
    try {
      text = readFileSync(this.path, 'utf8');
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
      throw new ConfigError([`sandbox.persistFile: cannot read ${this.path}: ${(err as Error).message}`]);
    }
    try {
      const { servicenow, awx } = fileSchema.parse(JSON.parse(text));
      return { servicenow, awx };
    } catch (err) {
      throw new ConfigError([
        `sandbox.persistFile: ${this.path} is not a sandbox state file (${(err as Error).message})`,
      ]);
    }
  }

  /** Starts saving: `snapshot` is called for each write. */
  track(snapshot: () => SandboxState): void {
    this.snapshot = snapshot;
  }

  /** Something changed: schedules a write, coalescing bursts of changes into one. */
  markDirty(): void {
    if (this.timer || !this.snapshot) return;
    this.timer = setTimeout(() => void this.writeNow(), WRITE_DELAY_MS);
    this.timer.unref();
  }

  /** Writes a pending change at once and waits for every write to finish. */
  async flush(): Promise<void> {
    if (this.timer) await this.writeNow();
    await this.writing;
  }

  private writeNow(): Promise<void> {
    clearTimeout(this.timer);
    this.timer = undefined;
    const state = this.snapshot?.();
    if (!state) return this.writing;
    const text = JSON.stringify({ format: 'snowline-sandbox', version: 1, ...state });
    this.writing = this.writing
      .then(() => writeAtomically(this.path, text))
      .catch((err: unknown) => {
        this.logger.error('sandbox state not saved', { file: this.path, error: (err as Error).message });
      });
    return this.writing;
  }
}

async function writeAtomically(path: string, text: string): Promise<void> {
  mkdirSync(dirname(path), { recursive: true });
  const temporary = `${path}.${process.pid}.tmp`;
  const handle = await open(temporary, 'w');
  try {
    await handle.writeFile(text);
    await handle.sync();
  } finally {
    await handle.close();
  }
  await rename(temporary, path);
}

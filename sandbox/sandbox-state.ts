import { ConfigError } from '../src/errors';
import type { AwxController } from './awx/controller';
import { IN_MEMORY, SandboxDb } from './sandbox-db';
import { RecordStore } from './servicenow/record-store';
import { seedInstance } from './servicenow/seed';

/** How long a burst of controller changes may accumulate before one save, in ms. */
const CONTROLLER_SAVE_DELAY_MS = 50;

/** The instance's records and the controller's jobs, kept in the sandbox's store. */
export interface SandboxState {
  store: RecordStore;
  /** Starts keeping `controller`'s jobs: restores the saved ones and saves each change. */
  attach(controller: AwxController): void;
  /** Called by the controller after each change. */
  controllerChanged(): void;
  /** Back to the seeded instance and no jobs; record numbers and job ids continue where they were. */
  reset(): void;
  /** Saves what is pending and closes the file. */
  close(): void;
}

/**
 * Opens the sandbox's store at `path` (`:memory:` keeps it in memory). A new store is seeded with
 * the base data; an existing one is loaded as it was left.
 */
export function openSandboxState(path: string | undefined, sandboxUser: string): SandboxState {
  const db = new SandboxDb(path ?? IN_MEMORY);
  const store = new RecordStore(db);
  const seed = () => db.transaction(() => seedInstance(store, sandboxUser));
  if (db.isEmpty()) seed();
  else store.load(db.records(), db.counters());

  let controller: AwxController | undefined;
  let timer: NodeJS.Timeout | undefined;
  const saveController = () => {
    clearTimeout(timer);
    timer = undefined;
    if (controller) db.saveControllerChanges(controller.unsavedChanges());
  };
  return {
    store,
    attach(c) {
      controller = c;
      const saved = db.controllerState();
      if (saved === undefined) return;
      try {
        c.restore(saved);
      } catch (err) {
        throw new ConfigError([
          `sandbox.store: ${db.path} holds unreadable controller jobs (${(err as Error).message})`,
        ]);
      }
    },
    controllerChanged() {
      if (timer) return;
      timer = setTimeout(saveController, CONTROLLER_SAVE_DELAY_MS);
      timer.unref();
    },
    reset() {
      db.transaction(() => {
        db.clearRecords();
        store.clear();
        seedInstance(store, sandboxUser);
      });
      controller?.reset();
      saveController();
    },
    close() {
      saveController();
      db.close();
    },
  };
}

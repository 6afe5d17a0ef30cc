import type { Config } from '../config';
import { openStore, repositories, type Repositories, type Store } from '../store';
import { configOrExit } from './load-config';

/**
 * Opens the store exactly as `serve` does — the configuration file (SNOWLINE_CONFIG) and the
 * environment (SNOWLINE_DB, DATABASE_URL, SNOWLINE_DB_SCHEMA) — runs `work`, and closes it. Every
 * command that reads or writes the store goes through here, so none reads another schema than the
 * one serve writes.
 */
export async function withConfiguredStore<T>(
  work: (store: Store, repos: Repositories, config: Config) => Promise<T>,
  config: Config = configOrExit(),
): Promise<T> {
  const store = await openStore(config.store);
  try {
    return await work(store, repositories(store), config);
  } finally {
    await store.close();
  }
}

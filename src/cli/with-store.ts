import { openStore, repositories, type Repositories, type Store } from '../store';
import { configOrExit } from './load-config';

/** Opens the configured store (SQLite file or PostgreSQL) for one CLI command and closes it after. */
export async function withStore<T>(work: (store: Store, repos: Repositories) => Promise<T>): Promise<T> {
  const config = configOrExit();
  const store = await openStore({ sqlitePath: config.store.sqlitePath, postgresUrl: config.store.postgresUrl });
  try {
    return await work(store, repositories(store));
  } finally {
    await store.close();
  }
}

import type { RecordStore, RecordValues } from './record-store';

/** The sys_user row whose `user_name` is `userName` (the authenticated user of a request). */
export function userByName(store: RecordStore, userName: string): RecordValues | undefined {
  return store.list('sys_user').find((user) => user.user_name === userName);
}

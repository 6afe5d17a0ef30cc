import type { ServiceNowClient } from '../../connectors/servicenow/client';
import { fieldsOf } from '../../connectors/servicenow/dictionary';
import { identityCondition, identityValue, queryValue, rawValue } from '../../connectors/servicenow/schemas';

/**
 * What the dispatcher reads from ServiceNow besides the event: the newest work note (for
 * `/automate` commands), an agent's groups, and fields of referenced records (dot-walked
 * conditions). An interface so the dispatcher stays testable without an instance.
 */
export interface TicketLookups {
  latestWorkNote(table: string, sysId: string): Promise<{ text: string; user: string } | undefined>;
  /** Groups of a user named by user_name or sys_id; a value that is neither is refused (permanent). */
  groupsOf(userName: string): Promise<string[]>;
  /** Fields of one record; undefined when it does not exist. */
  readRecord(table: string, sysId: string, fields: readonly string[]): Promise<Record<string, string> | undefined>;
}

export interface ServiceNowLookupOptions {
  /** How long an agent's group list is trusted before it is read again. */
  groupCacheMs: number;
  now?: () => number;
}

/** Lookups against the Table API; group memberships (sys_user_grmember) are cached per user. */
export function serviceNowLookups(client: ServiceNowClient, options: ServiceNowLookupOptions): TicketLookups {
  const now = options.now ?? Date.now;
  const groups = new Map<string, { at: number; names: Promise<string[]> }>();
  return {
    async latestWorkNote(table, sysId) {
      const [entry] = await client.journalEntries(sysId, 'work_notes', { table, limit: 1 });
      return entry ? { text: entry.value, user: entry.createdBy } : undefined;
    },
    async groupsOf(userName) {
      const identity = identityValue(userName, 'user');
      const cached = groups.get(userName);
      if (cached && now() - cached.at < options.groupCacheMs) return cached.names;
      const names = client
        .query('sys_user_grmember', {
          query: identityCondition('user', identity),
          fields: ['group'],
          displayValue: true,
          limit: 500,
        })
        .then((page) => page.rows.map((row) => rawValue(row.group) ?? '').filter(Boolean));
      // A failed read is not cached: the next command asks again.
      names.catch(() => groups.delete(userName));
      groups.set(userName, { at: now(), names });
      return names;
    },
    async readRecord(table, sysId, fields) {
      try {
        const row = await client.getRecord(table, sysId, { fields });
        return Object.fromEntries(Object.entries(row).map(([k, v]) => [k, rawValue(v) ?? '']));
      } catch (err) {
        if ((err as { code?: string }).code === 'servicenow.not_found') return undefined;
        throw err;
      }
    },
  };
}

/**
 * One ticket by its number (INC0010001), with the raw values of every non-journal field the
 * dictionary knows (what conditions read); undefined when there is none. For the dry-run by number.
 */
export function ticketByNumber(
  client: ServiceNowClient,
): (table: string, number: string) => Promise<Record<string, string> | undefined> {
  return async (table, number) => {
    const fields = fieldsOf(table)
      .filter((f) => f.type !== 'journal')
      .map((f) => f.name);
    const page = await client.query(table, { query: `number=${queryValue(number)}`, fields, limit: 1 });
    const row = page.rows[0];
    return row ? Object.fromEntries(Object.entries(row).map(([k, v]) => [k, rawValue(v) ?? ''])) : undefined;
  };
}

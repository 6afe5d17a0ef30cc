/** Rows per insert when held rows are written: well below the bound values SQLite and PostgreSQL take in one statement. */
const ROWS_PER_INSERT = 500;

/**
 * Rows a repository holds back within a transaction to insert them together at its end: a
 * dispatcher's batch records a run, its steps and a journal entry per event, and each of those was
 * a statement (a round trip on PostgreSQL) of its own. Nothing may read them before they are written.
 */
export function heldRows<R>() {
  const held = new WeakMap<object, R[]>();
  return {
    /** The rows held for `trx`, when it holds them; undefined otherwise (write at once). */
    of: (trx: object): R[] | undefined => held.get(trx),
    /**
     * Runs `work` with the rows added for `trx` held, then hands them to `insert` in parts of at
     * most ROWS_PER_INSERT, still inside `trx`.
     */
    async around<T>(trx: object, work: () => Promise<T>, insert: (rows: R[]) => Promise<unknown>): Promise<T> {
      const rows: R[] = [];
      held.set(trx, rows);
      try {
        const result = await work();
        for (let i = 0; i < rows.length; i += ROWS_PER_INSERT) await insert(rows.slice(i, i + ROWS_PER_INSERT));
        return result;
      } finally {
        held.delete(trx);
      }
    },
  };
}

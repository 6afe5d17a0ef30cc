/** The two engines behind one schema: SQLite (embedded default) and PostgreSQL (several instances). */
export type StoreDialect = 'sqlite' | 'postgres';

/**
 * True when a write broke a unique constraint. Checked by code, not class: the driver's error
 * classes are not always the caller's (SQLite's native addon may be loaded once per process).
 */
export function isUniqueViolation(error: unknown): boolean {
  const code = (error as { code?: unknown } | null)?.code;
  return code === 'SQLITE_CONSTRAINT_UNIQUE' || code === 'SQLITE_CONSTRAINT_PRIMARYKEY' || code === '23505';
}

/** The two engines behind one schema: SQLite (embedded default) and PostgreSQL (several instances). */
export type StoreDialect = 'sqlite' | 'postgres';

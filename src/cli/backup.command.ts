import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import BetterSqlite3 from 'better-sqlite3';
import { Command } from 'commander';
import { configOrExit } from './load-config';

/**
 * `snowline backup FILE`: a consistent copy of the SQLite store, taken online (SQLite's backup API,
 * page by page, while the server keeps writing). PostgreSQL is backed up with its own tools.
 */
export function backupCommand(): Command {
  return new Command('backup')
    .description('copy the SQLite store to FILE while Snowline runs (PostgreSQL: use pg_dump, docs/operations.md)')
    .argument('<file>', 'where to write the copy (must not exist)')
    .action(async (file: string) => {
      const config = configOrExit();
      if (config.store.postgresUrl)
        fail('the store is PostgreSQL (DATABASE_URL): back it up with pg_dump --format=custom, see docs/operations.md');
      const source = config.store.sqlitePath;
      if (!existsSync(source)) fail(`no SQLite store at ${source} (SNOWLINE_DB)`);
      if (existsSync(file)) fail(`${file} exists; choose a new file, a backup never overwrites`);
      if (resolve(file) === resolve(source)) fail('the backup file is the store itself');
      const database = new BetterSqlite3(source, { fileMustExist: true });
      try {
        const { totalPages } = await database.backup(file);
        process.stdout.write(`backed up ${source} to ${file} (${totalPages} pages)\n`);
      } catch (err) {
        fail(`backup to ${file} failed: ${(err as Error).message}`);
      } finally {
        database.close();
      }
    });
}

function fail(message: string): never {
  process.stderr.write(`snowline backup: ${message}\n`);
  process.exit(1);
}

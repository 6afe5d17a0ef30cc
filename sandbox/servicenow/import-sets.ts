import { randomBytes } from 'node:crypto';
import { fieldsOf } from '../../connectors/servicenow/dictionary';
import { SnowlineError } from '../../src/errors';
import { InvalidTableError } from './errors/invalid-table.error';
import type { RecordStore, RecordValues } from './record-store';
import type { TableService, WriteContext } from './table-service';

/**
 * A transform map of the sandbox: staging table → target table, coalescing on one field (an
 * existing target row with the same value is updated instead of a new one inserted).
 */
interface TransformMap {
  name: string;
  table: string;
  coalesce: string;
  /** The target field shown as `display_name` / `display_value`. */
  displayField: string;
}

/** The staging tables the sandbox knows (https://www.servicenow.com/docs/r/api-reference/rest-apis/c_ImportSetAPI.html uses `imp_user` → `sys_user`). */
const TRANSFORM_MAPS: Record<string, TransformMap> = {
  imp_user: { name: 'User', table: 'sys_user', coalesce: 'user_name', displayField: 'name' },
  imp_incident: { name: 'Incident', table: 'incident', coalesce: 'correlation_id', displayField: 'number' },
  imp_computer: { name: 'Computer', table: 'cmdb_ci_computer', coalesce: 'name', displayField: 'name' },
};

/** One transformed staging row, as the Import Set API reports it. */
export interface TransformResult {
  transform_map: string;
  table: string;
  display_name: string;
  display_value: string;
  record_link: string;
  status: 'inserted' | 'updated' | 'ignored' | 'error';
  sys_id: string;
  error_message?: string;
}

/** The answer of `POST /api/now/import/{staging_table}` and of a later GET of the staging row. */
export interface ImportAnswer {
  import_set: string;
  staging_table: string;
  result: TransformResult[];
}

/**
 * docs/servicenow-behaviour.md §6.3 Import Set API: stages a row and runs its transform map — synchronously for a single
 * insert, after the answer for `insertMultiple`. Staging fields map to the target field of the
 * same name, a `u_` prefix dropped (`u_user_name` → `user_name`); unknown fields are ignored.
 * Staging rows live in memory only [sandbox choice]; the target records persist like any other.
 */
export class ImportSetService {
  private readonly staged = new Map<string, { staging: string; answer: ImportAnswer }>();
  private serial = 10000;

  constructor(
    private readonly store: RecordStore,
    private readonly service: TableService,
  ) {}

  insert(
    staging: string,
    row: Record<string, unknown>,
    ctx: WriteContext,
    baseUrl: string,
  ): { sysId: string; answer: ImportAnswer } {
    const map = this.mapOf(staging);
    const sysId = randomBytes(16).toString('hex');
    const answer: ImportAnswer = {
      import_set: this.nextImportSet(),
      staging_table: staging,
      result: [this.transform(map, row, ctx, baseUrl)],
    };
    this.staged.set(sysId, { staging, answer });
    return { sysId, answer };
  }

  /** `insertMultiple`: one import set; the transform runs after the answer [inf: response shape]. */
  insertMultiple(
    staging: string,
    rows: Record<string, unknown>[],
    ctx: WriteContext,
    baseUrl: string,
  ): { importSetId: string; rowIds: string[] } {
    const map = this.mapOf(staging);
    const importSet = this.nextImportSet();
    const rowIds = rows.map(() => randomBytes(16).toString('hex'));
    setImmediate(() => {
      rows.forEach((row, i) => {
        this.staged.set(rowIds[i]!, {
          staging,
          answer: { import_set: importSet, staging_table: staging, result: [this.transform(map, row, ctx, baseUrl)] },
        });
      });
    });
    return { importSetId: importSet, rowIds };
  }

  /** A staged row with its transform result; NotFound until the asynchronous transform ran. */
  get(staging: string, sysId: string): ImportAnswer | undefined {
    this.mapOf(staging);
    const held = this.staged.get(sysId);
    return held && held.staging === staging ? held.answer : undefined;
  }

  private mapOf(staging: string): TransformMap {
    const map = TRANSFORM_MAPS[staging];
    if (!map) throw new InvalidTableError(staging);
    return map;
  }

  private nextImportSet(): string {
    return `ISET${String(++this.serial).padStart(7, '0')}`;
  }

  private transform(
    map: TransformMap,
    row: Record<string, unknown>,
    ctx: WriteContext,
    baseUrl: string,
  ): TransformResult {
    const values = targetValues(map.table, row);
    const key = values[map.coalesce];
    const existing = key ? this.store.list(map.table).find((r) => r[map.coalesce] === key) : undefined;
    const base = { transform_map: map.name, table: map.table, display_name: map.displayField };
    try {
      let saved: RecordValues;
      let status: TransformResult['status'];
      if (existing) {
        saved = this.service.update(map.table, existing.sys_id ?? '', values, ctx);
        status = saved.sys_mod_count === existing.sys_mod_count ? 'ignored' : 'updated';
      } else {
        saved = this.service.insert(map.table, values, ctx);
        status = 'inserted';
      }
      const sysId = saved.sys_id ?? '';
      return {
        ...base,
        display_value: saved[map.displayField] ?? '',
        record_link: `${baseUrl}/api/now/table/${map.table}/${sysId}`,
        status,
        sys_id: sysId,
      };
    } catch (err) {
      if (!(err instanceof SnowlineError)) throw err;
      return { ...base, display_value: '', record_link: '', status: 'error', sys_id: '', error_message: err.message };
    }
  }
}

/** Staging values as target fields: `u_` dropped, only the target's own non-system fields, as strings. */
function targetValues(table: string, row: Record<string, unknown>): Record<string, string> {
  const known = new Set(
    fieldsOf(table)
      .map((f) => f.name)
      .filter((n) => !n.startsWith('sys_')),
  );
  const values: Record<string, string> = {};
  for (const [name, value] of Object.entries(row)) {
    const field = name.startsWith('u_') && !known.has(name) ? name.slice(2) : name;
    if (known.has(field) && value !== null && typeof value !== 'object') values[field] = String(value);
  }
  return values;
}

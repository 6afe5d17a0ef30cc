import { createHash } from 'node:crypto';
import { fieldOf, getTable, isInstanceOf } from '../../connectors/servicenow/dictionary';
import type { RecordStore, RecordValues } from './record-store';
import type { TableService, WriteContext } from './table-service';

/**
 * The Identification and Reconciliation engine behind `POST /api/now/identifyreconcile`
 * (https://www.servicenow.com/docs/r/api-reference/rest-apis/c_IdentifyReconcileAPI.html): identifies each item by its class's identifier rule, inserts or
 * updates it (or reports NO_CHANGE), then inserts the relations between the items. Per-item
 * failures go into `errors` with `errorCount`, never into the HTTP status. A dry run (`/query`)
 * reports the same operations and commits nothing.
 *
 * Identifier rules modelled (docs/servicenow-behaviour.md §4.2 "Identification"): hardware classes use "Hardware Rule" on
 * `cmdb_ci_hardware` trying `serial_number`, then `name`; `cmdb_ci_vm_instance` tries `object_id`
 * then `name` on its own class [inf]; every other class tries `name` on its own class [inf].
 * Class upgrades/switches (UPDATE_WITH_UPGRADE) are not modelled: a matched CI keeps its class.
 */

export interface IreItemInput {
  className?: unknown;
  values?: unknown;
  internal_id?: unknown;
}
export interface IreRelationInput {
  parent?: unknown;
  child?: unknown;
  parent_id?: unknown;
  child_id?: unknown;
  type?: unknown;
}
export interface IrePayload {
  items?: unknown;
  relations?: unknown;
}

export interface IreError {
  error: string;
  message: string;
}

export interface IreItemResult {
  className: string;
  operation: 'INSERT' | 'UPDATE' | 'NO_CHANGE';
  sysId?: string;
  identifierEntrySysId?: string;
  identificationAttempts: Array<{
    identifierName: string;
    attemptResult: 'MATCHED' | 'NO_MATCH' | 'SKIPPED';
    attributes: string[];
    searchOnTable: string;
    hybridEntryCiAttributes: string[];
  }>;
  markers: string[];
  inputIndices: number[];
  mergedPayloadIds: number[];
  errorCount: number;
  errors?: IreError[];
}

export interface IreRelationResult {
  className: 'cmdb_rel_ci';
  operation: 'INSERT' | 'NO_CHANGE';
  sysId?: string;
  markers: string[];
  inputIndices: number[];
  mergedPayloadIds: number[];
  errorCount: number;
  errors?: IreError[];
}

export interface IreResult {
  items: IreItemResult[];
  relations: IreRelationResult[];
  additionalCommittedItems: unknown[];
  additionalCommittedRelations: unknown[];
}

/** Thrown for a payload the API refuses as a whole (HTTP 400). */
export class IrePayloadError extends Error {}

interface IdentifierRule {
  name: string;
  searchOnTable: string;
  attributeSets: string[][];
}

function identifierRuleFor(className: string): IdentifierRule {
  if (isInstanceOf(className, 'cmdb_ci_hardware'))
    return { name: 'Hardware Rule', searchOnTable: 'cmdb_ci_hardware', attributeSets: [['serial_number'], ['name']] };
  if (className === 'cmdb_ci_vm_instance')
    return {
      name: 'Virtual Machine Instance Rule',
      searchOnTable: 'cmdb_ci_vm_instance',
      attributeSets: [['object_id'], ['name']],
    };
  return { name: 'Configuration Item Rule', searchOnTable: className, attributeSets: [['name']] };
}

/** A stable sys_id for an identifier rule's entry (the real one is a record id). */
function identifierEntrySysId(rule: IdentifierRule): string {
  return createHash('md5').update(`cmdb_identifier_entry:${rule.name}`).digest('hex');
}

function itemError(
  className: string,
  index: number,
  error: string,
  message: string,
  attempts: IreItemResult['identificationAttempts'] = [],
): IreItemResult {
  return {
    className,
    operation: 'NO_CHANGE',
    identificationAttempts: attempts,
    markers: [],
    inputIndices: [index],
    mergedPayloadIds: [],
    errorCount: 1,
    errors: [{ error, message }],
  };
}

/** Field values of an item as the store keeps them (strings), or the reason they are unusable. */
function readValues(className: string, raw: unknown): { values: Record<string, string> } | { problem: string } {
  if (!raw || typeof raw !== 'object' || Array.isArray(raw)) return { problem: 'values must be an object' };
  const values: Record<string, string> = {};
  for (const [field, value] of Object.entries(raw as Record<string, unknown>)) {
    if (field.startsWith('sys_')) return { problem: `values.${field}: system fields cannot be set` };
    if (!fieldOf(className, field)) return { problem: `values.${field}: ${className} has no such field` };
    if (value !== null && typeof value === 'object') return { problem: `values.${field}: must be a plain value` };
    values[field] = value === null || value === undefined ? '' : String(value);
  }
  return { values };
}

export class IdentifyReconcileService {
  constructor(
    private readonly store: RecordStore,
    private readonly service: TableService,
  ) {}

  run(payload: IrePayload, options: { dataSource: string; dryRun: boolean; ctx: WriteContext }): IreResult {
    if (!Array.isArray(payload.items)) throw new IrePayloadError('items must be an array');
    if (payload.relations !== undefined && !Array.isArray(payload.relations))
      throw new IrePayloadError('relations must be an array');
    const items = (payload.items as IreItemInput[]).map((item, index) => this.item(item, index, options));
    const sysIds = items.map((r) => (r.errorCount === 0 ? r.sysId : undefined));
    const internalIds = new Map<string, number>();
    (payload.items as IreItemInput[]).forEach((item, i) => {
      if (typeof item?.internal_id === 'string') internalIds.set(item.internal_id, i);
    });
    const relations = ((payload.relations as IreRelationInput[] | undefined) ?? []).map((rel, index) =>
      this.relation(rel, index, sysIds, internalIds, options),
    );
    return { items, relations, additionalCommittedItems: [], additionalCommittedRelations: [] };
  }

  private item(
    input: IreItemInput,
    index: number,
    options: { dataSource: string; dryRun: boolean; ctx: WriteContext },
  ): IreItemResult {
    const className = typeof input?.className === 'string' ? input.className : '';
    if (!getTable(className) || !isInstanceOf(className, 'cmdb_ci'))
      return itemError(
        className,
        index,
        'INVALID_INPUT_DATA',
        `className ${JSON.stringify(className)} is not a CMDB class`,
      );
    const read = readValues(className, input.values);
    if ('problem' in read) return itemError(className, index, 'INVALID_INPUT_DATA', read.problem);
    const values = read.values;

    const rule = identifierRuleFor(className);
    const attempts: IreItemResult['identificationAttempts'] = [];
    let match: RecordValues | undefined;
    for (const attributes of rule.attributeSets) {
      const attempt = {
        identifierName: rule.name,
        attributes,
        searchOnTable: rule.searchOnTable,
        hybridEntryCiAttributes: [] as string[],
      };
      if (attributes.some((a) => !values[a])) {
        attempts.push({ ...attempt, attemptResult: 'SKIPPED' });
        continue;
      }
      const found = this.store.list(rule.searchOnTable).filter((row) => attributes.every((a) => row[a] === values[a]));
      if (found.length > 1) {
        attempts.push({ ...attempt, attemptResult: 'NO_MATCH' });
        return itemError(
          className,
          index,
          'MULTIPLE_DUPLICATE_RECORDS',
          `${found.length} CIs of ${rule.searchOnTable} match ${attributes.join(', ')}`,
          attempts,
        );
      }
      if (found.length === 1) {
        attempts.push({ ...attempt, attemptResult: 'MATCHED' });
        match = found[0];
        break;
      }
      attempts.push({ ...attempt, attemptResult: 'NO_MATCH' });
    }
    if (attempts.every((a) => a.attemptResult === 'SKIPPED')) {
      return itemError(
        className,
        index,
        'MISSING_MATCHING_ATTRIBUTES',
        `the payload has none of the identifying attributes of ${rule.name} (${rule.attributeSets.map((s) => s.join('+')).join(' or ')})`,
        attempts,
      );
    }
    const base = {
      className,
      identifierEntrySysId: identifierEntrySysId(rule),
      identificationAttempts: attempts,
      markers: [],
      inputIndices: [index],
      mergedPayloadIds: [],
      errorCount: 0,
    };

    if (!match) {
      if (options.dryRun) return { ...base, operation: 'INSERT' };
      const row = this.service.insert(className, { ...values, discovery_source: options.dataSource }, options.ctx);
      return { ...base, operation: 'INSERT', sysId: row.sys_id };
    }
    const changed = Object.fromEntries(
      Object.entries(values).filter(([field, value]) => (match![field] ?? '') !== value),
    );
    if (Object.keys(changed).length === 0) return { ...base, operation: 'NO_CHANGE', sysId: match.sys_id };
    if (!options.dryRun)
      this.service.update(match.sys_class_name ?? className, match.sys_id ?? '', changed, options.ctx);
    return { ...base, operation: 'UPDATE', sysId: match.sys_id };
  }

  private relation(
    input: IreRelationInput,
    index: number,
    sysIds: Array<string | undefined>,
    internalIds: Map<string, number>,
    options: { dryRun: boolean; ctx: WriteContext },
  ): IreRelationResult {
    const base = { className: 'cmdb_rel_ci' as const, markers: [], inputIndices: [index], mergedPayloadIds: [] };
    const fail = (message: string): IreRelationResult => ({
      ...base,
      operation: 'NO_CHANGE',
      errorCount: 1,
      errors: [{ error: 'INVALID_INPUT_DATA', message }],
    });
    const end = (which: 'parent' | 'child'): number | undefined => {
      const byIndex = input?.[which];
      if (typeof byIndex === 'number') return byIndex;
      const byId = input?.[`${which}_id`];
      return typeof byId === 'string' ? internalIds.get(byId) : undefined;
    };
    const parentIndex = end('parent');
    const childIndex = end('child');
    if (parentIndex === undefined || childIndex === undefined)
      return fail('a relation needs parent and child (item indexes or internal ids)');
    const parent = sysIds[parentIndex];
    const child = sysIds[childIndex];
    const typeName = typeof input.type === 'string' ? input.type : '';
    const type = this.store.list('cmdb_rel_type').find((t) => t.name === typeName);
    if (!type) return fail(`relation type ${JSON.stringify(typeName)} does not exist`);
    // In a dry run a CI about to be inserted has no sys_id yet: its relations are new too.
    if (!parent || !child) {
      if (options.dryRun && parentIndex < sysIds.length && childIndex < sysIds.length)
        return { ...base, operation: 'INSERT', errorCount: 0 };
      return fail('the related item was not committed');
    }
    const existing = this.store
      .list('cmdb_rel_ci')
      .find((r) => r.parent === parent && r.child === child && r.type === type.sys_id);
    if (existing) return { ...base, operation: 'NO_CHANGE', sysId: existing.sys_id, errorCount: 0 };
    if (options.dryRun) return { ...base, operation: 'INSERT', errorCount: 0 };
    const row = this.service.insert('cmdb_rel_ci', { parent, child, type: type.sys_id ?? '' }, options.ctx);
    return { ...base, operation: 'INSERT', sysId: row.sys_id, errorCount: 0 };
  }
}

import { Router, type Request } from 'express';
import { isInstanceOf } from '../../../connectors/servicenow/dictionary';
import { NotFoundError, ValidationError } from '../../../src/errors';
import { findRecords } from '../record-query';
import type { RecordValues } from '../record-store';
import { renderRecord, type FieldView } from '../record-view';
import type { WriteContext } from '../table-service';
import { bodyRecord, paramsOf, sendPage, viewContext, type NowApiDeps } from './now-api';
import { requestUser } from './request-guards';

type Direction = 'outbound_relations' | 'inbound_relations';
interface RelationInput {
  target: string;
  type: string;
}

/**
 * CMDB Instance API (https://www.servicenow.com/docs/r/api-reference/rest-apis/cmdb-instance-api.html):
 * `GET /{class}` lists `{sys_id, name}`; `GET /{class}/{sys_id}` gives `attributes` (every column of
 * the class and its ancestors) with `outbound_relations` (this CI is the parent in `cmdb_rel_ci`)
 * and `inbound_relations` (it is the child); `POST /{class}` creates a CI with relations;
 * `POST /{class}/{sys_id}/relation` adds relations; `DELETE …/relation/{rel_sys_id}` removes one.
 */
export function cmdbInstanceRouter(deps: NowApiDeps): Router {
  const router = Router();
  const ctx = (locals: Record<string, unknown>): WriteContext => ({
    user: requestUser(locals),
    inputDisplayValue: false,
  });
  const ci = (req: Request) => {
    const cls = cmdbClass(deps, String(req.params.class));
    return { cls, row: deps.service.get(cls, String(req.params.sys_id)) };
  };

  router.get('/:class', (req, res) => {
    const cls = cmdbClass(deps, String(req.params.class));
    const params = paramsOf(deps, req);
    const rows = findRecords(deps.store, cls, { encodedQuery: params.query, nameValues: {} }, { now: deps.now() });
    sendPage(deps, req, res, rows, params, (row) => ({ sys_id: row.sys_id ?? '', name: row.name ?? '' }));
  });
  router.post('/:class', (req, res) => {
    const cls = cmdbClass(deps, String(req.params.class));
    const body = bodyRecord(req);
    const relations = relationsOf(deps, body);
    const attributes = objectOf(body.attributes, 'attributes');
    const row = deps.service.insert(cls, attributes, ctx(res.locals));
    addRelations(deps, row.sys_id ?? '', relations, ctx(res.locals));
    res.status(201).json({ result: instanceView(deps, req, cls, row) });
  });
  router.get('/:class/:sys_id', (req, res) => {
    const { cls, row } = ci(req);
    res.json({ result: instanceView(deps, req, cls, row) });
  });
  router.post('/:class/:sys_id/relation', (req, res) => {
    const { cls, row } = ci(req);
    addRelations(deps, row.sys_id ?? '', relationsOf(deps, bodyRecord(req)), ctx(res.locals));
    res.json({ result: instanceView(deps, req, cls, row) });
  });
  router.delete('/:class/:sys_id/relation/:rel_sys_id', (req, res) => {
    const { row } = ci(req);
    const relation = deps.store.get('cmdb_rel_ci', String(req.params.rel_sys_id));
    if (!relation || (relation.parent !== row.sys_id && relation.child !== row.sys_id))
      throw new NotFoundError('relation', String(req.params.rel_sys_id));
    deps.service.delete('cmdb_rel_ci', relation.sys_id ?? '');
    // The documented success status; the answer has no body.
    res.status(200).end();
  });
  return router;
}

/** The class of the path: a table of the instance that extends cmdb_ci. */
function cmdbClass(deps: NowApiDeps, cls: string): string {
  deps.service.requireTable(cls);
  if (!isInstanceOf(cls, 'cmdb_ci'))
    throw new ValidationError('className', [{ path: 'className', message: `${cls} is not a CMDB class (cmdb_ci)` }]);
  return cls;
}

function objectOf(value: unknown, path: string): Record<string, unknown> {
  if (value === undefined) return {};
  if (typeof value !== 'object' || value === null || Array.isArray(value))
    throw new ValidationError('request body', [{ path, message: 'expected a JSON object' }]);
  return value as Record<string, unknown>;
}

/** Both relation lists of a body, each target an existing CI and each type an existing relation type. */
function relationsOf(deps: NowApiDeps, body: Record<string, unknown>): Record<Direction, RelationInput[]> {
  const read = (direction: Direction): RelationInput[] => {
    const list = body[direction] ?? [];
    if (!Array.isArray(list))
      throw new ValidationError('request body', [{ path: direction, message: 'expected an array' }]);
    return list.map((item: unknown, index) => {
      const { target, type } = objectOf(item, `${direction}.${index}`);
      const problems = [
        typeof target === 'string' && deps.store.get('cmdb_ci', target) ? undefined : 'target: not the sys_id of a CI',
        typeof type === 'string' && deps.store.get('cmdb_rel_type', type)
          ? undefined
          : 'type: not the sys_id of a cmdb_rel_type',
      ].filter((p): p is string => p !== undefined);
      if (problems.length > 0)
        throw new ValidationError(
          'request body',
          problems.map((message) => ({ path: `${direction}.${index}.${message.split(':')[0]}`, message })),
        );
      return { target: target as string, type: type as string };
    });
  };
  return { outbound_relations: read('outbound_relations'), inbound_relations: read('inbound_relations') };
}

function addRelations(
  deps: NowApiDeps,
  sysId: string,
  relations: Record<Direction, RelationInput[]>,
  ctx: WriteContext,
) {
  for (const { target, type } of relations.outbound_relations)
    deps.service.insert('cmdb_rel_ci', { parent: sysId, child: target, type }, ctx);
  for (const { target, type } of relations.inbound_relations)
    deps.service.insert('cmdb_rel_ci', { parent: target, child: sysId, type }, ctx);
}

/** `{attributes, outbound_relations, inbound_relations}` as the documented sample shows them. */
function instanceView(deps: NowApiDeps, req: Request, cls: string, row: RecordValues) {
  const baseUrl = deps.baseUrl(req);
  const all = renderRecord(viewContext(deps, req), cls, row, {
    displayValue: 'all',
    excludeReferenceLink: false,
  });
  // References keep {display_value, link, value}; every other column is its raw string.
  const attributes = Object.fromEntries(Object.entries(all).map(([name, view]) => [name, plainUnlessReference(view)]));
  const relation = (rel: RecordValues, target: string) => {
    const type = deps.store.get('cmdb_rel_type', rel.type ?? '');
    const other = deps.store.get('cmdb_ci', target);
    return {
      sys_id: rel.sys_id ?? '',
      type: {
        display_value: type?.name ?? '',
        link: `${baseUrl}/api/now/table/cmdb_rel_type/${rel.type}`,
        value: rel.type ?? '',
      },
      target: {
        display_value: other?.name ?? '',
        link: `${baseUrl}/api/now/cmdb/instance/cmdb_ci/${target}`,
        value: target,
      },
    };
  };
  const rels = deps.store.list('cmdb_rel_ci');
  return {
    outbound_relations: rels.filter((r) => r.parent === row.sys_id).map((r) => relation(r, r.child ?? '')),
    attributes,
    inbound_relations: rels.filter((r) => r.child === row.sys_id).map((r) => relation(r, r.parent ?? '')),
  };
}

function plainUnlessReference(view: FieldView): FieldView {
  if (typeof view === 'string' || view.link !== undefined) return view;
  return view.value ?? '';
}

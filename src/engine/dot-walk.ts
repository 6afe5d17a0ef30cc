import { fieldOf } from '../../connectors/servicenow/dictionary';
import { SnowlineError } from '../errors';
import type { TicketLookups } from './ticket-lookups';

/**
 * Adds the dot-walked values conditions read (`caller_id.vip`, `cmdb_ci.support_group.name`) to an
 * event record, under their dotted names. Values the event already carries are kept; each
 * referenced record is read once per event, with every field the paths need from it.
 */
export async function resolveDotWalks(
  table: string,
  record: Record<string, string>,
  paths: readonly string[],
  lookups: TicketLookups,
): Promise<Record<string, string>> {
  const result = { ...record };
  const missing = paths.filter((p) => result[p] === undefined);
  await walk(table, result, '', tree(missing), lookups, result);
  return result;
}

type PathTree = Map<string, PathTree>;

function tree(paths: readonly string[]): PathTree {
  const root: PathTree = new Map();
  for (const path of paths) {
    let node = root;
    for (const segment of path.split('.')) {
      if (!node.has(segment)) node.set(segment, new Map());
      node = node.get(segment)!;
    }
  }
  return root;
}

async function walk(
  table: string,
  values: Record<string, string>,
  prefix: string,
  node: PathTree,
  lookups: TicketLookups,
  out: Record<string, string>,
): Promise<void> {
  for (const [segment, children] of node) {
    if (children.size === 0) continue;
    const field = fieldOf(table, segment);
    const sysId = values[segment] ?? '';
    const path = `${prefix}${segment}`;
    if (!field?.reference || sysId === '') continue;
    // A reference holds a sys_id; anything else (a name, a script, a query) is bad data for good.
    if (!/^[0-9a-f]{32}$/.test(sysId))
      throw new SnowlineError(
        'ticket.bad_reference',
        `${path}: expected a sys_id of ${field.reference} (32 lowercase hex characters), got ${JSON.stringify(sysId.slice(0, 80))}`,
        { details: { field: path, value: sysId.slice(0, 200) } },
      );
    const referenced = (await lookups.readRecord(field.reference, sysId, [...children.keys()])) ?? {};
    for (const child of children.keys()) out[`${path}.${child}`] = referenced[child] ?? '';
    await walk(field.reference, referenced, `${path}.`, children, lookups, out);
  }
}

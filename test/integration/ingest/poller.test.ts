import { ServiceNowClient, type QueryOptions, type QueryPage } from '../../../connectors/servicenow/client';
import { createIntake } from '../../../src/ingest/intake';
import { createPoller, keysetQuery } from '../../../src/ingest/poller';
import { silentLogger } from '../../../src/observability/logger';
import { createMetrics } from '../../../src/observability/metrics';
import { evaluateQuery, parseEncodedQuery } from '../../../src/rules/encoded-query';
import { createSandbox, type Sandbox } from '../../../sandbox/server';
import { ENGINES, openTestStore, type TestStore } from '../../helpers/stores';

/**
 * The Table API poller (issue "no missed or repeated events"): keyset paging on
 * (sys_updated_on, sys_id), a persisted watermark with an overlap window, dedup through the inbox
 * key. The instance here is a small in-memory table answering `query` with the project's own
 * encoded-query evaluator (https://www.servicenow.com/docs/r/platform-user-interface/c_EncodedQueryStrings.html), so tests control sys_updated_on exactly.
 */
interface Row {
  sys_id: string;
  number: string;
  sys_mod_count: string;
  sys_created_on: string;
  sys_updated_on: string;
  sys_updated_by: string;
  short_description: string;
}

class FakeIncidents {
  rows: Row[] = [];
  queries: string[] = [];
  /** Called after each page is cut, before it is returned: records may change "between pages". */
  afterPage: (n: number) => void = () => {};
  private serial = 0;

  add(updatedOn: string): Row {
    this.serial++;
    const row: Row = {
      sys_id: this.serial.toString(16).padStart(32, 'a'),
      number: `INC${String(10000 + this.serial).padStart(7, '0')}`,
      sys_mod_count: '0',
      sys_created_on: updatedOn,
      sys_updated_on: updatedOn,
      sys_updated_by: 'abel.tuter',
      short_description: `incident ${this.serial}`,
    };
    this.rows.push(row);
    return row;
  }

  update(row: Row, updatedOn: string): void {
    row.sys_mod_count = String(Number(row.sys_mod_count) + 1);
    row.sys_updated_on = updatedOn;
  }

  /** docs/servicenow-behaviour.md §1.2/§1.3: the query, its ORDERBY, limit and offset, X-Total-Count of all matches. */
  async query(_table: string, options: QueryOptions = {}): Promise<QueryPage> {
    const orders = (Array.isArray(options.orderBy) ? options.orderBy : [options.orderBy])
      .filter(Boolean)
      .map((o) => o!.field);
    expect(orders).toEqual(['sys_updated_on', 'sys_id']);
    this.queries.push(options.query ?? '');
    const parsed = parseEncodedQuery(options.query ?? '');
    expect(parsed.problems).toEqual([]);
    const matched = this.rows
      .filter((r) =>
        evaluateQuery(parsed.query, {
          read: (path) => ({ value: (r as unknown as Record<string, string>)[path] ?? '' }),
        }),
      )
      .sort((a, b) => a.sys_updated_on.localeCompare(b.sys_updated_on) || a.sys_id.localeCompare(b.sys_id));
    const offset = options.offset ?? 0;
    const limit = options.limit ?? 10000;
    const page = matched.slice(offset, offset + limit).map((r) => ({ ...r }));
    this.afterPage(this.queries.length);
    return { rows: page, total: matched.length, hasNext: undefined, offset, limit };
  }
}

describe.each(ENGINES)('Table API poller on %s', (engine) => {
  let t: TestStore;
  let table: FakeIncidents;
  let clock: number;

  beforeEach(async () => {
    t = await openTestStore(engine);
    table = new FakeIncidents();
    clock = Date.parse('2026-03-01T12:00:00Z');
  });
  afterEach(() => t.close());

  function poller(options: { overlapSeconds?: number; pageSize?: number } = {}) {
    const metrics = createMetrics();
    const intake = createIntake({ inbox: t.repos.inbox, metrics, onAccepted: () => {} });
    return createPoller({
      client: table,
      intake,
      watermarks: t.repos.watermarks,
      logger: silentLogger(),
      metrics,
      tables: ['incident'],
      overlapSeconds: options.overlapSeconds ?? 5,
      pageSize: options.pageSize ?? 2,
      now: () => clock,
    });
  }
  async function inboxKeys(): Promise<string[]> {
    return (await t.repos.inbox.pending(10000)).map((e) => e.event_key).sort();
  }
  const key = (row: Row) => `incident:${row.sys_id}:${row.sys_mod_count}`;

  it('a record updated while the poll pages is neither skipped nor makes the next row skipped', async () => {
    const rows = ['11:30:01', '11:30:02', '11:30:03', '11:30:04', '11:30:05', '11:30:06'].map((s) =>
      table.add(`2026-03-01 ${s}`),
    );
    // After the first page (rows 1 and 2), row 1 is updated: it moves to the end of the order.
    // With offset paging, page 2 would start at row 4 and row 3 would be lost.
    table.afterPage = (n) => {
      if (n === 1) table.update(rows[0]!, '2026-03-01 11:59:00');
    };
    const p = poller();
    await p.pollOnce();
    const keys = await inboxKeys();
    for (const row of rows.slice(1)) expect(keys).toContain(key(row));
    expect(keys).toContain(key(rows[0]!));
    expect(keys).toHaveLength(7);
    expect(await t.repos.watermarks.get('poll:incident')).toBe('2026-03-01 11:59:00');
  });

  it('same-second updates after the watermark are found even with no overlap: another record, and another version of a seen one', async () => {
    const first = table.add('2026-03-01 11:40:00');
    const p = poller({ overlapSeconds: 0 });
    expect(await p.pollOnce()).toBe(1);
    expect(await t.repos.watermarks.get('poll:incident')).toBe('2026-03-01 11:40:00');
    // Committed after the poll, but stamped with the same second.
    const second = table.add('2026-03-01 11:40:00');
    table.update(first, '2026-03-01 11:40:00');
    expect(await p.pollOnce()).toBe(2);
    expect(await inboxKeys()).toEqual([`incident:${first.sys_id}:0`, `incident:${first.sys_id}:1`, key(second)].sort());
  });

  it('clock skew: a row stamped before the watermark by a lagging node is found inside the overlap window, and only inside it', async () => {
    table.add('2026-03-01 11:50:00');
    const p = poller({ overlapSeconds: 5 });
    await p.pollOnce();
    const lagging = table.add('2026-03-01 11:49:57');
    expect(await p.pollOnce()).toBe(1);
    expect(await inboxKeys()).toContain(key(lagging));
    const tooLate = table.add('2026-03-01 11:49:50');
    expect(await p.pollOnce()).toBe(0);
    expect(await inboxKeys()).not.toContain(key(tooLate));
  });

  it('more same-second rows than a page holds: all read, each page asks for what sorts after the last row', async () => {
    const rows = Array.from({ length: 5 }, () => table.add('2026-03-01 11:45:00'));
    await poller({ pageSize: 2 }).pollOnce();
    expect(await inboxKeys()).toEqual(rows.map(key).sort());
    expect(table.queries).toHaveLength(3);
    expect(table.queries[1]).toBe(
      `sys_updated_on>2026-03-01 11:45:00^NQsys_updated_on=2026-03-01 11:45:00^sys_id>${rows[1]!.sys_id}`,
    );
  });

  it('a repeated poll adds nothing (dedup by table:sys_id:sys_mod_count), and catches up after downtime from the persisted watermark', async () => {
    const early = Array.from({ length: 3 }, (_, i) => table.add(`2026-03-01 11:10:0${i}`));
    const p = poller();
    expect(await p.pollOnce()).toBe(3);
    expect(await p.pollOnce()).toBe(0);
    // "Downtime": many records change; a new poller (after a restart) starts from the stored watermark.
    clock += 6 * 3600 * 1000;
    const later = Array.from({ length: 9 }, (_, i) => table.add(`2026-03-01 14:00:0${i}`));
    table.update(early[0]!, '2026-03-01 15:00:00');
    expect(await poller().pollOnce()).toBe(10);
    expect(await inboxKeys()).toHaveLength(13);
    for (const row of later) expect(await inboxKeys()).toContain(key(row));
  });

  it('a poll cut short by an error keeps what it read: the watermark stands at the last full page and the next poll resumes', async () => {
    Array.from({ length: 6 }, (_, i) => table.add(`2026-03-01 11:20:0${i}`));
    const failing = table.query.bind(table);
    let calls = 0;
    table.query = async (...args) => {
      if (++calls === 2) throw new Error('instance unavailable');
      return failing(...args);
    };
    const p = poller();
    await expect(p.pollOnce()).rejects.toThrow('instance unavailable');
    expect(await inboxKeys()).toHaveLength(2);
    expect(await t.repos.watermarks.get('poll:incident')).toBe('2026-03-01 11:20:01');
    await p.pollOnce();
    expect(await inboxKeys()).toHaveLength(6);
  });
});

describe('keysetQuery', () => {
  it('first page: everything since; later pages: (updated, sys_id) strictly after the cursor, as two ^NQ groups', () => {
    expect(keysetQuery('2026-01-01 00:00:00', undefined)).toBe('sys_updated_on>=2026-01-01 00:00:00');
    const q = keysetQuery('2026-01-01 00:00:00', { updatedOn: '2026-01-01 00:00:05', sysId: 'b'.repeat(32) });
    const parsed = parseEncodedQuery(q);
    expect(parsed.problems).toEqual([]);
    const at = (updated: string, id: string) =>
      evaluateQuery(parsed.query, { read: (p) => ({ value: p === 'sys_updated_on' ? updated : id }) });
    expect(at('2026-01-01 00:00:05', 'b'.repeat(32))).toBe(false);
    expect(at('2026-01-01 00:00:05', 'c'.repeat(32))).toBe(true);
    expect(at('2026-01-01 00:00:04', 'f'.repeat(32))).toBe(false);
    expect(at('2026-01-01 00:00:06', '0'.repeat(32))).toBe(true);
  });
});

describe('poller against the sandbox Table API', () => {
  let sandbox: Sandbox;
  let client: ServiceNowClient;
  let t: TestStore;
  beforeAll(async () => {
    sandbox = createSandbox({
      user: 'admin',
      password: 'admin',
      awxToken: 'sandbox',
      webhookSecret: 'x'.repeat(32),
      webhooksEnabled: false,
      jobDurationMs: 30,
      logger: silentLogger(),
    });
    const { url } = await sandbox.listen(0);
    client = new ServiceNowClient({ url, auth: { type: 'basic', username: 'admin', password: 'admin' } });
    t = await openTestStore('sqlite');
  });
  afterAll(async () => {
    await client.close();
    await sandbox.close();
    await t.close();
  });

  it('pages in keyset order over the wire: every incident once, also when one is updated between pages', async () => {
    const created: Record<string, unknown>[] = [];
    for (let i = 0; i < 7; i++)
      created.push(await client.insert('incident', { short_description: `poll ${i}` }, { fields: ['sys_id'] }));
    let pages = 0;
    const wrapped = {
      async query(table: string, options: QueryOptions) {
        const page = await client.query(table, options);
        if (++pages === 1)
          await client.update('incident', String(created[0]!.sys_id), { short_description: 'poll 0 (edited)' });
        return page;
      },
    };
    const metrics = createMetrics();
    const intake = createIntake({ inbox: t.repos.inbox, metrics, onAccepted: () => {} });
    const p = createPoller({
      client: wrapped,
      intake,
      watermarks: t.repos.watermarks,
      logger: silentLogger(),
      metrics,
      tables: ['incident'],
      overlapSeconds: 5,
      pageSize: 3,
    });
    await p.pollOnce();
    const polled = new Set((await t.repos.inbox.pending(1000)).map((e) => e.sys_id));
    for (const row of created) expect(polled).toContain(String(row.sys_id));
  });
});

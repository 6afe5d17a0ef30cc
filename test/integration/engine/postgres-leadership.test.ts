import pg from 'pg';
import { createPostgresLeadership } from '../../../src/engine/postgres-leadership';
import { silentLogger } from '../../../src/observability/logger';
import { postgresConnection } from '../../../src/store/database';
import { openTestStore, TEST_POSTGRES_URL, type TestStore } from '../../helpers/stores';

const CHECK_MS = 50;

async function eventually(probe: () => boolean | Promise<boolean>, what: string, timeoutMs = 5000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await probe())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting until ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

describe('leadership of scheduled jobs on PostgreSQL', () => {
  let t: TestStore;
  const started: { stop(): Promise<void> }[] = [];

  const instance = async (schema = t.options.postgresSchema) => {
    const leadership = createPostgresLeadership({
      connection: postgresConnection(TEST_POSTGRES_URL, schema),
      checkMs: CHECK_MS,
      logger: silentLogger(),
    });
    started.push(leadership);
    await leadership.start();
    return leadership;
  };

  /** The database session holding this schema's leader lock, as the server sees it. */
  const leaderBackend = async (): Promise<number | undefined> => {
    const admin = new pg.Client(postgresConnection(TEST_POSTGRES_URL, t.options.postgresSchema));
    await admin.connect();
    try {
      const { rows } = await admin.query<{ pid: number }>(
        `SELECT pid FROM pg_locks WHERE locktype = 'advisory' AND granted AND classid = $1 AND objid = hashtext(current_schema())::oid`,
        [0x536e6f77],
      );
      return rows[0]?.pid;
    } finally {
      await admin.end();
    }
  };

  beforeEach(async () => {
    t = await openTestStore('postgres');
  });
  afterEach(async () => {
    await Promise.all(started.splice(0).map((l) => l.stop()));
    await t.close();
  });

  it('lets exactly one of two instances lead', async () => {
    const [a, b] = [await instance(), await instance()];
    await new Promise((r) => setTimeout(r, CHECK_MS * 4));
    expect([a.isLeader(), b.isLeader()].sort()).toEqual([false, true]);
  });

  it('hands leadership to the other instance when the leader stops', async () => {
    const first = await instance();
    const second = await instance();
    expect(first.isLeader()).toBe(true);
    await first.stop();
    expect(first.isLeader()).toBe(false);
    await eventually(() => second.isLeader(), 'the second instance leads');
  });

  it('takes leadership from a leader whose database connection was killed, and the old leader steps down', async () => {
    const first = await instance();
    const second = await instance();
    expect(first.isLeader()).toBe(true);
    const pid = await leaderBackend();
    expect(pid).toBeDefined();
    const admin = new pg.Client({ connectionString: TEST_POSTGRES_URL });
    await admin.connect();
    await admin.query('SELECT pg_terminate_backend($1)', [pid]);
    await admin.end();
    await eventually(() => second.isLeader() && !first.isLeader(), 'the second instance leads alone');
    // The first instance reconnects as a follower, never as a second leader.
    await new Promise((r) => setTimeout(r, CHECK_MS * 4));
    expect([first.isLeader(), second.isLeader()]).toEqual([false, true]);
  });

  it('elects one leader per schema: deployments sharing a database do not block each other', async () => {
    const other = await openTestStore('postgres');
    try {
      const here = await instance();
      const there = await instance(other.options.postgresSchema);
      expect([here.isLeader(), there.isLeader()]).toEqual([true, true]);
    } finally {
      await other.close();
    }
  });
});

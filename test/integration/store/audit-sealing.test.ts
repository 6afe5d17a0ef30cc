import { openStore, repositories } from '../../../src/store';
import { ENGINES, openTestStore, type TestStore } from '../../helpers/stores';

/**
 * The audit journal takes entries inside their decisions' transactions without a lock, and chains
 * them in batches (audit.repository `seal`). These are the promises an operator relies on: nothing
 * decided is missing from what they read, several instances never fork the chain, and one
 * instance's open transaction never holds up another's decisions.
 */
describe.each(ENGINES)('audit sealing on %s', (engine) => {
  let t: TestStore;
  beforeEach(async () => {
    t = await openTestStore(engine);
  });
  afterEach(async () => t.close());

  const entry = (n: number) => ({ kind: 'run.started', actor: 'snowline', subject: `INC${n}`, detail: { n } });

  it('shows a committed entry to readers at once, before any sealer ran', async () => {
    await t.store.db.transaction().execute((trx) => t.repos.audit.append(trx, entry(1), 1_000));
    expect(await t.repos.audit.list({ subject: 'INC1', limit: 10 })).toEqual([
      expect.objectContaining({ seq: 1, kind: 'run.started', subject: 'INC1', at: 1_000 }),
    ]);
    expect(await t.repos.audit.head()).toMatchObject({ seq: 1 });
  });

  it('chains entries appended and sealed by several instances at once into one unbroken journal', async () => {
    // Three handles on one store, as three instances have on PostgreSQL; SQLite serves one
    // instance, whose loops append and seal at once.
    const others = engine === 'postgres' ? await Promise.all([1, 2].map(() => openStore(t.options))) : [];
    const instances = [t.repos, ...others.map((store) => repositories(store))];
    const stores = [t.store, ...others];
    while (instances.length < 3) {
      instances.push(t.repos);
      stores.push(t.store);
    }
    try {
      await Promise.all(
        instances.map(async (repos, i) => {
          for (let n = 0; n < 40; n++) {
            await stores[i]!.db.transaction().execute((trx) => repos.audit.append(trx, entry(i * 100 + n), 1_000 + n));
            if (n % 7 === 0) await repos.audit.seal(false);
          }
        }),
      );
      await Promise.all(instances.map((repos) => repos.audit.seal()));
      expect(await t.repos.audit.verify()).toEqual({ ok: true, entries: 120 });
      const subjects = (await t.repos.audit.list({ limit: 1000 })).map((e) => e.subject);
      expect(new Set(subjects).size).toBe(120);
    } finally {
      await Promise.all(others.map((store) => store.close()));
    }
  });

  if (engine === 'postgres')
    it("does not hold one instance's decision behind another's open transaction", async () => {
      const other = await openStore(t.options);
      const otherRepos = repositories(other);
      let release!: () => void;
      const held = new Promise<void>((r) => (release = r));
      try {
        // Instance A appends and keeps its transaction open (a slow decision).
        const slow = t.store.db.transaction().execute(async (trx) => {
          await t.repos.audit.append(trx, entry(1), 1_000);
          await held;
        });
        await new Promise((r) => setTimeout(r, 100));
        // Instance B's decision commits meanwhile: appends take no chain lock.
        const quick = other.db.transaction().execute((trx) => otherRepos.audit.append(trx, entry(2), 1_001));
        const outcome = await Promise.race([
          quick.then(() => 'committed'),
          new Promise((r) => setTimeout(() => r('blocked'), 5_000)),
        ]);
        release();
        await slow;
        expect(outcome).toBe('committed');
        expect(await t.repos.audit.verify()).toEqual({ ok: true, entries: 2 });
      } finally {
        release();
        await other.close();
      }
    });

  it('chains on from the checkpoint when retention cut every entry', async () => {
    for (let n = 1; n <= 3; n++)
      await t.store.db.transaction().execute((trx) => t.repos.audit.append(trx, entry(n), n));
    const head = (await t.repos.audit.head())!;
    await t.repos.retention.cutAudit({
      seq: head.seq,
      hash: head.hash,
      journal: head.journal,
      cut_at: 10,
      archive: 'x',
    });
    await t.store.db.transaction().execute((trx) => t.repos.audit.append(trx, entry(4), 11));
    expect(await t.repos.audit.verify()).toEqual({ ok: true, entries: 1 });
    expect(await t.repos.audit.head()).toMatchObject({ seq: 4, journal: head.journal });
  });
});

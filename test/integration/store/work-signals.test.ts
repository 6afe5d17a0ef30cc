import { silentLogger } from '../../../src/observability/logger';
import { openStore } from '../../../src/store';
import { workSignalsFor, type WorkKind, type WorkSignals } from '../../../src/store/work-signals';
import { openTestStore, type TestStore } from '../../helpers/stores';

/** Instances on one PostgreSQL schema wake each other through LISTEN/NOTIFY; other schemas hear nothing. */
describe('work signals on postgres', () => {
  const opened: { close(): Promise<void> }[] = [];
  afterEach(async () => {
    for (const o of opened.reverse()) await o.close();
    opened.length = 0;
  });

  const instanceOn = async (t: TestStore) => {
    const store = await openStore(t.options);
    const signals = workSignalsFor(store, t.options, silentLogger());
    const heard: WorkKind[] = [];
    signals.onSignal((kind) => heard.push(kind));
    opened.push(store, signals);
    return { signals, heard };
  };
  const listening = (signals: WorkSignals) => new Promise((r) => setTimeout(r, 500, signals));
  const until = async (check: () => boolean, ms = 5_000) => {
    for (const end = Date.now() + ms; Date.now() < end && !check();) await new Promise((r) => setTimeout(r, 20));
    return check();
  };

  it("wakes the other instances of its deployment with the kind of work, once for a burst, and no one else's", async () => {
    const t = await openTestStore('postgres');
    const elsewhere = await openTestStore('postgres');
    opened.push(t, elsewhere);
    const [a, b, stranger] = [await instanceOn(t), await instanceOn(t), await instanceOn(elsewhere)];
    await listening(a.signals);

    for (let i = 0; i < 50; i++) a.signals.notify('inbox');
    a.signals.notify('outbox');
    expect(await until(() => b.heard.includes('inbox') && b.heard.includes('outbox'))).toBe(true);
    await new Promise((r) => setTimeout(r, 300));
    expect(b.heard.filter((k) => k === 'inbox').length).toBeLessThan(5);
    expect(stranger.heard).toEqual([]);
    // Its own loops were woken when it signalled: hearing itself would only make them claim again for nothing.
    expect(a.heard).toEqual([]);
  });
});

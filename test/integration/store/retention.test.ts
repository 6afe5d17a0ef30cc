import { mkdtempSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { silentLogger } from '../../../src/observability/logger';
import { folderArchive } from '../../../src/retention/archive';
import { createRetention } from '../../../src/retention/retention';
import { checkAgainstAnchors, createAnchorWriter } from '../../../src/security/audit-anchor';
import type { RunRecord } from '../../../src/store/retention.repository';
import { writeHistory, type HistoryRun } from '../../bench/history';
import { ENGINES, openTestStore, type TestStore } from '../../helpers/stores';

const DAY = 86_400_000;
const NOW = Date.parse('2026-12-04T12:00:00Z');

const run = (id: string, ticket: string, ageDays: number, output?: object): HistoryRun => ({
  id,
  rule: 'restart-service',
  ticket,
  state: 'succeeded',
  createdAt: NOW - ageDays * DAY,
  steps: [
    {
      name: 'restart',
      connector: 'ansible',
      action: 'launch_job_template',
      state: 'succeeded',
      durationMs: 1000,
      result: output ?? { job: 1, stdout_tail: 'PLAY RECAP ok=3' },
    },
  ],
  approval: { actor: 'alice', decision: 'approved', afterMs: 500 },
});

describe.each(ENGINES)('retention on %s', (engine) => {
  jest.setTimeout(60_000);
  let t: TestStore;
  let dir: string;
  let anchors: { file: string; key: string };
  const retentionWith = (days: Record<string, number>) =>
    createRetention({
      config: { schedule: '0 0 3 * * *', batchSize: 2, archive: { dir: join(dir, 'archive') }, ...days },
      retention: t.repos.retention,
      audit: t.repos.audit,
      archive: folderArchive(join(dir, 'archive')),
      anchors,
      logger: silentLogger(),
      now: () => NOW,
    });
  const appendAudit = async (subject: string, at: number) =>
    t.store.db
      .transaction()
      .execute((trx) => t.repos.audit.append(trx, { kind: 'run.retried', actor: 'bob', subject, detail: {} }, at));

  beforeEach(async () => {
    t = await openTestStore(engine);
    dir = mkdtempSync(join(tmpdir(), 'retention-'));
    anchors = { file: join(dir, 'audit-anchors.jsonl'), key: 'retention-test-anchor-key-0123456789' };
    await writeHistory(t.store, {
      runs: [run('old-1', 'INC0000001', 120), run('old-2', 'INC0000001', 100), run('old-3', 'INC0000002', 95)],
    });
    await writeHistory(t.store, { runs: [run('new-1', 'INC0000003', 2)] });
    for (let i = 0; i < 5; i++) await appendAudit(`INC${i}`, NOW - (100 - i) * DAY);
    for (let i = 0; i < 3; i++) await appendAudit(`INC${i}`, NOW - (3 - i) * DAY);
    await createAnchorWriter(t.repos.audit, anchors, silentLogger())(NOW - DAY);
  });
  afterEach(() => t.close());

  it('a dry run counts what is past its retention and changes nothing', async () => {
    const outcome = await retentionWith({ runsDays: 90, auditDays: 30, controllerOutputDays: 1 }).run({
      dryRun: true,
    });
    expect(outcome).toMatchObject({ dryRun: true, runs: 3, auditEntries: 5, controllerOutputs: 4, archives: [] });
    expect(await t.store.db.selectFrom('runs').select('id').execute()).toHaveLength(4);
    expect(await t.repos.audit.verify()).toEqual({ ok: true, entries: 8 });
  });

  it('archives old runs with their steps and approvals before deleting them; they stay findable by ticket', async () => {
    const outcome = await retentionWith({ runsDays: 90 }).run();
    expect(outcome.runs).toBe(3);
    // Batches of two: two archive files.
    expect(readdirSync(join(dir, 'archive')).sort()).toEqual(outcome.archives.sort());
    expect(outcome.archives).toHaveLength(2);
    expect((await t.store.db.selectFrom('runs').select('id').execute()).map((r) => r.id)).toEqual(['new-1']);
    expect(await t.store.db.selectFrom('approvals').select('run_id').execute()).toEqual([{ run_id: 'new-1' }]);

    const found = await t.repos.retention.findArchived('INC0000001');
    expect(found.map((f) => f.run_id)).toEqual(['old-2', 'old-1']);
    const archived = (await folderArchive(join(dir, 'archive')).read(found[0]!.archive)) as RunRecord[];
    const record = archived.find((r) => r.run.id === 'old-2')!;
    expect(record.steps).toEqual([
      expect.objectContaining({ name: 'restart', result: expect.stringContaining('PLAY') }),
    ]);
    expect(record.approvals).toEqual([expect.objectContaining({ actor: 'alice', decision: 'approved' })]);
  });

  it('drops job output from old step results but keeps the rest of the result', async () => {
    await retentionWith({ controllerOutputDays: 30 }).run();
    const results = await t.store.db.selectFrom('steps').select(['run_id', 'result']).orderBy('run_id').execute();
    const byRun = Object.fromEntries(results.map((r) => [r.run_id, JSON.parse(r.result!)]));
    expect(byRun['old-1']).toEqual({ job: 1, output_pruned_at: NOW });
    expect(byRun['new-1']).toEqual({ job: 1, stdout_tail: 'PLAY RECAP ok=3' });
  });

  it('cuts the audit journal at an anchored checkpoint: the kept part still verifies, and its anchors too', async () => {
    const outcome = await retentionWith({ auditDays: 30 }).run();
    expect(outcome.auditEntries).toBe(5);
    expect(await t.store.db.selectFrom('audit_log').select('seq').orderBy('seq').execute()).toEqual([
      { seq: 6 },
      { seq: 7 },
      { seq: 8 },
    ]);
    const chain = await t.repos.audit.verify();
    expect(chain).toEqual({ ok: true, entries: 3 });
    expect(await checkAgainstAnchors(t.repos.audit, 3, anchors, NOW)).toMatchObject({ ok: true });
    // New entries chain on after the cut.
    await appendAudit('INC9', NOW);
    expect(await t.repos.audit.verify()).toEqual({ ok: true, entries: 4 });
  });

  it('after a cut, an altered kept entry and a forged checkpoint are still detected', async () => {
    await retentionWith({ auditDays: 30 }).run();
    await t.store.db.updateTable('audit_log').set({ actor: 'mallory' }).where('seq', '=', 7).execute();
    expect(await t.repos.audit.verify()).toMatchObject({ ok: false, brokenAt: 7 });
    await t.store.db.updateTable('audit_log').set({ actor: 'bob' }).where('seq', '=', 7).execute();

    // Someone deletes entry 6 too and records a checkpoint for it by hand: the chain holds, the anchors do not.
    const sixth = await t.store.db.selectFrom('audit_log').selectAll().where('seq', '=', 6).executeTakeFirstOrThrow();
    const first = await t.store.db.selectFrom('audit_checkpoints').selectAll().executeTakeFirstOrThrow();
    await t.store.db
      .insertInto('audit_checkpoints')
      .values({ ...first, seq: 6, hash: sixth.hash, archive: 'none', cut_at: NOW })
      .execute();
    await t.store.db.deleteFrom('audit_log').where('seq', '=', 6).execute();
    expect(await t.repos.audit.verify()).toEqual({ ok: true, entries: 2 });
    const verdict = await checkAgainstAnchors(t.repos.audit, 2, anchors, NOW);
    expect(verdict).toMatchObject({
      ok: false,
      message: expect.stringMatching(/cut at entry 6, but no signed anchor/),
    });
  });

  it('never deletes the newest audit entry, whatever its age', async () => {
    await t.store.db.deleteFrom('audit_log').where('seq', '>', 5).execute();
    const outcome = await retentionWith({ auditDays: 30 }).run();
    expect(outcome.auditEntries).toBe(4);
    expect(await t.repos.audit.verify()).toEqual({ ok: true, entries: 1 });
  });
});

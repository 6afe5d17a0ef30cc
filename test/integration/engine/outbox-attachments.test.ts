import { createHash } from 'node:crypto';
import { attachmentEntry, type OutboxAttachment } from '../../../src/engine/job-output';
import { createOutboxSender, type AttachmentTarget, type WritebackTarget } from '../../../src/engine/outbox-sender';
import { ConnectorError } from '../../../src/errors';
import { silentLogger } from '../../../src/observability/logger';
import { createMetrics } from '../../../src/observability/metrics';
import { ENGINES, openTestStore, type TestStore } from '../../helpers/stores';

/** An instance's Attachment API that can lose the answer to an upload (after storing it, or not). */
function fakeAttachments() {
  const stored: { sysId: string; file: OutboxAttachment }[] = [];
  const api: AttachmentTarget & { stored: typeof stored; failNext?: { error: ConnectorError; landed: boolean } } = {
    stored,
    async attach(_table, sysId, file) {
      const failure = api.failNext;
      api.failNext = undefined;
      if (!failure || failure.landed) stored.push({ sysId, file });
      if (failure) throw failure.error;
    },
    async has(_table, sysId, probe) {
      const sha256 = (text: string) => createHash('sha256').update(text).digest('hex');
      return stored.some((s) => s.sysId === sysId && sha256(s.file.content) === probe.sha256);
    },
  };
  return api;
}

const ambiguous = () => new ConnectorError('servicenow', 'ambiguous', 'ambiguous', 'socket hang up after sending');
const file: OutboxAttachment = {
  file_name: 'restart-service.log',
  content_type: 'text/plain',
  content: 'PLAY RECAP\nweb-01 : ok=3 failed=0\n',
};

describe.each(ENGINES)('job output attachments through the outbox on %s', (engine) => {
  let t: TestStore;
  let now = 1_000_000;
  beforeEach(async () => {
    t = await openTestStore(engine);
    now = 1_000_000;
  });
  afterEach(() => t.close());

  async function deliver(attachments: AttachmentTarget | undefined) {
    const target: WritebackTarget = {
      patch: async () => ({ modCount: 1 }),
      journalContains: async () => false,
      classify: (err) => (err instanceof ConnectorError ? err.failure : 'permanent'),
      attachments,
    };
    const sender = createOutboxSender({
      store: t.store,
      repos: t.repos,
      target,
      logger: silentLogger(),
      metrics: createMetrics(),
      owner: 'w1',
      leaseMs: 10_000,
      retry: { maxAttempts: 3, baseDelayMs: 100, maxDelayMs: 100 },
      now: () => now,
      random: () => 0,
    });
    await t.repos.outbox.enqueue(
      t.store.db,
      attachmentEntry({ id: 'run-1', ticket_number: 'INC0010001' }, 'incident', 'sys-1', file, now),
    );
    for (let round = 0; round < 5; round++) {
      for (const entry of await t.repos.outbox.claimDue('w1', now, 10_000, 10)) await sender.send(entry);
      now += 1000;
    }
    return t.store.db.selectFrom('outbox').select(['state', 'last_error']).executeTakeFirstOrThrow();
  }

  it('uploads the file to the ticket once', async () => {
    const api = fakeAttachments();
    expect(await deliver(api)).toMatchObject({ state: 'sent' });
    expect(api.stored).toEqual([{ sysId: 'sys-1', file }]);
  });

  it('does not upload again when an ambiguous failure hid an upload that landed: it finds the file by its hash', async () => {
    const api = fakeAttachments();
    api.failNext = { error: ambiguous(), landed: true };
    expect(await deliver(api)).toMatchObject({ state: 'sent' });
    expect(api.stored).toHaveLength(1);
  });

  it('uploads again when the ambiguous failure did not reach the instance', async () => {
    const api = fakeAttachments();
    api.failNext = { error: ambiguous(), landed: false };
    expect(await deliver(api)).toMatchObject({ state: 'sent' });
    expect(api.stored).toEqual([{ sysId: 'sys-1', file }]);
  });

  it('does not attach output the record already holds, even from another run under another name', async () => {
    const api = fakeAttachments();
    api.stored.push({ sysId: 'sys-1', file: { ...file, file_name: 'earlier-run.log' } });
    expect(await deliver(api)).toMatchObject({ state: 'sent' });
    expect(api.stored).toHaveLength(1);
  });

  it('fails the entry, naming why, when nothing can upload files', async () => {
    expect(await deliver(undefined)).toEqual({ state: 'failed', last_error: 'no attachment target is configured' });
  });
});

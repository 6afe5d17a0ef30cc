import { silentLogger } from '../../../src/observability/logger';
import { createIdentityUseRecorder } from '../../../src/security/identity-use-recorder';
import type { IdentityUse } from '../../../src/store/identity-use.repository';

const alice = { subject: 'alice', roles: ['operator' as const] };

function recorder(write: (use: IdentityUse) => Promise<void>) {
  let clock = 1_000_000;
  const record = createIdentityUseRecorder({ write, logger: silentLogger(), now: () => clock });
  return { record, advance: (ms: number) => void (clock += ms) };
}
const settle = () => new Promise((r) => setImmediate(r));

describe('the identity-use recorder', () => {
  it('writes each identity and permission at most once a minute', async () => {
    const writes: IdentityUse[] = [];
    const { record, advance } = recorder(async (use) => void writes.push(use));
    record(alice, 'runs:read');
    advance(30_000);
    record(alice, 'runs:read');
    record(alice, 'runs:retry');
    record({ subject: 'bob', roles: ['viewer'] }, 'runs:read');
    advance(30_000);
    record(alice, 'runs:read');
    expect(writes.map((w) => `${w.subject} ${w.permission} ${w.at}`)).toEqual([
      'alice runs:read 1000000',
      'alice runs:retry 1030000',
      'bob runs:read 1030000',
      'alice runs:read 1060000',
    ]);
    expect(writes[0]!.roles).toEqual(['operator']);
  });

  it('tries again on the next request when a write fails, and never throws into the request', async () => {
    let fail = true;
    const writes: IdentityUse[] = [];
    const { record, advance } = recorder(async (use) => {
      if (fail) throw new Error('store down');
      writes.push(use);
    });
    expect(() => record(alice, 'runs:read')).not.toThrow();
    await settle();
    fail = false;
    advance(1000);
    record(alice, 'runs:read');
    await settle();
    expect(writes.map((w) => w.at)).toEqual([1_001_000]);
  });
});

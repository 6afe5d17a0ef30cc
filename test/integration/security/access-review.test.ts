import request from 'supertest';
import { API_BASE } from '../../../src/api/http-app';
import { silentLogger } from '../../../src/observability/logger';
import type { AccessReview } from '../../../src/security/access-review';
import { createIdentityUseRecorder } from '../../../src/security/identity-use-recorder';
import type { IdentityUse } from '../../../src/store/identity-use.repository';
import { apiHarness, tokenFor } from '../api/api-harness';
import { runCli } from '../../helpers/run-cli';

const DAY = 86_400_000;

describe('the access review: uses recorded by the API, reported by `snowline report access`', () => {
  let h: Awaited<ReturnType<typeof apiHarness>>;
  let write: (use: IdentityUse) => Promise<void>;
  const as = (subject: string, roles: Parameters<typeof tokenFor>[1]) => ({
    Authorization: `Bearer ${tokenFor(subject, roles)}`,
  });
  const report = async (...args: string[]) =>
    runCli(['report', 'access', ...args], { SNOWLINE_DB: h.store.options.sqlitePath });

  beforeAll(async () => {
    h = await apiHarness({
      recordIdentityUse: createIdentityUseRecorder({ write: (use) => write(use), logger: silentLogger() }),
    });
    write = h.store.repos.identityUse.record;
    await request(h.app)
      .get(`${API_BASE}/runs`)
      .set(as('alice', ['operator']))
      .expect(200);
    await request(h.app)
      .get(`${API_BASE}/runs`)
      .set(as('alice', ['operator']))
      .expect(200);
    await request(h.app)
      .post(`${API_BASE}/runs/no-such-run/retry`)
      .set(as('alice', ['operator']))
      .expect(404);
    await request(h.app)
      .get(`${API_BASE}/runs`)
      .set(as('bob', ['viewer']))
      .expect(200);
    await request(h.app)
      .post(`${API_BASE}/runs/no-such-run/retry`)
      .set(as('bob', ['viewer']))
      .expect(403);
    // An identity last seen six weeks ago.
    await h.store.repos.identityUse.record({
      subject: 'dave',
      permission: 'audit:read',
      roles: ['auditor'],
      at: Date.now() - 42 * DAY,
    });
    for (let i = 0; i < 50 && (await h.store.repos.identityUse.list()).length < 4; i++)
      await new Promise((r) => setTimeout(r, 20));
  });
  afterAll(() => h.close());

  it('records one row per identity and permission used, none for a refused call', async () => {
    expect((await h.store.repos.identityUse.list()).map((u) => `${u.subject} ${u.permission}`)).toEqual([
      'alice runs:read',
      'alice runs:retry',
      'bob runs:read',
      'dave audit:read',
    ]);
  });

  it('lists identities, roles, last use, and the rights unused for N days', async () => {
    const out = await report('--unused-days', '30');
    expect(out).toMatchObject({ code: 0, stderr: '' });
    const review = JSON.parse(out.stdout) as AccessReview;
    expect(review.unusedDays).toBe(30);
    expect(review.identities.map((i) => [i.subject, i.roles, i.unusedRights])).toEqual([
      ['alice', ['operator'], ['runs:trigger', 'runs:cancel', 'rules:read']],
      ['bob', ['viewer'], ['rules:read']],
      ['dave', ['auditor'], ['runs:read', 'rules:read', 'audit:read']],
    ]);
    const alice = review.identities[0]!;
    expect(alice.rights.find((r) => r.permission === 'runs:retry')!.lastUsed).toBe(alice.lastUsed);
    expect(alice.rights.find((r) => r.permission === 'runs:cancel')!.lastUsed).toBe('');
    expect(Date.now() - Date.parse(alice.lastUsed)).toBeLessThan(DAY);
    expect(Date.now() - Date.parse(review.identities[2]!.lastUsed)).toBeGreaterThan(41 * DAY);
  });

  it('counts a right used within a longer period as used, and writes CSV', async () => {
    const out = await report('--unused-days', '60', '--format', 'csv');
    expect(out.code).toBe(0);
    const lines = out.stdout.trim().split('\n');
    expect(lines[0]).toBe('subject,roles,first_seen,last_used,unused_rights,rights');
    expect(lines.find((l) => l.startsWith('dave,'))).toMatch(
      /^dave,auditor,[^,]+,[^,]+,runs:read rules:read,runs:read@never rules:read@never audit:read@\S+$/,
    );
  });

  it('refuses a period that is not a whole number of days', async () => {
    const out = await report('--unused-days', 'soon');
    expect(out.code).toBe(2);
    expect(out.stderr).toContain('--unused-days: expected a whole number of days, got "soon"');
  });
});

import { randomBytes } from 'node:crypto';
import { createSecretBox } from '../../../src/security/secret-box';
import { credentialRepository } from '../../../src/store/credential.repository';
import { ENGINES, openTestStore, type TestStore } from '../../helpers/stores';

const oldKey = randomBytes(32).toString('hex');
const newKey = randomBytes(32).toString('hex');

describe.each(ENGINES)('stored connector credentials on %s', (engine) => {
  let t: TestStore;
  beforeEach(async () => {
    t = await openTestStore(engine);
  });
  afterEach(() => t.close());

  it('stores only ciphertext, audits the change without the value, and re-encrypts on rotation', async () => {
    const before = credentialRepository(t.store.db, createSecretBox({ current: oldKey }), t.repos.audit);
    await before.put('ansible', 'token', 'awx-PLANTED-secret-1', 'alice');
    await before.put('http', 'api_key', 'http-PLANTED-secret-2', 'alice');

    const raw = JSON.stringify(await t.store.db.selectFrom('connector_credentials').selectAll().execute());
    expect(raw).not.toContain('PLANTED');
    const auditText = JSON.stringify(await t.repos.audit.list({ limit: 100 }));
    expect(auditText).toContain('ansible:token');
    expect(auditText).not.toContain('PLANTED');

    // Rotate: the new key becomes current, the old one is kept for decryption only.
    const rotatedBox = createSecretBox({ current: newKey, previous: [oldKey] });
    const after = credentialRepository(t.store.db, rotatedBox, t.repos.audit);
    expect(await after.reveal('ansible', 'token')).toBe('awx-PLANTED-secret-1');
    expect(await after.rotate('ops')).toEqual({ resealed: 2, total: 2 });
    expect(await after.rotate('ops')).toEqual({ resealed: 0, total: 2 });
    expect((await after.list()).map((r) => r.key_id)).toEqual([rotatedBox.currentKeyId, rotatedBox.currentKeyId]);

    // Once re-encrypted, the old key can be retired.
    const newOnly = credentialRepository(t.store.db, createSecretBox({ current: newKey }), t.repos.audit);
    expect(await newOnly.reveal('http', 'api_key')).toBe('http-PLANTED-secret-2');
    expect(await t.repos.audit.verify()).toMatchObject({ ok: true });
  });

  it('says which credential is missing', async () => {
    const repo = credentialRepository(t.store.db, createSecretBox({ current: oldKey }), t.repos.audit);
    await expect(repo.reveal('ansible', 'nope')).rejects.toThrow(/ansible:nope/);
  });
});

import { ENGINES, openTestStore, type TestStore } from '../../helpers/stores';

const T0 = Date.UTC(2026, 10, 30, 8, 0, 0);

describe.each(ENGINES)('identity use on %s', (engine) => {
  let t: TestStore;
  beforeEach(async () => {
    t = await openTestStore(engine);
  });
  afterEach(() => t.close());

  it('keeps the first use, moves the last use and the roles forward, one row per identity and permission', async () => {
    await t.repos.identityUse.record({ subject: 'alice', permission: 'runs:read', roles: ['viewer'], at: T0 });
    await t.repos.identityUse.record({
      subject: 'alice',
      permission: 'runs:read',
      roles: ['operator', 'viewer'],
      at: T0 + 5000,
    });
    await t.repos.identityUse.record({
      subject: 'alice',
      permission: 'runs:retry',
      roles: ['operator'],
      at: T0 + 6000,
    });
    await t.repos.identityUse.record({ subject: 'bob', permission: 'audit:read', roles: ['auditor'], at: T0 + 7000 });
    expect(await t.repos.identityUse.list()).toEqual([
      {
        subject: 'alice',
        permission: 'runs:read',
        roles: '["operator","viewer"]',
        first_used_at: T0,
        last_used_at: T0 + 5000,
      },
      {
        subject: 'alice',
        permission: 'runs:retry',
        roles: '["operator"]',
        first_used_at: T0 + 6000,
        last_used_at: T0 + 6000,
      },
      {
        subject: 'bob',
        permission: 'audit:read',
        roles: '["auditor"]',
        first_used_at: T0 + 7000,
        last_used_at: T0 + 7000,
      },
    ]);
  });

  it('never moves the last use back when another instance reports an older use late', async () => {
    await t.repos.identityUse.record({ subject: 'alice', permission: 'runs:read', roles: ['operator'], at: T0 + 5000 });
    await t.repos.identityUse.record({ subject: 'alice', permission: 'runs:read', roles: ['viewer'], at: T0 });
    expect(await t.repos.identityUse.list()).toEqual([
      {
        subject: 'alice',
        permission: 'runs:read',
        roles: '["operator"]',
        first_used_at: T0 + 5000,
        last_used_at: T0 + 5000,
      },
    ]);
  });
});

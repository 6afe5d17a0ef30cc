import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { loadConfig } from '../../../src/config';
import { ConfigError } from '../../../src/errors';

/** The `privilege` section: providers of just-in-time credentials and the credentials steps name. */
let dir: string;
beforeEach(() => {
  dir = mkdtempSync(path.join(os.tmpdir(), 'snowline-config-'));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

function withPrivilege(section: string[]): string {
  const file = path.join(dir, 'config.yaml');
  const defaults = readFileSync('config/default.yaml', 'utf8').replace(/^privilege:[\s\S]*?\n\n/m, '');
  writeFileSync(file, `${defaults}\nprivilege:\n${section.join('\n')}\n`);
  return file;
}

describe('privilege configuration', () => {
  it('has no providers by default', () => {
    expect(loadConfig({ file: 'config/default.yaml', env: {} }).privilege).toEqual({
      leaseSeconds: 900,
      releaseSweepSeconds: 30,
      providers: {},
      credentials: {},
    });
  });

  it('reads providers with their secrets from the environment and the credentials that use them', () => {
    const file = withPrivilege([
      '  providers:',
      '    vault: { type: vault, url: "https://vault.example.com:8200", token: "env:VAULT_TOKEN" }',
      '    pam: { type: pam, url: "https://pvwa.example.com", username: svc_snowline, password: "env:PAM_PASSWORD" }',
      '  credentials:',
      '    db-admin: { provider: vault, path: database/creds/db-admin }',
      '    web-root: { provider: pam, account: "12_34", username: root }',
    ]);
    const config = loadConfig({ file, env: { VAULT_TOKEN: 'hvs.x', PAM_PASSWORD: 'p' } });
    expect(config.privilege.providers.vault).toMatchObject({ type: 'vault', token: 'hvs.x', timeoutMs: 10_000 });
    expect(config.privilege.credentials['web-root']).toEqual({ provider: 'pam', account: '12_34', username: 'root' });
  });

  const problemsOf = (file: string): string[] => {
    try {
      loadConfig({ file, env: {} });
    } catch (err) {
      if (err instanceof ConfigError) return err.lines;
    }
    return [];
  };

  it('refuses a credential whose provider is missing or which lacks what its provider needs', () => {
    const file = withPrivilege([
      '  providers:',
      '    vault: { type: vault, url: "https://vault.example.com:8200", token: t }',
      '  credentials:',
      '    db-admin: { provider: vault }',
      '    web-root: { provider: cyberark, account: "12_34" }',
    ]);
    expect(problemsOf(file)).toEqual([
      'privilege.credentials.db-admin.path: a vault credential needs path, got nothing',
      'privilege.credentials.web-root.provider: no provider cyberark under privilege.providers, got "cyberark"',
    ]);
  });

  it('never prints a provider token it refuses', () => {
    const file = withPrivilege([
      '  providers:',
      '    vault: { type: vault, url: "https://vault.example.com:8200", token: 12 }',
    ]);
    expect(problemsOf(file)).toEqual(['privilege.providers.vault.token: expected string, got (a secret, not shown)']);
  });
});

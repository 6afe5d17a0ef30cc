import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { loadConfig } from '../../../src/config';
import { ConfigError } from '../../../src/errors';

/** The optional `connectors` section: http, ansible_local and cmdb are built only when configured. */
let dir: string;
beforeEach(() => {
  dir = mkdtempSync(path.join(os.tmpdir(), 'snowline-config-'));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

function withSection(section: string): string {
  const file = path.join(dir, 'config.yaml');
  writeFileSync(file, `${readFileSync('config/default.yaml', 'utf8')}\nconnectors:\n${section}`);
  return file;
}

describe('connectors configuration', () => {
  it('is empty by default', () => {
    expect(loadConfig({ file: 'config/default.yaml', env: {} }).connectors).toEqual({});
  });

  it('reads an http endpoint with its secret from the environment', () => {
    const file = withSection(
      [
        '  http:',
        '    endpoints:',
        '      fw:',
        '        baseUrl: https://fw.example.com/api',
        '        auth: { type: bearer, token: "env:FW_TOKEN" }',
      ].join('\n'),
    );
    const config = loadConfig({ file, env: { FW_TOKEN: 't-1' } });
    expect(config.connectors.http?.endpoints.fw).toMatchObject({
      baseUrl: 'https://fw.example.com/api',
      auth: { type: 'bearer', token: 't-1' },
      idempotencyHeader: 'Idempotency-Key',
    });
  });

  it('stops start-up naming the field of a bad connector section', () => {
    const file = withSection(
      [
        '  ansible_local:',
        '    inventory: /etc/ansible/hosts',
        '    playbooks:',
        '      restart:',
        '        file: ../outside.yml',
      ].join('\n'),
    );
    let lines: string[] = [];
    try {
      loadConfig({ file, env: {} });
    } catch (err) {
      if (err instanceof ConfigError) lines = err.lines;
    }
    expect(lines.some((l) => l.startsWith('connectors.ansible_local.playbookDir'))).toBe(true);
    expect(
      lines.some(
        (l) =>
          l.startsWith('connectors.ansible_local.playbooks.restart.file') &&
          l.includes('must be a path inside playbookDir'),
      ),
    ).toBe(true);
  });
});

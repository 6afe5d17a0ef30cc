import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { ConnectorError } from '../../../src/errors';
import { parseCallbackOutput, recapText, type PlaybookOutcome } from './json-callback';
import { runProcess, type ProcessOutcome } from './playbook-process';
import { unsafeVarsYaml } from './playbook-vars';
import type { LocalRunnerConfig } from './schemas';

export const LOCAL_CONNECTOR = 'ansible_local';

/** Environment variables handed to ansible-playbook from Snowline's own; nothing else (no secrets). */
const PASSED_ENV = [
  'PATH',
  'HOME',
  'USER',
  'LOGNAME',
  'LANG',
  'LC_ALL',
  'TMPDIR',
  'SSH_AUTH_SOCK',
  'ANSIBLE_CONFIG',
  'ANSIBLE_COLLECTIONS_PATH',
  'ANSIBLE_ROLES_PATH',
];

export interface PlaybookRun {
  exitCode: number;
  outcome: PlaybookOutcome;
  stdoutTail: string;
}

/**
 * Runs playbooks with the real ansible-playbook: one private work directory per run (mode 0700,
 * removed afterwards) holding the `!unsafe` extra-vars file and Ansible's local temp files; argv
 * only, never a shell; the JSON stdout callback for per-host results.
 */
export class LocalPlaybookRunner {
  constructor(readonly config: LocalRunnerConfig) {}

  /** Host names in the inventory (`ansible-inventory --list`), for checking `limit`. */
  async inventoryHosts(signal?: AbortSignal): Promise<Set<string>> {
    const workDir = await this.makeWorkDir();
    try {
      const result = await runProcess(
        this.config.ansibleInventory,
        ['-i', this.config.inventory, '--list'],
        this.processOptions(workDir, 60_000, signal),
      );
      this.throwIfNotStarted(result, this.config.ansibleInventory);
      if (result.exitCode !== 0) {
        throw new ConnectorError(
          LOCAL_CONNECTOR,
          'permanent',
          'inventory_unreadable',
          `ansible-inventory could not read ${this.config.inventory}: ${lastLine(result.stderr)}`,
        );
      }
      return hostsOfInventory(
        JSON.parse(result.stdout.slice(Math.max(0, result.stdout.indexOf('{')))) as Record<string, unknown>,
      );
    } finally {
      await rm(workDir, { recursive: true, force: true });
    }
  }

  /** Runs one playbook file (already resolved inside playbookDir) with checked variables. */
  async run(
    playbookFile: string,
    vars: Record<string, unknown>,
    limit: string | undefined,
    options: { timeoutMs?: number; signal?: AbortSignal },
  ): Promise<PlaybookRun> {
    const workDir = await this.makeWorkDir();
    try {
      const varsFile = path.join(workDir, 'extra-vars.yml');
      await writeFile(varsFile, unsafeVarsYaml(vars), { mode: 0o600 });
      const args = ['-i', this.config.inventory, '-e', `@${varsFile}`];
      if (limit !== undefined) args.push('--limit', limit);
      args.push(playbookFile);
      const result = await runProcess(
        this.config.ansiblePlaybook,
        args,
        this.processOptions(workDir, options.timeoutMs ?? this.config.timeoutMs, options.signal),
      );
      this.throwIfNotStarted(result, this.config.ansiblePlaybook);
      if (result.killedFor) throw killedError(result);
      const outcome = parseCallbackOutput(result.stdout);
      if (!outcome) {
        throw new ConnectorError(
          LOCAL_CONNECTOR,
          'permanent',
          'playbook_error',
          `ansible-playbook exited ${result.exitCode} without results: ${lastLine(result.stderr) || lastLine(result.stdout)}`,
          {
            details: { exitCode: result.exitCode, stderrTail: result.stderr.slice(-2000) },
          },
        );
      }
      const text = recapText(outcome);
      return { exitCode: result.exitCode ?? -1, outcome, stdoutTail: text.slice(-this.config.stdoutTailBytes) };
    } finally {
      await rm(workDir, { recursive: true, force: true });
    }
  }

  private async makeWorkDir(): Promise<string> {
    // mkdtemp creates the directory with mode 0700.
    return mkdtemp(path.join(this.config.workRoot ?? os.tmpdir(), 'snowline-ansible-'));
  }

  private processOptions(workDir: string, timeoutMs: number, signal: AbortSignal | undefined) {
    const env: NodeJS.ProcessEnv = {};
    for (const name of PASSED_ENV) if (process.env[name] !== undefined) env[name] = process.env[name];
    Object.assign(env, {
      ANSIBLE_STDOUT_CALLBACK: this.config.stdoutCallback,
      ANSIBLE_SHOW_CUSTOM_STATS: 'true',
      ANSIBLE_LOCAL_TEMP: path.join(workDir, 'tmp'),
      ANSIBLE_RETRY_FILES_ENABLED: 'false',
      ANSIBLE_NOCOLOR: '1',
      ANSIBLE_FORCE_COLOR: '0',
      ANSIBLE_HOST_KEY_CHECKING: process.env.ANSIBLE_HOST_KEY_CHECKING ?? 'true',
      PYTHONUNBUFFERED: '1',
    });
    return {
      cwd: workDir,
      env,
      timeoutMs,
      killGraceMs: this.config.killGraceMs,
      maxStdoutBytes: this.config.maxOutputBytes,
      signal,
    };
  }

  private throwIfNotStarted(result: ProcessOutcome, file: string): void {
    if (!result.spawnError) return;
    throw new ConnectorError(
      LOCAL_CONNECTOR,
      'permanent',
      'not_installed',
      `${file} could not be started (${result.spawnError.code ?? result.spawnError.message}); install ansible-core`,
      {
        details: { executable: file },
      },
    );
  }
}

/** Every host named in `ansible-inventory --list` output (hostvars and group host lists). */
export function hostsOfInventory(list: Record<string, unknown>): Set<string> {
  const hosts = new Set<string>();
  const meta = list._meta as { hostvars?: Record<string, unknown> } | undefined;
  for (const host of Object.keys(meta?.hostvars ?? {})) hosts.add(host);
  for (const [group, value] of Object.entries(list)) {
    if (group === '_meta' || !value || typeof value !== 'object') continue;
    const groupHosts = (value as { hosts?: unknown }).hosts;
    if (Array.isArray(groupHosts)) for (const h of groupHosts) if (typeof h === 'string') hosts.add(h);
  }
  return hosts;
}

function killedError(result: ProcessOutcome): ConnectorError {
  const details = { stderrTail: result.stderr.slice(-2000) };
  if (result.killedFor === 'timeout')
    return new ConnectorError(
      LOCAL_CONNECTOR,
      'ambiguous',
      'timeout',
      'ansible-playbook ran past its timeout and was killed; it may have changed some hosts',
      { details },
    );
  if (result.killedFor === 'output_limit')
    return new ConnectorError(
      LOCAL_CONNECTOR,
      'permanent',
      'output_limit',
      'ansible-playbook wrote more output than maxOutputBytes and was killed',
      { details },
    );
  return new ConnectorError(
    LOCAL_CONNECTOR,
    'permanent',
    'canceled',
    'ansible-playbook was killed because the step was cancelled',
    { details },
  );
}

function lastLine(text: string): string {
  return text.trim().split('\n').slice(-3).join(' ').slice(0, 500);
}

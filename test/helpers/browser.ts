import { execFileSync } from 'node:child_process';
import { cpSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import axios, { type AxiosInstance } from 'axios';
import { chromium, type Browser, type Page } from 'playwright-core';
import type { RunningApp } from '../../src/app/app';
import { startServing } from '../../src/cli/start-serving';
import { loadConfig } from '../../src/config';
import { createLogger } from '../../src/observability/logger';
import { issueToken } from '../../src/security/jwt';
import type { Role } from '../../src/security/roles';
import { freePort } from './waiting';

const REPO_ROOT = join(__dirname, '..', '..');

/** axe-core's bundle, evaluated in the page (through the DevTools protocol, so the console's CSP does not refuse it). */
const AXE_SOURCE = readFileSync(require.resolve('axe-core/axe.min.js'), 'utf8');

/**
 * The serious and critical accessibility violations axe-core finds on the page as it is now (WCAG
 * 2.1 A/AA and axe's best practices), as `rule: target` lines: a test expects none.
 */
export async function accessibilityViolations(page: Page): Promise<string[]> {
  // Strings, not functions: the test code is compiled without the DOM's types.
  if (!(await page.evaluate('typeof axe !== "undefined"'))) await page.evaluate(AXE_SOURCE);
  const violations = (await page.evaluate('axe.run(document).then((r) => r.violations)')) as AxeViolation[];
  return violations
    .filter((v) => v.impact === 'serious' || v.impact === 'critical')
    .flatMap((v) => v.nodes.map((n) => `${v.id} (${v.impact}): ${n.target.join(' ')} — ${v.help}`));
}

interface AxeViolation {
  id: string;
  impact: string | null;
  help: string;
  nodes: { target: string[] }[];
}

/** Debian's Chromium (browsers cannot be downloaded here); CI installs it in .ci/run. */
export const CHROMIUM = process.env.CHROMIUM ?? '/usr/bin/chromium';

const CHROMIUM_ARGS = [
  '--no-sandbox',
  '--headless',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];

/**
 * Where screenshots go: docs/images/console when SNOWLINE_SCREENSHOTS=docs (`npm run screenshots`
 * refreshes the ones docs/console.md shows), else a temporary folder, so a test run leaves the tree clean.
 */
export function screenshotDir(): string {
  const dir = process.env.SNOWLINE_SCREENSHOTS
    ? join(REPO_ROOT, 'docs', 'images', 'console')
    : mkdtempSync(join(tmpdir(), 'snowline-shots-'));
  mkdirSync(dir, { recursive: true });
  return dir;
}

/** The console bundle from the current sources (esbuild, well under a second). */
export function buildConsole(): void {
  execFileSync(process.execPath, [join(REPO_ROOT, 'console', 'build.mjs')], { cwd: REPO_ROOT, stdio: 'inherit' });
}

export interface ConsoleWorld {
  app: RunningApp;
  /** The mapping tables this instance runs (a temporary copy of the shipped ones). */
  mappingsDir: string;
  browser: Browser;
  /** The sandbox's ServiceNow and AWX, with the sandbox account. */
  sandbox: AxiosInstance;
  tokenFor(subject: string, roles: Role[]): string;
  /** A fresh browser context (no shared storage), signed in with a token through the Token field. */
  signedInPage(subject: string, roles: Role[]): Promise<Page>;
  close(): Promise<void>;
}

const JWT = { secret: 'browser-jwt-secret-0123456789abcdef', issuer: 'snowline', audience: 'snowline-api' };

/** The real app on the built-in sandbox, with a real Chromium in front of it. */
export async function startConsoleWorld(env: Record<string, string> = {}): Promise<ConsoleWorld> {
  buildConsole();
  const dir = mkdtempSync(join(tmpdir(), 'snowline-browser-'));
  // Approved proposals write mapping files: into a copy, never into the repository's mappings/.
  cpSync(join(REPO_ROOT, 'mappings'), join(dir, 'mappings'), { recursive: true });
  // A caller that must know the port beforehand (an identity provider's redirect URL) passes PORT.
  const [port, sandboxPort] = [env.PORT ? Number(env.PORT) : await freePort(), await freePort()];
  const config = loadConfig({
    env: {
      PORT: String(port),
      SNOWLINE_SANDBOX_PORT: String(sandboxPort),
      SNOWLINE_DB: join(dir, 'snowline.db'),
      SNOWLINE_MAPPINGS: join(dir, 'mappings'),
      SNOWLINE_SANDBOX_WEBHOOK_URL: `http://127.0.0.1:${port}/webhooks/servicenow`,
      SNOWLINE_JWT_SECRET: JWT.secret,
      SNOWLINE_SANDBOX_JOB_MS: '300',
      LOG_LEVEL: 'error',
      ...env,
    },
  });
  const app = await startServing(config, createLogger('error'));
  const browser = await chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_ARGS });
  const tokenFor = (subject: string, roles: Role[]) => issueToken(JWT, subject, roles, 3600);
  return {
    app,
    mappingsDir: join(dir, 'mappings'),
    browser,
    sandbox: axios.create({ baseURL: app.sandboxUrl, auth: { username: 'admin', password: 'admin' } }),
    tokenFor,
    async signedInPage(subject, roles) {
      const context = await browser.newContext({ viewport: { width: 1280, height: 860 } });
      // Shorter than jest's test timeout, so a failure names the locator that never appeared.
      context.setDefaultTimeout(12_000);
      const page = await context.newPage();
      await page.goto(`${app.url}/console`);
      await page.getByLabel('Token').fill(tokenFor(subject, roles));
      await page.getByLabel('Token').press('Enter');
      await page.getByRole('navigation', { name: 'Console pages' }).waitFor();
      return page;
    },
    async close() {
      await browser.close();
      await app.stop();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

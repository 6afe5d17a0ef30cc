import { spawn, type ChildProcess } from 'node:child_process';
import { createHmac, randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Page } from 'playwright-core';
import { accessibilityViolations, screenshotDir, startConsoleWorld, type ConsoleWorld } from '../helpers/browser';
import { eventually, freePort } from '../helpers/waiting';

const CLIENT_SECRET = 'console-client-secret-0123456789';
/** The sandbox's documented default (config/default.yaml). */
const WEBHOOK_SECRET = 'sandbox-only-webhook-secret';

/** A rule whose parameters read the ticket's CI: an event without one cannot start it (rejected), until the rule says what to do without. */
const needsCiRule = (ciTemplate: string) => `
  - id: page-on-call-for-outage
    description: Note the outage's configuration item for the on-call engineer
    owner: Service Desk
    risk: low
    mode: active
    on: [inserted]
    condition: short_descriptionLIKEfull outage
    params:
      ci: "${ciTemplate}"
    steps:
      - name: note
        use: servicenow.add_work_note
        with:
          table: incident
          sys_id: "{{ ticket.sys_id }}"
          text: "Outage on CI {{ params.ci }}"
`;

/** Starts the test identity provider (oidc-provider, ESM, so in a process of its own). */
async function startIdentityProvider(port: number, redirectUrl: string): Promise<ChildProcess> {
  const child = spawn(
    process.execPath,
    [join(__dirname, '..', 'helpers', 'oidc-issuer.mjs'), String(port), redirectUrl, CLIENT_SECRET],
    {
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  );
  await new Promise<void>((resolve, reject) => {
    child.stdout!.on('data', (chunk: Buffer) => chunk.toString().includes('ready') && resolve());
    child.once('exit', (code) => reject(new Error(`identity provider exited (${code})`)));
  });
  return child;
}

/**
 * The parts of the console that live beyond one request: OIDC sign-in through a real identity
 * provider, the events inbox with a rejected event replayed once its rule is fixed, runs appearing
 * without a reload (Server-Sent Events), a rule's versions with their diff, the ServiceNow API budget.
 */
describe('console: sign-in with the identity provider, events, live updates, versions, budget', () => {
  let world: ConsoleWorld;
  let idp: ChildProcess;
  let configDir: string;
  /** The ticket whose event the events test rejects and replays. */
  let outageTicket: string;
  const shots = screenshotDir();

  beforeAll(async () => {
    const [port, idpPort] = [await freePort(), await freePort()];
    const redirectUrl = `http://127.0.0.1:${port}/console/oidc/callback`;
    idp = await startIdentityProvider(idpPort, redirectUrl);
    configDir = mkdtempSync(join(tmpdir(), 'snowline-oidc-'));
    const configFile = join(configDir, 'site.yaml');
    writeFileSync(
      configFile,
      `servicenow:
  requestsPerHour: 3000
security:
  groupRoles: { sn-automation-ops: [operator], sn-readers: [viewer] }
  oidc:
    issuer: http://127.0.0.1:${idpPort}
    clientId: snowline-console
    clientSecret: ${CLIENT_SECRET}
    redirectUrl: ${redirectUrl}
    scopes: [openid, profile, groups]
    providerName: Test IdP
`,
    );
    world = await startConsoleWorld({ PORT: String(port), SNOWLINE_CONFIG: configFile });
  }, 90_000);

  afterAll(async () => {
    await world?.close();
    idp?.kill();
    if (configDir) rmSync(configDir, { recursive: true, force: true });
  });

  const expectAccessible = async (page: Page) => expect(await accessibilityViolations(page)).toEqual([]);

  /** Through the identity provider's own login form (any password) and consent page, back to the console. */
  const signInWithProvider = async (login: string): Promise<Page> => {
    const context = await world.browser.newContext({ viewport: { width: 1280, height: 860 } });
    context.setDefaultTimeout(12_000);
    const page = await context.newPage();
    await page.goto(`${world.app.url}/console`);
    await page.getByRole('link', { name: 'Sign in with Test IdP' }).click();
    await page.locator('input[name="login"]').fill(login);
    await page.locator('input[name="password"]').fill('any password');
    await page.locator('button[type="submit"]').click();
    // The consent page, when the provider shows one, then back to the console.
    await page.waitForURL(/\/console\/|\/interaction\//);
    if (page.url().includes('/interaction/')) await page.locator('button[type="submit"]').click();
    await page.waitForURL(/\/console\//);
    return page;
  };

  it('signs in with the identity provider (code flow with PKCE), with the role its groups map to', async () => {
    const first = await world.browser.newPage();
    await first.goto(`${world.app.url}/console`);
    await first.getByRole('link', { name: 'Sign in with Test IdP' }).waitFor();
    await expectAccessible(first);
    await first.screenshot({ path: join(shots, 'sign-in-oidc.png') });
    await first.close();

    const page = await signInWithProvider('olga');
    await page.getByRole('navigation', { name: 'Console pages' }).waitFor();
    await expect(page.locator('.who').textContent()).resolves.toBe('olga (operator)');
    // The token reached the page through a cookie, never the address.
    expect(page.url()).not.toMatch(/token|code=/);
    await page.context().close();

    const refused = await signInWithProvider('nobody');
    await expect(refused.getByRole('alert').textContent()).resolves.toMatch(/nobody has no Snowline role/);
    await refused.context().close();
  });

  it('lists a rejected event with its reason, and an operator replays it once the rule is fixed', async () => {
    const file = join(world.mappingsDir, 'incident.yaml');
    const shipped = readFileSync(file, 'utf8');
    writeFileSync(file, shipped.replace('rules:\n', `rules:${needsCiRule('{{ ticket.cmdb_ci }}')}`));
    expect((await world.app.reloadRules()).applied).toBe(true);

    // A delivery of the Business Rule whose record carries no CI: the new rule's parameters cannot
    // render. (A ticket the sandbox does not hold: the rejection's work note cannot be written to it.)
    const sysId = randomBytes(16).toString('hex');
    const number = 'INC0099001';
    outageTicket = number;
    const body = JSON.stringify({
      event: 'inserted',
      table: 'incident',
      sys_id: sysId,
      number,
      sys_mod_count: '0',
      sys_updated_on: new Date().toISOString().slice(0, 19).replace('T', ' '),
      sys_updated_by: 'service.desk',
      record: { sys_id: sysId, number, active: 'true', state: '1', short_description: 'full outage in DC2' },
    });
    const timestamp = String(Math.floor(Date.now() / 1000));
    const signature = createHmac('sha256', WEBHOOK_SECRET).update(`${timestamp}.${body}`).digest('hex');
    const delivered = await fetch(`${world.app.url}/webhooks/servicenow`, {
      method: 'POST',
      headers: {
        'Content-Type': 'application/json',
        'X-Snowline-Timestamp': timestamp,
        'X-Snowline-Signature': `sha256=${signature}`,
      },
      body,
    });
    expect(delivered.status).toBeLessThan(300);
    const viewerToken = world.tokenFor('vera', ['viewer']);
    const eventIn = async (state: string) => {
      const res = await fetch(`${world.app.url}/api/v1/events?ticket=${number}&state=${state}`, {
        headers: { Authorization: `Bearer ${viewerToken}` },
      });
      return ((await res.json()) as { events: unknown[] }).events[0];
    };
    const rejected = await eventually(() => eventIn('rejected'), 30_000, 'the event was rejected');

    const viewer = await world.signedInPage('vera', ['viewer']);
    await viewer.getByRole('link', { name: 'Events' }).click();
    await viewer.getByRole('row').filter({ hasText: number }).waitFor();
    expect(await viewer.getByRole('button', { name: /Replay/ }).count()).toBe(0);
    await viewer.close();

    const page = await world.signedInPage('olga', ['operator']);
    await page.getByRole('link', { name: 'Events' }).click();
    await page.getByLabel('State').selectOption('rejected');
    await page.getByRole('button', { name: 'Search' }).click();
    const row = page.getByRole('row').filter({ hasText: number });
    await row.waitFor();
    await expect(row.textContent()).resolves.toMatch(/rejected.*page-on-call-for-outage.*cmdb_ci/);
    await expectAccessible(page);
    await page.screenshot({ path: join(shots, 'events.png'), fullPage: true });

    writeFileSync(
      file,
      shipped.replace('rules:\n', `rules:${needsCiRule("{{ ticket.cmdb_ci | default: 'unknown' }}")}`),
    );
    expect((await world.app.reloadRules()).applied).toBe(true);
    await row.getByRole('button', { name: `Replay event ${(rejected as { id: number }).id} of ${number}` }).click();
    await page
      .getByRole('status')
      .filter({ hasText: `Event ${(rejected as { id: number }).id} of ${number} replayed.` })
      .waitFor();
    await eventually(() => eventIn('done'), 30_000, 'the replayed event was acted on');
    // The list shows rejected events only: the replayed one leaves it.
    await row.waitFor({ state: 'detached', timeout: 15_000 });
    await page.close();
  });

  it("shows a rule's versions, each with the diff from the one before", async () => {
    const page = await world.signedInPage('vera', ['viewer']);
    await page.goto(`${world.app.url}/console#/rules/page-on-call-for-outage`);
    const versions = page.getByRole('region', { name: 'Versions' });
    await versions.getByRole('listitem').nth(1).waitFor();
    const newest = versions.getByLabel(/^Changes in version/).first();
    await expect(newest.textContent()).resolves.toMatch(
      /-\s*ci: "\{\{ ticket.cmdb_ci \}\}"\n\+\s*ci: "\{\{ ticket.cmdb_ci \| default: 'unknown' \}\}"/,
    );
    await expect(versions.getByRole('listitem').first().textContent()).resolves.toMatch(/running/);
    await versions.scrollIntoViewIfNeeded();
    await expectAccessible(page);
    await page.screenshot({ path: join(shots, 'rule-versions.png'), fullPage: true });
    await page.close();
  });

  it('updates the runs list without a reload when a run starts (Server-Sent Events)', async () => {
    const page = await world.signedInPage('olga', ['operator']);
    await page.getByRole('status').filter({ hasText: 'Live: updated as runs change.' }).waitFor();
    const { data } = await world.sandbox.post('/api/now/table/incident', {
      short_description: 'nginx is down on web-05',
    });
    const number = data.result.number as string;
    // While live, the page polls only every 30 s: a row within 10 s came by the stream.
    await page.getByRole('row').filter({ hasText: number }).waitFor({ timeout: 10_000 });
    await page.close();
  });

  it('shows the ServiceNow API budget: calls per hour against the hourly limit', async () => {
    const page = await world.signedInPage('vera', ['viewer']);
    await page.getByRole('link', { name: 'Overview' }).click();
    const budget = page.getByRole('region', { name: 'ServiceNow API budget' });
    await budget.getByRole('img', { name: 'ServiceNow API calls per hour' }).waitFor();
    await expect(budget.textContent()).resolves.toMatch(/This hour: [1-9]\d* calls of 3000 per hour/);
    // The default SLO (99 % success over 30 days) for all rules together, measured from the run history.
    const slo = page.getByRole('region', { name: 'Service level objectives' });
    await slo.getByRole('row').filter({ hasText: 'all rules' }).filter({ hasText: '99 % over 30 d' }).waitFor();
    await budget.scrollIntoViewIfNeeded();
    await expectAccessible(page);
    await page.screenshot({ path: join(shots, 'overview-budget.png'), fullPage: true });
    await page.close();
  });

  it('works from the keyboard alone: sign in, go to a page, search', async () => {
    const page = await world.browser.newPage();
    /** Presses Tab until the element has the focus, as a keyboard user would. */
    const tabTo = async (target: ReturnType<Page['getByLabel']>) => {
      for (let presses = 0; presses < 40; presses++) {
        // Runs in the page (the test code is compiled without the DOM types, hence any).
        if (await target.evaluate((el: any) => el === el.ownerDocument.activeElement)) return;
        await page.keyboard.press('Tab');
      }
      throw new Error('not reachable with Tab');
    };
    await page.goto(`${world.app.url}/console`);
    await tabTo(page.getByLabel('Token'));
    await page.keyboard.type(world.tokenFor('vera', ['viewer']));
    await page.keyboard.press('Enter');
    await tabTo(page.getByRole('link', { name: 'Events' }));
    await page.keyboard.press('Enter');
    await page.getByRole('heading', { name: 'Events' }).waitFor();
    await tabTo(page.getByLabel('Ticket'));
    await page.keyboard.type(outageTicket);
    await page.keyboard.press('Enter');
    await page.getByRole('row').filter({ hasText: outageTicket }).first().waitFor();
    await page.close();
  });
});

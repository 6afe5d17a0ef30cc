import { join } from 'node:path';
import type { Page } from 'playwright-core';
import { accessibilityViolations, screenshotDir, startConsoleWorld, type ConsoleWorld } from '../helpers/browser';
import { eventually } from '../helpers/waiting';

/**
 * The console in a real Chromium against the real app on the built-in sandbox: the demo incident's
 * run found by ticket number, what a viewer and an operator are offered, and a retry that works.
 */
describe('console: runs in a real browser', () => {
  let world: ConsoleWorld;
  const shots = screenshotDir();
  const cspViolations: string[] = [];

  /** Every console error the page logs; a Content-Security-Policy refusal would show here. */
  const watch = (page: Page) => {
    page.on('console', (m) => {
      if (m.type() === 'error' && /Content Security Policy|Refused to/i.test(m.text())) cspViolations.push(m.text());
    });
    return page;
  };

  const createIncident = async (shortDescription: string) => {
    const { data } = await world.sandbox.post('/api/now/table/incident', { short_description: shortDescription });
    return data.result as { sys_id: string; number: string };
  };

  const runStateOf = async (number: string, state: string) => {
    const token = world.tokenFor('test', ['viewer']);
    const res = await fetch(`${world.app.url}/api/v1/runs?ticket=${number}`, {
      headers: { Authorization: `Bearer ${token}` },
    });
    const runs = (await res.json()) as Array<{ id: string; state: string }>;
    return runs.find((r) => r.state === state);
  };

  beforeAll(async () => {
    world = await startConsoleWorld();
  }, 90_000);

  afterAll(async () => {
    await world?.close();
  });

  afterEach(() => {
    expect(cspViolations).toEqual([]);
  });

  it('shows the sign-in form with a Token field, and refuses a token the API refuses', async () => {
    const page = watch(await world.browser.newPage());
    await page.goto(`${world.app.url}/console`);
    await page.getByLabel('Token').fill('not-a-token');
    await page.getByRole('button', { name: 'Sign in', exact: true }).click();
    await expect(page.getByRole('alert').textContent()).resolves.toMatch(/Sign-in refused/);
    await page.getByLabel('Token').fill('');
    expect(await accessibilityViolations(page)).toEqual([]);
    await page.screenshot({ path: join(shots, 'sign-in.png') });
    await page.close();
  });

  it('lets a viewer find the demo incident by number and read its run, with no Retry offered', async () => {
    const incident = await createIncident('nginx is down on web-01');
    await eventually(() => runStateOf(incident.number, 'succeeded'), 30_000, 'the demo run succeeded');
    const page = watch(await world.signedInPage('vera', ['viewer']));

    await page.getByLabel('Ticket').fill(incident.number);
    await page.getByLabel('Ticket').press('Enter');
    const row = page.getByRole('row').filter({ hasText: incident.number });
    await row.getByRole('link', { name: 'restart-service-when-down' }).waitFor();
    await expect(row.textContent()).resolves.toMatch(/succeeded/);
    expect(await accessibilityViolations(page)).toEqual([]);
    await page.screenshot({ path: join(shots, 'runs.png'), fullPage: true });

    await row.getByRole('link', { name: 'restart-service-when-down' }).click();
    const step = page.getByRole('article', { name: 'Step restart' });
    await step.waitFor();
    await expect(step.textContent()).resolves.toMatch(/succeeded/);
    await expect(page.locator('.facts').textContent()).resolves.toMatch(/pinned to version\s*\S+/);
    // What was written to the ticket: the work note naming the rule, and the job's output attached.
    await page.getByRole('blockquote', { name: 'Work note' }).first().waitFor();
    await expect(page.getByRole('blockquote', { name: 'Work note' }).first().textContent()).resolves.toMatch(
      /Outcome: succeeded/,
    );
    await step.getByText('Output of restart').click();
    await expect(step.locator('pre').textContent()).resolves.not.toBe('');
    expect(await page.getByRole('button', { name: /retry/i }).count()).toBe(0);
    expect(await page.getByRole('button', { name: /cancel/i }).count()).toBe(0);
    expect(await accessibilityViolations(page)).toEqual([]);
    await page.screenshot({ path: join(shots, 'run-detail.png'), fullPage: true });
    await page.close();
  });

  it('lists a change run held by its gate under Waiting on change, with the reason', async () => {
    const ci = await world.sandbox.get('/api/now/table/cmdb_ci', { params: { sysparm_query: 'name=web-01' } });
    const hour = 3_600_000;
    const utc = (ms: number) => new Date(ms).toISOString().replace('T', ' ').slice(0, 19);
    const { data } = await world.sandbox.post('/api/now/table/change_request', {
      type: 'normal',
      cmdb_ci: ci.data.result[0].sys_id,
      short_description: 'Patch web-01',
      start_date: utc(Date.now() + hour),
      end_date: utc(Date.now() + 2 * hour),
      state: '-3',
      approval: 'requested',
    });
    const number = data.result.number as string;
    const page = watch(await world.signedInPage('vera', ['viewer']));
    await page.getByRole('link', { name: 'Waiting on change' }).click();
    const row = page.getByRole('row').filter({ hasText: number });
    await row.waitFor({ timeout: 30_000 });
    await expect(row.textContent()).resolves.toMatch(/patch-linux-host.*change/);
    expect(await accessibilityViolations(page)).toEqual([]);
    await page.screenshot({ path: join(shots, 'waiting.png'), fullPage: true });
    await page.close();
  });

  it('shows the overview: success rate, runs per hour, durations per rule', async () => {
    const page = watch(await world.signedInPage('vera', ['viewer']));
    await page.getByRole('link', { name: 'Overview' }).click();
    await page.getByRole('img', { name: 'Runs per hour' }).waitFor();
    await expect(page.getByText(/Success rate:/).textContent()).resolves.toMatch(/\d+\.\d %/);
    // The per-rule durations table (the SLO panel below lists the rule too).
    const row = page
      .getByRole('row')
      .filter({ hasText: 'restart-service-when-down' })
      .filter({ hasNotText: 'over 30 d' });
    await expect(row.textContent()).resolves.toMatch(/restart-service-when-down\d+\d+\d+\d/);
    expect(await accessibilityViolations(page)).toEqual([]);
    await page.screenshot({ path: join(shots, 'overview.png'), fullPage: true });
    await page.close();
  });

  it('lets an operator retry a failed run from the console, and the run then succeeds', async () => {
    // The controller refuses the next launch for good (400): the run fails and says why.
    await world.sandbox.put('/sandbox/faults/awx', {
      failNext: 1,
      failStatus: 400,
      methods: ['POST'],
      pathIncludes: '/launch/',
    });
    const incident = await createIncident('httpd is down on web-02');
    const failed = await eventually(() => runStateOf(incident.number, 'failed'), 30_000, 'the run failed');

    const viewer = watch(await world.signedInPage('vera', ['viewer']));
    await viewer.goto(`${world.app.url}/console#/runs/${failed.id}`);
    await viewer.getByRole('article', { name: 'Step restart' }).waitFor();
    expect(await viewer.getByRole('button', { name: /retry/i }).count()).toBe(0);
    await viewer.close();

    const page = watch(await world.signedInPage('olga', ['operator']));
    await page.goto(`${world.app.url}/console#/runs/${failed.id}`);
    const retry = page.getByRole('button', { name: 'Retry', exact: true });
    await retry.waitFor();
    expect(await accessibilityViolations(page)).toEqual([]);
    await page.screenshot({ path: join(shots, 'run-failed.png'), fullPage: true });
    await retry.click();
    await page.locator('.facts').getByText('succeeded').waitFor({ timeout: 30_000 });
    await page.getByText(/run\.retried by olga/).waitFor();
    await page.close();
  });
});

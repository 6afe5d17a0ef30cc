import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { accessibilityViolations, screenshotDir, startConsoleWorld, type ConsoleWorld } from '../helpers/browser';

/**
 * Rules in a real Chromium: the process tables, a rule's flow and its BPMN export, a dry-run that
 * names the clause a ticket fails, and a high-risk proposal approved by a second person.
 */
describe('console: rules in a real browser', () => {
  let world: ConsoleWorld;
  const shots = screenshotDir();

  beforeAll(async () => {
    world = await startConsoleWorld();
  }, 90_000);

  afterAll(async () => {
    await world?.close();
  });

  it("shows each process's rules and a rule's flow, and exports it as BPMN 2.0", async () => {
    const page = await world.signedInPage('vera', ['viewer']);
    await page.getByRole('link', { name: 'Rules', exact: true }).click();
    await page.getByRole('heading', { name: 'incident', exact: true }).waitFor();
    await page.getByRole('heading', { name: 'change_request', exact: true }).waitFor();
    expect(await accessibilityViolations(page)).toEqual([]);
    await page.screenshot({ path: join(shots, 'rules.png'), fullPage: true });

    await page.getByRole('link', { name: 'restart-service-when-down' }).click();
    const flow = page.getByRole('list', { name: 'Flow of restart-service-when-down' });
    await flow.waitFor();
    await expect(flow.textContent()).resolves.toMatch(
      /Trigger.*incident inserted.*Condition.*short_descriptionLIKEis down on.*Step.*restart.*Write-back.*success, failure/,
    );
    const [download] = await Promise.all([
      page.waitForEvent('download'),
      page.getByRole('button', { name: 'Export BPMN 2.0' }).click(),
    ]);
    expect(download.suggestedFilename()).toBe('restart-service-when-down.bpmn');
    const xml = readFileSync((await download.path())!, 'utf8');
    expect(xml).toContain('xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL"');
    expect(xml).toMatch(/<bpmn:serviceTask id="step_restart" name="restart \(ansible.launch_job_template\)"/);
    expect(await accessibilityViolations(page)).toEqual([]);
    await page.screenshot({ path: join(shots, 'rule-flow.png'), fullPage: true });
    await page.close();
  });

  it('explains why a ticket matches no rule: the clause of the condition it fails', async () => {
    const { data } = await world.sandbox.post('/api/now/table/incident', {
      short_description: 'printer on floor 3 is jammed',
    });
    const number = data.result.number as string;
    const page = await world.signedInPage('vera', ['viewer']);
    await page.goto(`${world.app.url}/console#/rules`);
    await page.getByLabel('Ticket number').fill(number);
    await page.getByRole('button', { name: 'Dry-run' }).click();
    const answer = page.getByRole('region', { name: 'Dry-run' });
    const row = answer.getByRole('row').filter({ hasText: 'restart-service-when-down' });
    await row.waitFor();
    await expect(row.textContent()).resolves.toMatch(/condition not met.*short_descriptionLIKEis down on/);
    await expect(answer.getByText('No rule matches.').count()).resolves.toBe(1);
    await page.getByRole('heading', { name: 'Dry-run' }).scrollIntoViewIfNeeded();
    expect(await accessibilityViolations(page)).toEqual([]);
    await page.screenshot({ path: join(shots, 'dry-run.png'), fullPage: true });

    // A pasted record that is not JSON gets a message naming the field, not a stack trace.
    await page.getByLabel('Ticket number').fill('');
    await page.getByLabel('or pasted record (JSON)').fill('{not json');
    await page.getByRole('button', { name: 'Dry-run' }).click();
    await page
      .getByRole('alert')
      .getByText(/^Record: not JSON/)
      .waitFor();
    await page.close();
  });

  it('lets a second person approve a high-risk proposal, and not its author', async () => {
    const file = join(world.mappingsDir, 'incident.yaml');
    const content = readFileSync(file, 'utf8').replace('risk: low', 'risk: high');
    const res = await fetch(`${world.app.url}/api/v1/rules/proposals`, {
      method: 'POST',
      headers: {
        Authorization: `Bearer ${world.tokenFor('erin', ['editor', 'approver'])}`,
        'Content-Type': 'application/json',
      },
      body: JSON.stringify({ file: 'incident.yaml', content, comment: 'restarts need a second look' }),
    });
    expect(res.status).toBe(200);
    expect(((await res.json()) as { state: string }).state).toBe('pending');

    const author = await world.signedInPage('erin', ['editor', 'approver']);
    await author.getByRole('link', { name: 'Proposals' }).click();
    const own = author.getByRole('article', { name: 'Proposal incident.yaml by erin' });
    await own.getByText('Your own proposal').waitFor();
    expect(await own.getByRole('button', { name: 'Approve' }).count()).toBe(0);
    await author.close();

    const page = await world.signedInPage('abe', ['approver']);
    await page.getByRole('link', { name: 'Proposals' }).click();
    const card = page.getByRole('article', { name: 'Proposal incident.yaml by erin' });
    await card.getByRole('button', { name: 'Show diff' }).click();
    await expect(card.getByLabel('Diff').textContent()).resolves.toMatch(/-\s+risk: low\n\+\s+risk: high/);
    await card.getByLabel('Comment').fill('checked with Linux Ops');
    expect(await accessibilityViolations(page)).toEqual([]);
    await page.screenshot({ path: join(shots, 'proposals.png'), fullPage: true });
    await card.getByRole('button', { name: 'Approve' }).click();
    await card.getByText(/Approved by abe/).waitFor();
    expect(readFileSync(file, 'utf8')).toBe(content);
    await page.close();
  });

  it('renders the API docs from the OpenAPI document, under the same Content-Security-Policy', async () => {
    const page = await world.browser.newPage();
    const refused: string[] = [];
    page.on('console', (m) => {
      if (m.type() === 'error' && /Content Security Policy|Refused to/i.test(m.text())) refused.push(m.text());
    });
    await page.goto(`${world.app.url}/api/v1/docs`);
    await page.getByText('Snowline API', { exact: false }).first().waitFor();
    await page.getByText('/api/v1/runs/{id}/timeline').first().waitFor();
    // Not audited with axe: Swagger UI's own markup (nested buttons, contrast) is upstream's (docs/console.md).
    await page.screenshot({ path: join(shots, 'api-docs.png') });
    expect(refused).toEqual([]);
    await page.close();
  });
});

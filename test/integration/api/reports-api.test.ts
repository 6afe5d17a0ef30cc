import request from 'supertest';
import { API_BASE } from '../../../src/api/http-app';
import { writeHistory } from '../../bench/history';
import { apiHarness, tokenFor } from './api-harness';

/** `GET /api/v1/reports/{kind}`: the same report as the CLI, as JSON or as text. */
describe('GET /api/v1/reports/{kind}', () => {
  let h: Awaited<ReturnType<typeof apiHarness>>;
  const now = Date.now();
  beforeAll(async () => {
    h = await apiHarness();
    await writeHistory(h.store.store, {
      runs: [
        {
          id: 'r1',
          rule: 'restart-service',
          ticket: 'INC0000001',
          state: 'failed',
          createdAt: now - 3_600_000,
          steps: [
            { name: 'restart', connector: 'ansible', action: 'launch', state: 'failed', durationMs: 10, error: 'x' },
          ],
        },
      ],
    });
  });
  afterAll(() => h.close());
  const get = (path: string) =>
    request(h.app)
      .get(`${API_BASE}${path}`)
      .set('Authorization', `Bearer ${tokenFor('viewer-1', ['viewer'])}`);

  it('answers the report object as JSON by default', async () => {
    const res = await get('/reports/failures?days=7');
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ kind: 'failures', summary: { 'failed steps': 1 } });
  });

  it('answers Markdown and CSV as text with their content types', async () => {
    const markdown = await get('/reports/failures?format=markdown');
    expect(markdown.headers['content-type']).toMatch(/^text\/markdown/);
    expect(markdown.text).toContain('| restart-service | 1 | x | 1 |');
    const csv = await get('/reports/failures?format=csv');
    expect(csv.headers['content-type']).toMatch(/^text\/csv/);
    expect(csv.text).toContain('By rule,restart-service,1,x,1');
  });

  it('refuses an unknown format', async () => {
    expect((await get('/reports/value?format=pdf')).status).toBe(400);
  });
});

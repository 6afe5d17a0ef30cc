import { InMemorySpanExporter, SimpleSpanProcessor } from '@opentelemetry/sdk-trace-base';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import axios, { type AxiosInstance } from 'axios';
import { stringify } from 'yaml';
import type { RunningApp } from '../../../src/app/app';
import { startServing } from '../../../src/cli/start-serving';
import { loadConfig } from '../../../src/config';
import { createLogger } from '../../../src/observability/logger';
import { startTracing } from '../../../src/observability/tracing';
import { issueToken } from '../../../src/security/jwt';
import { eventually, freePort } from '../../helpers/waiting';

/**
 * The demo with monitoring in front: Alertmanager reports nginx down, Snowline opens one incident
 * for the alert group, the shipped rule restarts nginx through the controller and resolves it, and
 * the resolved notification finds nothing left to do twice. The whole story is one trace: its id
 * tags the work note, the controller received it as `traceparent`, and its spans were recorded.
 * (The spans are kept in memory here: the OTLP exporter loads its transport by a dynamic import
 * that jest's module system refuses; `serve` exports them.)
 */

const TOKEN = 'alertmanager-e2e-token-0123456789';
const JWT_SECRET = 'e2e-jwt-secret-0123456789abcdef';

function payload(status: 'firing' | 'resolved') {
  return {
    version: '4',
    groupKey: '{}:{alertname="NginxDown"}',
    truncatedAlerts: 0,
    status,
    receiver: 'snowline',
    groupLabels: { alertname: 'NginxDown' },
    commonLabels: { alertname: 'NginxDown', instance: 'web-01', severity: 'critical' },
    commonAnnotations: { summary: 'nginx is down on web-01' },
    externalURL: 'http://alertmanager:9093',
    alerts: [
      {
        status,
        labels: { alertname: 'NginxDown', instance: 'web-01' },
        annotations: { summary: 'nginx is down on web-01' },
        startsAt: '2026-12-04T10:00:00Z',
        endsAt: status === 'resolved' ? '2026-12-04T10:05:00Z' : '0001-01-01T00:00:00Z',
        generatorURL: 'http://prometheus:9090/graph',
        fingerprint: 'a1b2c3d4e5f60718',
      },
    ],
  };
}

describe('Alertmanager to ServiceNow to the controller, in one trace', () => {
  let app: RunningApp;
  let dir: string;
  const spans = new InMemorySpanExporter();
  let tracing: { stop(): Promise<void> };
  let sn: AxiosInstance;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'snowline-am-'));
    // Started before the app, whose own start then finds tracing on and keeps this provider.
    tracing = startTracing({ enabled: true, serviceName: 'snowline-e2e' }, [new SimpleSpanProcessor(spans)]);
    writeFileSync(join(dir, 'overlay.yaml'), stringify({ awx: { pollIntervalMs: 100 } }));
    const [port, sandboxPort] = [await freePort(), await freePort()];
    const config = loadConfig({
      file: join(dir, 'overlay.yaml'),
      env: {
        PORT: String(port),
        SNOWLINE_SANDBOX_PORT: String(sandboxPort),
        SNOWLINE_DB: join(dir, 'snowline.db'),
        SNOWLINE_SANDBOX_DB: ':memory:',
        SNOWLINE_SANDBOX_WEBHOOK_URL: `http://127.0.0.1:${port}/webhooks/servicenow`,
        SNOWLINE_SANDBOX_JOB_MS: '200',
        SNOWLINE_SANDBOX_LATENCY: 'off',
        SNOWLINE_JWT_SECRET: JWT_SECRET,
        SNOWLINE_ALERTMANAGER_TOKEN: TOKEN,
        SNOWLINE_TRACING: 'true',
        LOG_LEVEL: 'error',
      },
    });
    app = await startServing(config, createLogger(process.env.DEBUG_E2E ? 'info' : 'error'));
    sn = axios.create({ baseURL: app.sandboxUrl, auth: { username: 'admin', password: 'admin' } });
  }, 60_000);

  afterAll(async () => {
    await app?.stop();
    await tracing?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  const post = (body: unknown, token = TOKEN) =>
    axios.post(`${app.url}/webhooks/alertmanager`, body, {
      headers: { Authorization: `Bearer ${token}` },
      validateStatus: () => true,
    });

  it('refuses a delivery without the configured token', async () => {
    expect((await post(payload('firing'), 'wrong')).status).toBe(401);
    expect(
      (await sn.get('/api/now/table/incident', { params: { sysparm_query: 'correlation_idSTARTSWITHalertmanager:' } }))
        .data.result,
    ).toEqual([]);
  });

  it('opens one incident per alert group, which the shipped rule remediates, in one trace', async () => {
    const first = await post(payload('firing'));
    expect(first.status).toBe(200);
    expect(first.data.result).toBe('opened');
    // Alertmanager repeats a firing group: still one incident.
    expect((await post(payload('firing'))).data.result).toBe('unchanged');

    const incident = await eventually(async () => {
      const { data } = await sn.get('/api/now/table/incident', {
        params: { sysparm_query: `correlation_id=${first.data.key}` },
      });
      return data.result.length === 1 && data.result[0].state === '6' ? data.result[0] : undefined;
    }, 30_000);
    expect(incident.short_description).toBe('nginx is down on web-01');

    const notes = await sn.get('/api/now/table/sys_journal_field', {
      params: { sysparm_query: `element_id=${incident.sys_id}^element=work_notes` },
    });
    const note = (notes.data.result as Array<{ value: string }>).map((n) => n.value).find((v) => /trace:/.test(v))!;
    expect(note).toMatch(/restart-service-when-down/);
    const traceId = /trace:([0-9a-f]{32})/.exec(note)![1]!;

    const jobs = await sn.get('/api/v2/jobs/');
    expect(jobs.data.count).toBe(1);
    const job = (await sn.get(`/api/v2/jobs/${jobs.data.results[0].id}/`)).data;
    expect(job.sandbox_traceparent).toMatch(new RegExp(`^00-${traceId}-[0-9a-f]{16}-01$`));
    expect(JSON.parse(job.extra_vars).snowline.traceparent).toMatch(new RegExp(`^00-${traceId}-`));

    const names = await eventually(
      async () => {
        const mine = spans
          .getFinishedSpans()
          .filter((s) => s.spanContext().traceId === traceId)
          .map((s) => s.name);
        return ['ingest', 'match', 'step restart', 'write-back', 'run restart-service-when-down'].every((n) =>
          mine.includes(n),
        )
          ? mine
          : undefined;
      },
      30_000,
      'the spans of the trace were recorded',
    );
    expect(names).toContain('gate');

    const resolved = await post(payload('resolved'));
    expect(resolved.data.result).toBe('resolved');
    expect((await post(payload('resolved'))).data.result).toBe('unchanged');
  }, 90_000);

  it('answers GET /api/v1/slo for a reader, and not for an anonymous caller', async () => {
    const token = issueToken(
      { secret: JWT_SECRET, issuer: 'snowline', audience: 'snowline-api' },
      'e2e',
      ['viewer'],
      300,
    );
    const { data } = await axios.get(`${app.url}/api/v1/slo`, { headers: { Authorization: `Bearer ${token}` } });
    const overall = data.slos.find((s: { id: string }) => s.id === '*:success');
    expect(overall).toMatchObject({ objective: 0.99, periodDays: 30, events: 1, bad: 0, sli: 1, burning: null });
    expect(data.slos.map((s: { id: string }) => s.id)).toContain('restart-service-when-down:success');
    expect((await axios.get(`${app.url}/api/v1/slo`, { validateStatus: () => true })).status).toBe(401);
  });
});

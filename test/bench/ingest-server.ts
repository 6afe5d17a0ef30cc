import { mkdtempSync } from 'node:fs';
import { createServer, type RequestListener } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import express from 'express';
import { createHttpApp } from '../../src/api/http-app';
import { createIntake } from '../../src/ingest/intake';
import { webhookReceiver } from '../../src/ingest/webhook.receiver';
import { silentLogger } from '../../src/observability/logger';
import { createMetrics } from '../../src/observability/metrics';
import { createTokenVerifier } from '../../src/security/jwt';
import { openStore, repositories } from '../../src/store';

/** The yardstick: an Express route that reads the body and answers 202. */
function bareRoute(): RequestListener {
  const app = express();
  app.post('/webhooks/servicenow', express.raw({ type: () => true, limit: 1024 * 1024 }), (_req, res) => {
    res.status(202).json({ accepted: true });
  });
  return app;
}

/** Snowline's HTTP surface as `serve` builds it, its webhook committing to a store of its own; no engine. */
async function snowlineHttp(): Promise<RequestListener> {
  const dir = mkdtempSync(join(tmpdir(), 'snowline-bench-'));
  const store = await openStore({
    sqlitePath: process.env.BENCH_DB ?? join(dir, 'bench.db'),
    postgresUrl: process.env.BENCH_DATABASE_URL || undefined,
    postgresSchema: process.env.BENCH_SCHEMA || undefined,
    checkpointInBackground: true,
  });
  const repos = repositories(store);
  const logger = silentLogger();
  const metrics = createMetrics();
  const intake = createIntake({ inbox: repos.inbox, metrics, onAccepted: () => undefined });
  return createHttpApp({
    logger,
    metrics,
    verifier: createTokenVerifier({
      secret: 'bench-jwt-secret-0123456789abcdef',
      issuer: 'snowline',
      audience: 'snowline',
    }),
    bodyLimitBytes: 1024 * 1024,
    version: 'bench',
    corsOrigins: [],
    rateLimitPerMinute: 600,
    routes: [],
    serviceNowWebhook: webhookReceiver(
      { secret: 'bench-secret', replayWindowSeconds: 300, bodyLimitBytes: 1024 * 1024 },
      intake,
      logger,
      metrics,
    ),
    readiness: async () => ({ ready: true, checks: {} }),
  });
}

/**
 * A child process serving one of the two benchmark targets on a free loopback port:
 * `bare` — the yardstick above;
 * `ingest` — Snowline's real webhook route: address limits, HMAC check, zod validation, inbox
 * commit, then 202.
 * Prints its port on stdout.
 */
async function main(mode: string): Promise<void> {
  const server = createServer(mode === 'bare' ? bareRoute() : await snowlineHttp());
  server.listen(0, '127.0.0.1', () => {
    process.stdout.write(`${(server.address() as { port: number }).port}\n`);
  });
}

void main(process.argv[2] ?? 'bare');

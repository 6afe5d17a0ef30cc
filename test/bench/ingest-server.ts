import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import express from 'express';
import { errorHandler } from '../../src/errors/http-error';
import { createIntake } from '../../src/ingest/intake';
import { SERVICENOW_WEBHOOK_PATH, webhookReceiver } from '../../src/ingest/webhook.receiver';
import { silentLogger } from '../../src/observability/logger';
import { createMetrics } from '../../src/observability/metrics';
import { openStore, repositories } from '../../src/store';

/**
 * A child process serving one of the two benchmark targets on a free loopback port:
 * `bare` — an Express route that reads the body and answers 202 (the yardstick);
 * `ingest` — Snowline's real webhook route: HMAC check, zod validation, inbox commit, then 202.
 * Prints its port on stdout.
 */
async function main(mode: string): Promise<void> {
  const app = express();
  if (mode === 'bare') {
    app.post('/webhooks/servicenow', express.raw({ type: () => true, limit: 1024 * 1024 }), (_req, res) => {
      res.status(202).json({ accepted: true });
    });
  } else {
    const dir = mkdtempSync(join(tmpdir(), 'snowline-bench-'));
    const store = await openStore({
      sqlitePath: process.env.BENCH_DB ?? join(dir, 'bench.db'),
      postgresUrl: process.env.BENCH_DATABASE_URL,
      postgresSchema: process.env.BENCH_SCHEMA || undefined,
    });
    const repos = repositories(store);
    const metrics = createMetrics();
    const intake = createIntake({ inbox: repos.inbox, metrics, onAccepted: () => undefined });
    app.post(
      SERVICENOW_WEBHOOK_PATH,
      webhookReceiver(
        { secret: 'bench-secret', replayWindowSeconds: 300, bodyLimitBytes: 1024 * 1024 },
        intake,
        silentLogger(),
        metrics,
      ),
    );
    app.use(errorHandler(silentLogger()));
  }
  const server = app.listen(0, '127.0.0.1', () => {
    process.stdout.write(`${(server.address() as { port: number }).port}\n`);
  });
}

void main(process.argv[2] ?? 'bare');

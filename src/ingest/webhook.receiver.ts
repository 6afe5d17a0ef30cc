import type { IncomingMessage, ServerResponse } from 'node:http';
import { z } from 'zod';
import { sendError, sendFailure, sendJson } from '../errors/http-error';
import type { Logger } from '../observability/logger';
import type { Metrics } from '../observability/metrics';
import { ReplayCache } from '../security/replay-cache';
import { SIGNATURE_HEADER, TIMESTAMP_HEADER, verifyWebhook } from '../security/webhook-signature';
import { ticketEventSchema } from '../engine/event.schema';
import type { Intake } from './intake';
import { BodyRefused, readBody } from './request-body';

/** Where ServiceNow's Business Rule posts. */
export const SERVICENOW_WEBHOOK_PATH = '/webhooks/servicenow';

export interface WebhookOptions {
  secret: string;
  replayWindowSeconds: number;
  bodyLimitBytes: number;
  /** Source addresses allowed to deliver; empty = any (the HMAC still applies). */
  allowedIps?: readonly string[];
  /** How many accepted signatures are remembered to refuse replays. */
  replayCacheSize?: number;
}

/** Takes one delivery to `SERVICENOW_WEBHOOK_PATH`; Node's own request and response, so Express can mount it too. */
export type WebhookReceiver = (req: IncomingMessage, res: ServerResponse) => void;

/**
 * `POST /webhooks/servicenow`: verify the HMAC over the raw bytes, then parse, then validate, then
 * commit to the inbox, then answer 202. A bad signature (401) or a malformed body (400, naming
 * the field) stores nothing.
 *
 * It reads Node's request as it is, with no framework in between: the busiest route is served at
 * about twice the rate Express's routing and body parser allow (docs/benchmarks.md).
 */
export function webhookReceiver(
  options: WebhookOptions,
  intake: Intake,
  logger: Logger,
  metrics: Metrics,
): WebhookReceiver {
  const replays = new ReplayCache(options.replayCacheSize ?? 100_000);
  const allowed = new Set((options.allowedIps ?? []).map(normaliseIp));

  async function receive(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const ip = req.socket.remoteAddress ?? '';
    if (allowed.size > 0 && !allowed.has(normaliseIp(ip))) {
      metrics.eventsReceived.inc({ source: 'webhook', result: 'ip_refused' });
      logger.warn('webhook refused', { reason: 'source address not allowed', ip });
      return sendError(res, 403, 'webhook.source_not_allowed', 'source address is not in security.webhookAllowedIps');
    }
    const raw = await readBody(req, options.bodyLimitBytes);
    const timestamp = header(req, TIMESTAMP_HEADER);
    const verdict = verifyWebhook(options.secret, { timestamp, signature: header(req, SIGNATURE_HEADER) }, raw, {
      windowSeconds: options.replayWindowSeconds,
    });
    if (!verdict.ok) {
      metrics.eventsReceived.inc({ source: 'webhook', result: 'bad_signature' });
      logger.warn('webhook refused', { reason: verdict.reason, ip });
      return sendError(res, 401, 'webhook.bad_signature', `signature refused: ${verdict.reason.replace(/_/g, ' ')}`);
    }
    // Keyed by the decoded bytes: the same signature re-spelled (upper-case hex, Base64) is the same delivery.
    const signature = verdict.digest.toString('hex');
    const nowSeconds = Math.floor(Date.now() / 1000);
    if (replays.has(signature, nowSeconds)) {
      metrics.eventsReceived.inc({ source: 'webhook', result: 'replayed' });
      logger.warn('webhook refused', { reason: 'replayed signature', ip });
      return sendError(res, 409, 'webhook.replayed', 'this signed delivery was already accepted');
    }
    const parsed = ticketEventSchema.safeParse(parseJson(raw));
    if (!parsed.success) {
      metrics.eventsReceived.inc({ source: 'webhook', result: 'malformed' });
      const problems = parsed.error.issues.map((i) => ({ path: i.path.join('.') || '(body)', message: describe(i) }));
      const message = problems.map((p) => `${p.path}: ${p.message}`).join('; ');
      return sendError(res, 400, 'webhook.malformed', message, problems);
    }
    // Remembered before the commit so a copy sent meanwhile is refused too; forgotten again when the
    // commit fails, so a sender retrying a delivery that failed here is not refused.
    replays.remember(signature, Number(timestamp) + options.replayWindowSeconds, nowSeconds);
    let accepted: Awaited<ReturnType<Intake['accept']>>;
    try {
      accepted = await intake.accept(parsed.data, 'webhook', header(req, 'x-correlation-id'));
    } catch (err) {
      replays.forget(signature);
      throw err;
    }
    const { duplicate, key } = accepted;
    sendJson(res, 202, { accepted: true, duplicate, key });
  }

  return (req, res) => {
    receive(req, res).catch((err: unknown) => {
      if (res.headersSent) return;
      if (err instanceof BodyRefused) return sendError(res, err.status, err.code, err.message);
      sendFailure(res, err, logger, { method: req.method, path: SERVICENOW_WEBHOOK_PATH });
    });
  };
}

function header(req: IncomingMessage, name: string): string | undefined {
  const value = req.headers[name];
  return Array.isArray(value) ? value[0] : value;
}

/** `::ffff:127.0.0.1` (IPv4 on a dual-stack socket) and `127.0.0.1` are the same address. */
function normaliseIp(ip: string): string {
  return ip.replace(/^::ffff:(\d+\.\d+\.\d+\.\d+)$/i, '$1').toLowerCase();
}

const NOT_JSON = Symbol('not json');
function parseJson(raw: Buffer): unknown {
  try {
    return JSON.parse(raw.toString('utf8'));
  } catch {
    return NOT_JSON;
  }
}

function describe(issue: z.core.$ZodIssue): string {
  if (issue.path.length === 0 && issue.code === 'invalid_type') return 'not a JSON object';
  if (issue.code === 'unrecognized_keys') return `unknown field(s) ${issue.keys.join(', ')}`;
  return issue.message.replace(/^Invalid input: /, '');
}

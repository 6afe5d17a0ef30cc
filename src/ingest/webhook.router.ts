import express, { Router, type Response } from 'express';
import { z } from 'zod';
import { sendError } from '../errors/http-error';
import type { Logger } from '../observability/logger';
import type { Metrics } from '../observability/metrics';
import { ReplayCache } from '../security/replay-cache';
import { SIGNATURE_HEADER, TIMESTAMP_HEADER, verifyWebhook } from '../security/webhook-signature';
import { ticketEventSchema } from '../engine/event.schema';
import type { Intake } from './intake';

export interface WebhookOptions {
  secret: string;
  replayWindowSeconds: number;
  bodyLimitBytes: number;
  /** Source addresses allowed to deliver; empty = any (the HMAC still applies). */
  allowedIps?: readonly string[];
  /** How many accepted signatures are remembered to refuse replays. */
  replayCacheSize?: number;
}

/**
 * `POST /webhooks/servicenow`: verify the HMAC over the raw bytes, then parse, then validate, then
 * commit to the inbox, then answer 202. A bad signature (401) or a malformed body (400, naming
 * the field) stores nothing.
 */
export function webhookRouter(options: WebhookOptions, intake: Intake, logger: Logger, metrics: Metrics): Router {
  const router = Router();
  const replays = new ReplayCache(options.replayCacheSize ?? 100_000);
  const allowed = new Set((options.allowedIps ?? []).map(normaliseIp));
  router.post(
    '/webhooks/servicenow',
    express.raw({ type: () => true, limit: options.bodyLimitBytes }),
    async (req, res, next) => {
      try {
        if (allowed.size > 0 && !allowed.has(normaliseIp(req.socket.remoteAddress ?? ''))) {
          metrics.eventsReceived.inc({ source: 'webhook', result: 'ip_refused' });
          logger.warn('webhook refused', { reason: 'source address not allowed', ip: req.socket.remoteAddress });
          return sendError(
            res,
            403,
            'webhook.source_not_allowed',
            'source address is not in security.webhookAllowedIps',
          );
        }
        const raw = Buffer.isBuffer(req.body) ? req.body : Buffer.alloc(0);
        const verdict = verifyWebhook(
          options.secret,
          { timestamp: req.get(TIMESTAMP_HEADER), signature: req.get(SIGNATURE_HEADER) },
          raw,
          { windowSeconds: options.replayWindowSeconds },
        );
        if (!verdict.ok) {
          metrics.eventsReceived.inc({ source: 'webhook', result: 'bad_signature' });
          logger.warn('webhook refused', { reason: verdict.reason, ip: req.ip });
          return sendError(
            res,
            401,
            'webhook.bad_signature',
            `signature refused: ${verdict.reason.replace(/_/g, ' ')}`,
          );
        }
        // Keyed by the decoded bytes: the same signature re-spelled (upper-case hex, Base64) is the same delivery.
        const signature = verdict.digest.toString('hex');
        const nowSeconds = Math.floor(Date.now() / 1000);
        if (replays.has(signature, nowSeconds)) {
          metrics.eventsReceived.inc({ source: 'webhook', result: 'replayed' });
          logger.warn('webhook refused', { reason: 'replayed signature', ip: req.ip });
          return sendError(res, 409, 'webhook.replayed', 'this signed delivery was already accepted');
        }
        const parsed = ticketEventSchema.safeParse(parseJson(raw));
        if (!parsed.success) {
          metrics.eventsReceived.inc({ source: 'webhook', result: 'malformed' });
          const problems = parsed.error.issues.map((i) => ({
            path: i.path.join('.') || '(body)',
            message: describe(i),
          }));
          return sendError(
            res,
            400,
            'webhook.malformed',
            problems.map((p) => `${p.path}: ${p.message}`).join('; '),
            problems,
          );
        }
        // Remembered before the commit so a copy sent meanwhile is refused too; forgotten again when the
        // commit fails, so a sender retrying a delivery that failed here is not refused.
        replays.remember(signature, Number(req.get(TIMESTAMP_HEADER)) + options.replayWindowSeconds, nowSeconds);
        let accepted: Awaited<ReturnType<Intake['accept']>>;
        try {
          accepted = await intake.accept(parsed.data, 'webhook', req.get('x-correlation-id') ?? undefined);
        } catch (err) {
          replays.forget(signature);
          throw err;
        }
        const { duplicate, key } = accepted;
        answerJson(res, 202, { accepted: true, duplicate, key });
      } catch (err) {
        next(err);
      }
    },
  );
  return router;
}

/**
 * Writes a JSON answer straight to the socket: express's `res.json` would also hash the body for an
 * ETag and check it against conditional-request headers, of no use to a webhook sender.
 */
function answerJson(res: Response, status: number, body: object): void {
  const text = JSON.stringify(body);
  res.writeHead(status, {
    'content-type': 'application/json; charset=utf-8',
    'content-length': Buffer.byteLength(text),
  });
  res.end(text);
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

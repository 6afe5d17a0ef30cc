import { createHash, timingSafeEqual } from 'node:crypto';
import express, { Router } from 'express';
import { sendError } from '../errors/http-error';
import type { Logger } from '../observability/logger';
import type { AlertmanagerSettings } from '../observability/observability-config';
import type { AlertCondition } from '../slo/alert-conditions';
import type { AlertRaiser } from '../slo/alert-raiser';
import { alertmanagerPayloadSchema, type AlertmanagerPayload } from './alertmanager.schema';

/**
 * `POST /webhooks/alertmanager`: one ServiceNow incident per Alertmanager alert group (its
 * `groupKey`), opened when the group fires, updated when the set of firing alerts changes, resolved
 * when the group resolves. Unlike Snowline's own alerts, these incidents are meant for the rules:
 * their insert reaches the rules like any other, so a remediation rule can act on them.
 */
export function alertmanagerRouter(settings: AlertmanagerSettings, raiser: AlertRaiser, logger: Logger): Router {
  const router = Router();
  router.post('/webhooks/alertmanager', express.json({ limit: '1mb' }), async (req, res, next) => {
    try {
      if (!authorised(settings, req.get('authorization') ?? '')) {
        logger.warn('alertmanager delivery refused', { reason: 'bad credentials', ip: req.ip });
        return sendError(res, 401, 'alertmanager.unauthorised', 'expected the configured bearer token or basic auth');
      }
      const parsed = alertmanagerPayloadSchema.safeParse(req.body);
      if (!parsed.success)
        return sendError(
          res,
          400,
          'alertmanager.malformed',
          parsed.error.issues.map((i) => `${i.path.join('.') || '(body)'}: ${i.message}`).join('; '),
        );
      const condition = conditionOf(parsed.data);
      const result =
        parsed.data.status === 'firing'
          ? await raiser.raise(condition, 'incident')
          : (await raiser.resolve(condition.key))
            ? 'resolved'
            : 'unchanged';
      res.status(200).json({ key: condition.key, result });
    } catch (err) {
      next(err);
    }
  });
  return router;
}

/** The Alertmanager receiver, when configured (`observability.alertmanager`). */
export function alertmanagerRouters(
  settings: AlertmanagerSettings | undefined,
  raiser: AlertRaiser,
  logger: Logger,
): Router[] {
  return settings ? [alertmanagerRouter(settings, raiser, logger)] : [];
}

/** The group as an alert condition; its detail lists the firing alerts, so a change there updates the incident. */
export function conditionOf(payload: AlertmanagerPayload): AlertCondition {
  const firing = payload.alerts.filter((a) => a.status === 'firing');
  const name = payload.commonLabels.alertname ?? payload.groupLabels.alertname ?? 'Alert';
  const text = payload.commonAnnotations.summary ?? payload.commonAnnotations.description ?? '';
  const severity = payload.commonLabels.severity ?? '';
  return {
    key: `alertmanager:${createHash('sha256').update(payload.groupKey).digest('hex').slice(0, 32)}`,
    kind: 'alertmanager',
    // The annotation alone, as monitoring wrote it: the rules match on it like on any incident.
    summary: text || name,
    severity: ['critical', 'page'].includes(severity) ? 'page' : 'ticket',
    detail: {
      receiver: payload.receiver,
      groupLabels: payload.groupLabels,
      firing: firing.map((a) => ({ fingerprint: a.fingerprint, labels: a.labels, startsAt: a.startsAt })),
      ...(payload.externalURL ? { alertmanager: payload.externalURL } : {}),
    },
    fields: payload.commonLabels.cmdb_ci ? { cmdb_ci: payload.commonLabels.cmdb_ci } : undefined,
  };
}

function authorised(settings: AlertmanagerSettings, header: string): boolean {
  if (settings.bearerToken && equal(header, `Bearer ${settings.bearerToken}`)) return true;
  if (settings.username && settings.password) {
    const basic = `Basic ${Buffer.from(`${settings.username}:${settings.password}`).toString('base64')}`;
    if (equal(header, basic)) return true;
  }
  return false;
}

function equal(given: string, expected: string): boolean {
  const a = createHash('sha256').update(given).digest();
  const b = createHash('sha256').update(expected).digest();
  return timingSafeEqual(a, b);
}

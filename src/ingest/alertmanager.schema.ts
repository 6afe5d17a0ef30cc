import { z } from 'zod';

/**
 * Alertmanager's webhook payload, version 4
 * (https://prometheus.io/docs/alerting/latest/configuration/#webhook_config). Unknown fields are
 * kept out, not refused: Alertmanager may add some.
 */
const labels = z.record(z.string(), z.string());

export const alertmanagerPayloadSchema = z.object({
  version: z.literal('4'),
  groupKey: z.string().min(1),
  truncatedAlerts: z.number().int().nonnegative().default(0),
  status: z.enum(['firing', 'resolved']),
  receiver: z.string(),
  groupLabels: labels.default({}),
  commonLabels: labels.default({}),
  commonAnnotations: labels.default({}),
  externalURL: z.string().default(''),
  alerts: z.array(
    z.object({
      status: z.enum(['firing', 'resolved']),
      labels: labels.default({}),
      annotations: labels.default({}),
      startsAt: z.string(),
      endsAt: z.string().optional(),
      generatorURL: z.string().default(''),
      fingerprint: z.string().default(''),
    }),
  ),
});
export type AlertmanagerPayload = z.infer<typeof alertmanagerPayloadSchema>;

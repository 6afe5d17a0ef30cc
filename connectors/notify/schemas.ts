import { z } from 'zod';

/**
 * Shapes of the notify connector. Channels are named in config with their secrets (a webhook URL is
 * itself the credential; an SMTP password); steps name a channel and give only the text, so ticket
 * text can never choose where a message goes.
 */

const secret = z.string().min(1);
const channelName = z.string().regex(/^[a-z][a-z0-9_-]{0,63}$/, 'must be a short lowercase name');

/** What a channel tolerates: messages in flight at once and per hour (shared by the fleet through Redis). */
const limitFields = {
  maxConcurrent: z.number().int().min(1).max(100).default(1).describe('messages in flight at once'),
  requestsPerHour: z
    .number()
    .int()
    .positive()
    .optional()
    .describe('messages per hour at most; default: the service’s published limit (see README)'),
  timeoutMs: z.number().int().positive().max(300_000).default(10_000).describe('per message, in ms'),
};

const webhookUrl = secret
  .refine((u) => /^https?:\/\/[^\s]+$/.test(u), 'must be an http(s) URL')
  .describe('the incoming webhook URL, a secret: give it as env:NAME or file:PATH');

export const channelSchema = z.discriminatedUnion('type', [
  z.object({ type: z.literal('slack'), webhookUrl, ...limitFields }).strict(),
  z.object({ type: z.literal('teams'), webhookUrl, ...limitFields }).strict(),
  z
    .object({
      type: z.literal('smtp'),
      host: z.string().min(1),
      port: z.number().int().min(1).max(65535).default(587),
      secure: z.boolean().default(false).describe('TLS from the start (port 465); false = STARTTLS when offered'),
      requireTLS: z.boolean().default(false).describe('refuse to send unless STARTTLS succeeds'),
      username: z.string().min(1).optional(),
      password: secret.optional(),
      from: z.string().min(3).describe('e.g. "Snowline <snowline@example.com>"'),
      to: z.array(z.string().email()).min(1).max(50).describe('recipients: only config chooses them'),
      ...limitFields,
    })
    .strict()
    .refine((c) => (c.username === undefined) === (c.password === undefined), {
      message: 'give both username and password, or neither',
      path: ['password'],
    }),
]);
export type ChannelConfig = z.infer<typeof channelSchema>;

export const notifyConfigSchema = z
  .object({ channels: z.record(channelName, channelSchema).describe('where messages may go, by name') })
  .strict();
export type NotifyConfig = z.infer<typeof notifyConfigSchema>;
export type NotifyConfigInput = z.input<typeof notifyConfigSchema>;

const oneLine = (max: number) =>
  z
    .string()
    .min(1)
    .max(max)
    .refine((v) => !/[\r\n]/.test(v), 'must be one line');

export const chatParamsSchema = z
  .object({
    channel: z.string().min(1).describe('a channel name from config'),
    title: oneLine(250).optional(),
    text: z.string().min(1).max(30_000).describe('plain text: markup in it is shown, not followed'),
  })
  .strict();
export type ChatParams = z.infer<typeof chatParamsSchema>;

export const emailParamsSchema = z
  .object({
    channel: z.string().min(1).describe('an smtp channel name from config'),
    subject: oneLine(250),
    text: z.string().min(1).max(100_000).describe('the plain-text body'),
  })
  .strict();
export type EmailParams = z.infer<typeof emailParamsSchema>;

export const sentResultSchema = z.object({
  channel: z.string(),
  status: z.number().int().optional().describe('the webhook’s HTTP status'),
  message_id: z.string().optional().describe('the e-mail’s Message-ID'),
});
export type SentResult = z.infer<typeof sentResultSchema>;

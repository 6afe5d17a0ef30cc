import { createHash } from 'node:crypto';
import type { ActionHandler, ActionSpec } from '../../connector';
import { MailChannel, type Channel } from '../client';
import { emailParamsSchema, sentResultSchema, type EmailParams, type SentResult } from '../schemas';
import { paramsAndChannel } from './channel-of';

/** `notify.email`: one plain-text e-mail through an SMTP channel, to the recipients config gives it. */
export const emailAction: ActionSpec<EmailParams, SentResult> = {
  name: 'email',
  risk: 'low',
  description: "Send a plain-text e-mail through an SMTP channel to the channel's recipients",
  params: emailParamsSchema,
  result: sentResultSchema,
};

/** One Message-ID per step, the same on every attempt: a message sent twice is one message to mail clients. */
export function messageIdOf(idempotencyKey: string): string {
  return `<snowline.${createHash('sha256').update(idempotencyKey).digest('hex').slice(0, 32)}@snowline.invalid>`;
}

export function createEmailHandler(channels: ReadonlyMap<string, Channel>): ActionHandler<EmailParams, SentResult> {
  return {
    async start(input, ctx) {
      const { params, channel } = paramsAndChannel(
        'email',
        emailParamsSchema,
        input,
        channels,
        (c): c is MailChannel => c instanceof MailChannel,
      );
      const { messageId } = await channel.send({
        subject: params.subject,
        text: params.text,
        messageId: messageIdOf(ctx.idempotencyKey),
      });
      ctx.logger.info('notify: e-mail sent', { channel: channel.name, messageId });
      return { status: 'done', result: { channel: channel.name, message_id: messageId } };
    },
  };
}

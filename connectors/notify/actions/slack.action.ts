import type { ActionHandler, ActionSpec } from '../../connector';
import { WebhookChannel, type Channel } from '../client';
import { chatParamsSchema, sentResultSchema, type ChatParams, type SentResult } from '../schemas';
import { paramsAndChannel } from './channel-of';

/** `notify.slack`: one message to a Slack incoming webhook. */
export const slackAction: ActionSpec<ChatParams, SentResult> = {
  name: 'slack',
  risk: 'low',
  description: 'Post a message to a Slack channel through its incoming webhook',
  params: chatParamsSchema,
  result: sentResultSchema,
};

/**
 * Slack reads `&`, `<` and `>` as markup (`<!channel>` pings everyone, `<url|text>` disguises a
 * link): they are escaped as Slack documents, so ticket text is shown as written
 * (https://docs.slack.dev/messaging/formatting-message-text#escaping).
 */
export function slackEscape(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

export function createSlackHandler(channels: ReadonlyMap<string, Channel>): ActionHandler<ChatParams, SentResult> {
  return {
    async start(input, ctx) {
      const { params, channel } = paramsAndChannel(
        'slack',
        chatParamsSchema,
        input,
        channels,
        (c): c is WebhookChannel => c instanceof WebhookChannel && c.type === 'slack',
      );
      const text = params.title
        ? `*${slackEscape(params.title)}*\n${slackEscape(params.text)}`
        : slackEscape(params.text);
      const { status } = await channel.post({ text }, ctx.signal);
      ctx.logger.info('notify: slack message sent', { channel: channel.name, status });
      return { status: 'done', result: { channel: channel.name, status } };
    },
  };
}

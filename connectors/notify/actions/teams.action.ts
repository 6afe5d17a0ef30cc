import type { ActionHandler, ActionSpec } from '../../connector';
import { WebhookChannel, type Channel } from '../client';
import { chatParamsSchema, sentResultSchema, type ChatParams, type SentResult } from '../schemas';
import { paramsAndChannel } from './channel-of';

/** `notify.teams`: one message to a Microsoft Teams incoming webhook (a Workflows "post to a channel" URL). */
export const teamsAction: ActionSpec<ChatParams, SentResult> = {
  name: 'teams',
  risk: 'low',
  description: 'Post a message to a Microsoft Teams channel through its incoming webhook',
  params: chatParamsSchema,
  result: sentResultSchema,
};

/**
 * The message as an Adaptive Card, the format Teams webhooks take
 * (https://learn.microsoft.com/microsoftteams/platform/webhooks-and-connectors/how-to/connectors-using).
 * A TextBlock renders a small Markdown subset (bold, italic, lists, links) and nothing else: no
 * mention reaches anyone without an explicit mention entity, which this card never carries, so
 * ticket text can format a message but not ping a channel.
 */
export function teamsCard(params: ChatParams): object {
  const block = (text: string, extra: object = {}) => ({
    type: 'TextBlock',
    text,
    wrap: true,
    ...extra,
  });
  return {
    type: 'message',
    attachments: [
      {
        contentType: 'application/vnd.microsoft.card.adaptive',
        content: {
          $schema: 'http://adaptivecards.io/schemas/adaptive-card.json',
          type: 'AdaptiveCard',
          version: '1.4',
          body: [
            ...(params.title ? [block(params.title, { weight: 'Bolder', size: 'Medium' })] : []),
            block(params.text),
          ],
        },
      },
    ],
  };
}

export function createTeamsHandler(channels: ReadonlyMap<string, Channel>): ActionHandler<ChatParams, SentResult> {
  return {
    async start(input, ctx) {
      const { params, channel } = paramsAndChannel(
        'teams',
        chatParamsSchema,
        input,
        channels,
        (c): c is WebhookChannel => c instanceof WebhookChannel && c.type === 'teams',
      );
      const { status } = await channel.post(teamsCard(params), ctx.signal);
      ctx.logger.info('notify: teams message sent', { channel: channel.name, status });
      return { status: 'done', result: { channel: channel.name, status } };
    },
  };
}

import type { ConnectorDeps, ConnectorDescriptor, ConnectorRuntime } from '../connector';
import type { SharedLimiters } from '../rate-limiters';
import { createEmailHandler, emailAction } from './actions/email.action';
import { createSlackHandler, slackAction } from './actions/slack.action';
import { createTeamsHandler, teamsAction } from './actions/teams.action';
import { createChannels, type Channel } from './client';
import { classifyError } from './errors';
import { notifyConfigSchema, type NotifyConfig } from './schemas';

export { notifyConfigSchema } from './schemas';
export type { NotifyConfig, NotifyConfigInput } from './schemas';

export const notifyActions = { slack: slackAction, teams: teamsAction, email: emailAction };

/** The runtime over built channels; `close` gives their limiters and SMTP connections back. */
export function createNotifyRuntime(channels: Map<string, Channel>): ConnectorRuntime & { close(): Promise<void> } {
  return {
    actions: {
      slack: createSlackHandler(channels),
      teams: createTeamsHandler(channels),
      email: createEmailHandler(channels),
    },
    async health() {
      // Webhooks have no read-only call to probe; a failing channel shows in its steps.
      return { ok: true, detail: `${channels.size} channels configured` };
    },
    async close() {
      await Promise.all([...channels.values()].map((c) => c.close()));
    },
  };
}

/**
 * Notifications to chat and e-mail: Slack and Microsoft Teams incoming webhooks, and SMTP. Usable
 * as steps, and as what a rule (or the configuration, for every rule) runs when a run fails
 * (`on_failure`). Webhooks take no idempotency key: a message whose send broke off is sent again.
 */
export const notifyConnector: ConnectorDescriptor<NotifyConfig> = {
  name: 'notify',
  description: 'Notifications: Slack and Teams incoming webhooks, e-mail through SMTP',
  config: notifyConfigSchema,
  actions: notifyActions,
  acceptsIdempotencyKeys: false,
  defaults: {
    maxConcurrent: 4,
    requestsPerHour: undefined,
    retry: { maxAttempts: 5, baseDelayMs: 2000, maxDelayMs: 60_000 },
    breaker: { failureThreshold: 5, resetAfterMs: 60_000 },
  },
  classify: classifyError,
  create(config: NotifyConfig, deps: ConnectorDeps & { limiters?: Pick<SharedLimiters, 'shared'> }) {
    return createNotifyRuntime(createChannels(config, deps.limiters));
  },
};

import Bottleneck from 'bottleneck';
import nodemailer, { type Transporter } from 'nodemailer';
import type { RequestLimiter } from '../failover-limiter';
import {
  createHttpTransport,
  LimiterFailure,
  limiterUnavailable,
  retryAfterMs,
  throughLimiter,
  type HttpTransport,
} from '../transport';
import { limiterOptions, type RateLimit, type SharedLimiters } from '../rate-limiters';
import { CONNECTOR, networkFailure, smtpFailure, webhookRefused } from './errors';
import type { ChannelConfig, NotifyConfig } from './schemas';

/**
 * Published limits, per channel: Slack takes one message per second on an incoming webhook
 * (https://docs.slack.dev/apis/web-api/rate-limits); Teams throttles a webhook at 100 per hour
 * (https://learn.microsoft.com/microsoftteams/platform/webhooks-and-connectors/how-to/connectors-using#rate-limiting-for-connectors).
 * SMTP servers publish none: unlimited unless config says.
 */
const DEFAULT_PER_HOUR: Record<ChannelConfig['type'], number | undefined> = {
  slack: 3600,
  teams: 100,
  smtp: undefined,
};

/** One configured channel: sends through its own limiter, so a burst of failures waits its turn. */
export abstract class Channel {
  constructor(
    readonly name: string,
    readonly type: ChannelConfig['type'],
    protected readonly limiter: RequestLimiter,
    private readonly ownsLimiter: boolean,
  ) {}

  protected async limited<T>(send: () => Promise<T>): Promise<T> {
    try {
      return await throughLimiter(this.limiter, send);
    } catch (err) {
      if (err instanceof LimiterFailure) throw limiterUnavailable(CONNECTOR, err, { channel: this.name });
      throw err;
    }
  }

  /** Messages still waiting for their turn are refused (their steps are retried later, or by the next instance). */
  async close(): Promise<void> {
    if (this.limiter instanceof Bottleneck) await this.limiter.stop({ dropWaitingJobs: true });
    else if (this.ownsLimiter) await this.limiter.disconnect(false);
  }
}

/** A Slack or Teams incoming webhook: one JSON POST per message. */
export class WebhookChannel extends Channel {
  private readonly transport: HttpTransport<{ channel: string }>;

  constructor(
    name: string,
    private readonly config: Extract<ChannelConfig, { type: 'slack' | 'teams' }>,
    limiter: RequestLimiter,
    ownsLimiter: boolean,
  ) {
    super(name, config.type, limiter, ownsLimiter);
    this.transport = createHttpTransport({
      connector: CONNECTOR,
      timeoutMs: config.timeoutMs,
      limiter,
      responseType: 'text',
      networkError: (err, facts) => networkFailure(facts.channel, err),
    });
  }

  async post(body: object, signal?: AbortSignal): Promise<{ status: number }> {
    const res = await this.transport.send(
      {
        method: 'POST',
        url: this.config.webhookUrl,
        headers: { 'Content-Type': 'application/json' },
        data: JSON.stringify(body),
        signal,
      },
      { channel: this.name },
    );
    if (res.status >= 200 && res.status < 300) return { status: res.status };
    throw webhookRefused(
      this.name,
      res.status,
      String(res.data ?? ''),
      retryAfterMs(res.headers['retry-after'], Date.now()),
    );
  }
}

/** An SMTP server, through nodemailer; recipients and sender come from config only. */
export class MailChannel extends Channel {
  private readonly transport: Transporter;

  constructor(
    name: string,
    private readonly config: Extract<ChannelConfig, { type: 'smtp' }>,
    limiter: RequestLimiter,
    ownsLimiter: boolean,
  ) {
    super(name, 'smtp', limiter, ownsLimiter);
    this.transport = nodemailer.createTransport({
      host: config.host,
      port: config.port,
      secure: config.secure,
      requireTLS: config.requireTLS,
      auth: config.username ? { user: config.username, pass: config.password } : undefined,
      connectionTimeout: config.timeoutMs,
      greetingTimeout: config.timeoutMs,
      socketTimeout: config.timeoutMs,
      logger: false,
    });
  }

  /** Sends a plain-text message; `messageId` stays the same across attempts, so a repeat is recognisable. */
  async send(mail: { subject: string; text: string; messageId: string }): Promise<{ messageId: string }> {
    return this.limited(async () => {
      await this.transport
        .sendMail({
          from: this.config.from,
          to: this.config.to,
          subject: mail.subject,
          text: mail.text,
          messageId: mail.messageId,
        })
        .catch((err: unknown) => {
          throw smtpFailure(this.name, err);
        });
      return { messageId: mail.messageId };
    });
  }

  override async close(): Promise<void> {
    this.transport.close();
    await super.close();
  }
}

/** Every configured channel, each with its limiter (fleet-wide through Redis when `limiters` has it). */
export function createChannels(config: NotifyConfig, limiters?: Pick<SharedLimiters, 'shared'>): Map<string, Channel> {
  const channels = new Map<string, Channel>();
  for (const [name, channel] of Object.entries(config.channels)) {
    const limit: RateLimit = {
      maxConcurrent: channel.maxConcurrent,
      requestsPerHour: channel.requestsPerHour ?? DEFAULT_PER_HOUR[channel.type],
      requestTimeoutMs: channel.timeoutMs,
    };
    const shared = limiters?.shared(`notify:${name}`, limit);
    const limiter = shared ?? new Bottleneck(limiterOptions(limit));
    channels.set(
      name,
      channel.type === 'smtp'
        ? new MailChannel(name, channel, limiter, !shared)
        : new WebhookChannel(name, channel, limiter, !shared),
    );
  }
  return channels;
}

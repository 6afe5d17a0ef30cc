import { ConnectorError, type FailureClass } from '../../src/errors';
import { BROKEN_CODES, classifyFailure, networkCode, NOT_SENT_CODES } from '../transport';

/**
 * How notification failures become `ConnectorError`s (codes prefixed `notify.`). Messages name the
 * channel, never its webhook URL (the URL is the credential).
 *
 * | code | failure | when |
 * |---|---|---|
 * | `unavailable` | transient | not sent (refused, DNS), 429 / 5xx, an SMTP 4xx reply, the limiter down |
 * | `ambiguous` | ambiguous | the connection broke after the message was sent: it may have arrived (sent again: a chat message may show twice; an e-mail keeps its Message-ID, which mail clients de-duplicate) |
 * | `rejected` | permanent | a 4xx from the webhook (revoked, archived channel, bad payload), an SMTP 5xx reply or failed login |
 * | `invalid_params` | permanent | step parameters refused, unknown channel, or a channel of another type |
 */
export const CONNECTOR = 'notify';

const CODES = { notSent: NOT_SENT_CODES, broken: BROKEN_CODES };

export function classifyError(error: unknown): FailureClass {
  return classifyFailure(error, CODES);
}

export function invalidParams(action: string, problems: string[]): ConnectorError {
  return new ConnectorError(
    CONNECTOR,
    'permanent',
    'invalid_params',
    `${CONNECTOR}.${action}: ${problems.join('; ')}`,
    {
      details: { problems },
    },
  );
}

/** A webhook answered with an error status; `said` is its body (Slack explains in it, e.g. channel_is_archived). */
export function webhookRefused(channel: string, status: number, said: string, retryAfterMs?: number): ConnectorError {
  const what = `${channel}: the webhook answered ${status} (${said.slice(0, 200) || 'no body'})`;
  if (status === 429 || status >= 500)
    return new ConnectorError(CONNECTOR, 'transient', 'unavailable', `${what}; tried again later`, {
      details: { channel, status },
      retryAfterMs,
    });
  return new ConnectorError(CONNECTOR, 'permanent', 'rejected', what, { details: { channel, status } });
}

/** A network failure sending to a channel, with no URL in the message or details. */
export function networkFailure(channel: string, error: unknown): ConnectorError {
  const code = networkCode(error) ?? 'UNKNOWN';
  if (NOT_SENT_CODES.has(code) || code === 'ECONNECTION')
    return new ConnectorError(CONNECTOR, 'transient', 'unavailable', `${channel}: could not connect (${code})`, {
      details: { channel, networkCode: code },
    });
  return new ConnectorError(
    CONNECTOR,
    'ambiguous',
    'ambiguous',
    `${channel}: the connection broke after sending (${code}); the message may have arrived`,
    { details: { channel, networkCode: code } },
  );
}

/** An SMTP server's answer (nodemailer puts the reply code in `responseCode`). */
export function smtpFailure(channel: string, error: unknown): ConnectorError {
  const e = error as { responseCode?: number; code?: string; response?: string };
  if (typeof e.responseCode === 'number') {
    const what = `${channel}: the SMTP server replied ${e.responseCode} (${(e.response ?? '').slice(0, 200)})`;
    if (e.responseCode >= 400 && e.responseCode < 500)
      return new ConnectorError(CONNECTOR, 'transient', 'unavailable', `${what}; tried again later`, {
        details: { channel, responseCode: e.responseCode },
      });
    return new ConnectorError(CONNECTOR, 'permanent', 'rejected', what, {
      details: { channel, responseCode: e.responseCode },
    });
  }
  if (e.code === 'EAUTH')
    return new ConnectorError(CONNECTOR, 'permanent', 'rejected', `${channel}: the SMTP server refused the login`, {
      details: { channel },
    });
  return networkFailure(channel, error);
}

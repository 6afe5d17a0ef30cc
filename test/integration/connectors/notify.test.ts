import { SMTPServer } from 'smtp-server';
import { createNotifyRuntime } from '../../../connectors/notify';
import { createChannels } from '../../../connectors/notify/client';
import { notifyConfigSchema, type NotifyConfigInput } from '../../../connectors/notify/schemas';
import type { ActionContext } from '../../../connectors/connector';
import { ConnectorError } from '../../../src/errors';
import { silentLogger } from '../../../src/observability/logger';
import { startStub, type Stub } from './stub-server';

/**
 * The notify connector against real receivers: a local HTTP server standing in for Slack's and
 * Teams' incoming webhooks (recording what arrives), and a real SMTP server in-process.
 */
const context = (key = 'run-1:notify'): ActionContext => ({
  idempotencyKey: key,
  runId: 'run-1',
  stepName: 'notify',
  ticket: { table: 'incident', sysId: 'a'.repeat(32), number: 'INC0010001' },
  logger: silentLogger(),
  signal: new AbortController().signal,
});

interface Mail {
  from: string;
  to: string[];
  raw: string;
}

/** An SMTP server that takes one login and records each message as it arrives; `refuse` answers DATA with an error. */
async function startSmtp(refuse?: { code: number; message: string }) {
  const mails: Mail[] = [];
  const server = new SMTPServer({
    authOptional: false,
    allowInsecureAuth: true,
    disabledCommands: ['STARTTLS'],
    logger: false,
    onAuth(auth, _session, callback) {
      if (auth.username === 'snowline' && auth.password === 'smtp-secret-pw')
        return callback(null, { user: 'snowline' });
      callback(new Error('Invalid username or password'));
    },
    onData(stream, session, callback) {
      const chunks: Buffer[] = [];
      stream.on('data', (c: Buffer) => chunks.push(c));
      stream.on('end', () => {
        if (refuse) return callback(Object.assign(new Error(refuse.message), { responseCode: refuse.code }));
        mails.push({
          from: session.envelope.mailFrom ? session.envelope.mailFrom.address : '',
          to: session.envelope.rcptTo.map((r) => r.address),
          raw: Buffer.concat(chunks).toString('utf8'),
        });
        callback();
      });
    },
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.server.address() as { port: number }).port;
  return { mails, port, close: () => new Promise<void>((resolve) => server.close(() => resolve())) };
}

function runtimeOf(channels: NotifyConfigInput['channels']) {
  return createNotifyRuntime(createChannels(notifyConfigSchema.parse({ channels })));
}

async function failureOf(promise: Promise<unknown>): Promise<ConnectorError> {
  const err = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(ConnectorError);
  return err as ConnectorError;
}

describe('notify connector', () => {
  let stub: Stub;
  beforeEach(async () => {
    stub = await startStub();
  });
  afterEach(() => stub.close());

  it('posts to Slack with ticket markup shown as text, never pinging a channel', async () => {
    stub.on('POST', '/services/T000/B000/slack-secret-token', { status: 200, body: 'ok' });
    const runtime = runtimeOf({
      ops: { type: 'slack', webhookUrl: `${stub.url}/services/T000/B000/slack-secret-token` },
    });
    const progress = await runtime.actions.slack!.start(
      {
        channel: 'ops',
        title: 'Run failed on INC0010001',
        text: 'caller wrote: <!channel> see <https://evil.example|docs> & more',
      },
      context(),
    );
    expect(progress).toEqual({ status: 'done', result: { channel: 'ops', status: 200 } });
    const [sent] = stub.calls('POST', '/services/T000/B000/slack-secret-token');
    expect(sent!.headers['content-type']).toBe('application/json');
    expect(sent!.json).toEqual({
      text: '*Run failed on INC0010001*\ncaller wrote: &lt;!channel&gt; see &lt;https://evil.example|docs&gt; &amp; more',
    });
    await runtime.close();
  });

  it('posts to Teams as an Adaptive Card', async () => {
    stub.on('POST', '/workflows/teams-secret', { status: 202, body: '' });
    const runtime = runtimeOf({ ops: { type: 'teams', webhookUrl: `${stub.url}/workflows/teams-secret` } });
    await runtime.actions.teams!.start(
      { channel: 'ops', title: 'Run failed', text: 'restart of nginx failed' },
      context(),
    );
    const [sent] = stub.calls('POST', '/workflows/teams-secret');
    expect(sent!.json).toEqual({
      type: 'message',
      attachments: [
        {
          contentType: 'application/vnd.microsoft.card.adaptive',
          content: {
            $schema: 'http://adaptivecards.io/schemas/adaptive-card.json',
            type: 'AdaptiveCard',
            version: '1.4',
            body: [
              { type: 'TextBlock', text: 'Run failed', wrap: true, weight: 'Bolder', size: 'Medium' },
              { type: 'TextBlock', text: 'restart of nginx failed', wrap: true },
            ],
          },
        },
      ],
    });
    await runtime.close();
  });

  it('classifies webhook failures for retries, and never names the webhook URL', async () => {
    const url = `${stub.url}/services/T000/B000/slack-secret-token`;
    stub.on('POST', '/services/T000/B000/slack-secret-token', [
      { status: 429, headers: { 'Retry-After': '7' }, body: 'rate_limited' },
      { status: 404, body: 'channel_not_found' },
    ]);
    const runtime = runtimeOf({ ops: { type: 'slack', webhookUrl: url } });
    const limited = await failureOf(runtime.actions.slack!.start({ channel: 'ops', text: 'x' }, context()));
    expect(limited).toMatchObject({ code: 'notify.unavailable', failure: 'transient', retryAfterMs: 7000 });
    const gone = await failureOf(runtime.actions.slack!.start({ channel: 'ops', text: 'x' }, context()));
    expect(gone).toMatchObject({ code: 'notify.rejected', failure: 'permanent' });
    expect(gone.message).toContain('channel_not_found');
    for (const err of [limited, gone])
      expect(JSON.stringify({ m: err.message, d: err.details })).not.toContain('secret');
    await runtime.close();
    const closed = runtimeOf({ ops: { type: 'slack', webhookUrl: 'http://127.0.0.1:1/hooks/secret' } });
    const refused = await failureOf(closed.actions.slack!.start({ channel: 'ops', text: 'x' }, context()));
    expect(refused).toMatchObject({ code: 'notify.unavailable', failure: 'transient' });
    expect(refused.message).not.toContain('secret');
    await closed.close();
  });

  it('refuses a channel of another type or one not configured', async () => {
    const runtime = runtimeOf({ ops: { type: 'slack', webhookUrl: `${stub.url}/x` } });
    const wrong = await failureOf(runtime.actions.teams!.start({ channel: 'ops', text: 'x' }, context()));
    expect(wrong).toMatchObject({ code: 'notify.invalid_params', failure: 'permanent' });
    expect(wrong.message).toContain('configured: none');
    expect(stub.requests).toHaveLength(0);
    await runtime.close();
  });

  it('holds messages beyond a channel’s hourly limit back instead of sending them', async () => {
    stub.on('POST', '/limited', { status: 200, body: 'ok' });
    const runtime = runtimeOf({ ops: { type: 'slack', webhookUrl: `${stub.url}/limited`, requestsPerHour: 2 } });
    const sends = [1, 2, 3].map((n) =>
      runtime.actions.slack!.start({ channel: 'ops', text: `message ${n}` }, context()),
    );
    await Promise.all(sends.slice(0, 2));
    const third = await Promise.race([
      sends[2]!.then(() => 'sent'),
      new Promise((r) => setTimeout(() => r('held'), 500)),
    ]);
    expect(third).toBe('held');
    expect(stub.requests).toHaveLength(2);
    await runtime.close();
    await sends[2]!.catch(() => undefined);
  });

  describe('e-mail through a real SMTP server', () => {
    it('sends plain text from and to the configured addresses, with a Message-ID stable across attempts', async () => {
      const smtp = await startSmtp();
      const runtime = runtimeOf({
        mail: {
          type: 'smtp',
          host: '127.0.0.1',
          port: smtp.port,
          username: 'snowline',
          password: 'smtp-secret-pw',
          from: 'Snowline <snowline@example.com>',
          to: ['ops@example.com', 'oncall@example.com'],
        },
      });
      const first = await runtime.actions.email!.start(
        { channel: 'mail', subject: 'Run failed on INC0010001', text: 'restart of nginx failed\n<b>not html</b>' },
        context(),
      );
      await runtime.actions.email!.start({ channel: 'mail', subject: 'again', text: 'same step' }, context());
      expect(smtp.mails).toHaveLength(2);
      const [mail, again] = smtp.mails as [Mail, Mail];
      expect(mail.from).toBe('snowline@example.com');
      expect(mail.to).toEqual(['ops@example.com', 'oncall@example.com']);
      expect(mail.raw).toMatch(/^Subject: Run failed on INC0010001$/m);
      expect(mail.raw).toMatch(/^Content-Type: text\/plain/m);
      expect(mail.raw).toContain('<b>not html</b>');
      const messageId = /^Message-ID: (<[^>]+>)$/m.exec(mail.raw)?.[1];
      expect(first).toEqual({ status: 'done', result: { channel: 'mail', message_id: messageId } });
      expect(/^Message-ID: (<[^>]+>)$/m.exec(again.raw)?.[1]).toBe(messageId);
      await runtime.close();
      await smtp.close();
    });

    it('tells a refused login (permanent) from a server asking to try later (transient)', async () => {
      const smtp = await startSmtp({ code: 451, message: 'try again later' });
      const config = {
        type: 'smtp' as const,
        host: '127.0.0.1',
        port: smtp.port,
        username: 'snowline',
        from: 'snowline@example.com',
        to: ['ops@example.com'],
      };
      const wrong = runtimeOf({ mail: { ...config, password: 'wrong-password' } });
      const login = await failureOf(
        wrong.actions.email!.start({ channel: 'mail', subject: 's', text: 't' }, context()),
      );
      expect(login).toMatchObject({ code: 'notify.rejected', failure: 'permanent' });
      expect(login.message).not.toContain('wrong-password');
      const busy = runtimeOf({ mail: { ...config, password: 'smtp-secret-pw' } });
      const later = await failureOf(busy.actions.email!.start({ channel: 'mail', subject: 's', text: 't' }, context()));
      expect(later).toMatchObject({ code: 'notify.unavailable', failure: 'transient' });
      await wrong.close();
      await busy.close();
      await smtp.close();
    });
  });
});

import { createHmac } from 'node:crypto';
import jwt from 'jsonwebtoken';
import { z } from 'zod';
import { SnowlineError } from '../errors';
import type { Identity } from './jwt';
import { isRole } from './roles';

/**
 * A browser's EventSource cannot send an Authorization header, so the console trades its bearer
 * token (in an ordinary authenticated POST) for a stream ticket and puts that in the stream's URL.
 * A ticket is short-lived (it only opens a stream), signed with a key derived from the JWT secret
 * for this one purpose and with its own audience, so it can never pass as an API token; the stream
 * it opens ends when the bearer token it was traded for expires. A URL may be logged by a proxy:
 * what such a log holds is useless a minute later. See docs/console.md, "Live updates".
 */
export const STREAM_TICKET_SECONDS = 60;
const AUDIENCE = 'snowline-live-stream';

const ticketClaims = z.object({
  sub: z.string().min(1),
  roles: z.array(z.string()),
  until: z.number().describe('end of the bearer token it was traded for, epoch seconds'),
});

function ticketKey(jwtSecret: string): Buffer {
  return createHmac('sha256', jwtSecret).update('snowline:live-stream-ticket').digest();
}

export function issueStreamTicket(
  jwtSecret: string,
  identity: Identity,
  untilSeconds: number,
): { ticket: string; expiresAt: string } {
  const ticket = jwt.sign({ roles: identity.roles, until: untilSeconds }, ticketKey(jwtSecret), {
    algorithm: 'HS256',
    subject: identity.subject,
    audience: AUDIENCE,
    expiresIn: STREAM_TICKET_SECONDS,
  });
  return { ticket, expiresAt: new Date(Date.now() + STREAM_TICKET_SECONDS * 1000).toISOString() };
}

/** The identity a ticket stands for, and when its stream must end (epoch ms); throws when it is not good. */
export function verifyStreamTicket(jwtSecret: string, ticket: string): { identity: Identity; untilMs: number } {
  let payload: unknown;
  try {
    payload = jwt.verify(ticket, ticketKey(jwtSecret), { algorithms: ['HS256'], audience: AUDIENCE });
  } catch (err) {
    throw new SnowlineError('auth.invalid_token', `stream ticket refused: ${(err as Error).message}`);
  }
  const claims = ticketClaims.safeParse(payload);
  if (!claims.success) throw new SnowlineError('auth.invalid_token', 'stream ticket refused: claims missing');
  return {
    identity: { subject: claims.data.sub, roles: claims.data.roles.filter(isRole) },
    untilMs: claims.data.until * 1000,
  };
}

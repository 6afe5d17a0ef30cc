import jwt from 'jsonwebtoken';
import { z } from 'zod';
import { SnowlineError } from '../errors';
import { isRole, type Role } from './roles';

export interface JwtOptions {
  secret: string;
  issuer: string;
  audience: string;
  clockSkewSeconds?: number;
}

/** Who is calling, as a verified token says. */
export interface Identity {
  subject: string;
  roles: Role[];
}

const claimsSchema = z.object({ sub: z.string().min(1), roles: z.array(z.string()).default([]) });

/** Issues a token for an operator or a script (`snowline token`). */
export function issueToken(options: JwtOptions, subject: string, roles: Role[], ttlSeconds: number): string {
  return jwt.sign({ roles }, options.secret, { algorithm: 'HS256', subject, issuer: options.issuer, audience: options.audience, expiresIn: ttlSeconds });
}

/** Verifies signature, algorithm, issuer, audience and expiry; unknown roles are ignored. */
export function verifyToken(options: JwtOptions, token: string): Identity {
  let payload: unknown;
  try {
    payload = jwt.verify(token, options.secret, {
      algorithms: ['HS256'],
      issuer: options.issuer,
      audience: options.audience,
      clockTolerance: options.clockSkewSeconds ?? 30,
    });
  } catch (err) {
    throw new SnowlineError('auth.invalid_token', `token refused: ${(err as Error).message}`);
  }
  const claims = claimsSchema.safeParse(payload);
  if (!claims.success) throw new SnowlineError('auth.invalid_token', 'token refused: claims sub and roles are required');
  return { subject: claims.data.sub, roles: claims.data.roles.filter(isRole) };
}

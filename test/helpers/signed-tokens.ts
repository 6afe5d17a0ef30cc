import { generateKeyPairSync, type KeyObject } from 'node:crypto';
import jwt from 'jsonwebtoken';

/** A verifier's settings as an identity provider's tokens carry them (issuer, audience) plus a local HS256 secret. */
export const verifierBase = {
  secret: 'local-hs256-secret-0123456789abcdef',
  issuer: 'https://idp.example',
  audience: 'snowline-api',
};

export const rsaKeys = () => generateKeyPairSync('rsa', { modulusLength: 2048 });

/** A token as the identity provider would sign it: our issuer and audience, five minutes, no roles unless given. */
export function signWith(
  privateKey: KeyObject,
  algorithm: jwt.Algorithm,
  claims: object,
  options: jwt.SignOptions = {},
) {
  return jwt.sign({ roles: [], ...claims }, privateKey, {
    algorithm,
    issuer: verifierBase.issuer,
    audience: verifierBase.audience,
    expiresIn: 300,
    ...options,
  });
}

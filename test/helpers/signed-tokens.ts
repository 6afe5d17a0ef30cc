import { createPrivateKey, createPublicKey, generateKeyPairSync, type KeyObject } from 'node:crypto';
import jwt from 'jsonwebtoken';

/** A verifier's settings as an identity provider's tokens carry them (issuer, audience) plus a local HS256 secret. */
export const verifierBase = {
  secret: 'local-hs256-secret-0123456789abcdef',
  issuer: 'https://idp.example',
  audience: 'snowline-api',
};

/**
 * A new key pair, generated as PEM and read back. Node 20 deadlocks now and then when the garbage
 * collector frees a key-generation job while the key it generated is being read
 * (`asymmetricKeyDetails`, which jsonwebtoken reads on every sign and verify): the job's destructor
 * waits for the key's lock, held by the read that set off the collection (seen in CI: a test worker
 * asleep on that lock for good). Keys read from PEM belong to no generation job.
 */
export function freshKeyPair(kind: 'rsa' | 'ec'): { privateKey: KeyObject; publicKey: KeyObject } {
  const publicKeyEncoding = { type: 'spki', format: 'pem' } as const;
  const privateKeyEncoding = { type: 'pkcs8', format: 'pem' } as const;
  const pem =
    kind === 'rsa'
      ? generateKeyPairSync('rsa', { modulusLength: 2048, publicKeyEncoding, privateKeyEncoding })
      : generateKeyPairSync('ec', { namedCurve: 'P-256', publicKeyEncoding, privateKeyEncoding });
  return { privateKey: createPrivateKey(pem.privateKey), publicKey: createPublicKey(pem.publicKey) };
}

export const rsaKeys = () => freshKeyPair('rsa');

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

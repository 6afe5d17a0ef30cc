import { z } from 'zod';

/**
 * Where privileged steps get their credentials just in time. A provider hands out a secret under a
 * lease and takes the lease back; Snowline holds the secret only in memory, for one step attempt.
 * Two kinds ship: a Vault-style HTTP secrets engine (`vault`, src/security/vault.provider.ts) and a
 * CyberArk-style PAM checkout/check-in API (`pam`, src/security/pam.provider.ts).
 */
export interface PrivilegeProvider {
  checkout(credential: CredentialSpec, request: CheckoutRequest): Promise<CredentialGrant>;
  /** Revokes (Vault) or checks in (PAM) the lease; idempotent on the provider side. */
  release(credential: CredentialSpec, leaseId: string): Promise<void>;
}

/** Who asks and why: sent to providers that record a reason (PAM), never secret. */
export interface CheckoutRequest {
  runId: string;
  step: string;
  ticket: string;
  approvedBy: string;
  /** How long the lease should live at most (the provider may shorten it). */
  ttlSeconds: number;
}

export interface CredentialGrant {
  /** The provider's handle for the lease (Vault lease id, PAM account id); empty = nothing to release. */
  leaseId: string;
  /** Fields templates read as `credential.<field>` (e.g. username, password). */
  secret: Record<string, string>;
  /** Lease lifetime the provider granted, in seconds, when it said. */
  leaseSeconds?: number;
}

/** A named credential privileged steps ask for (`credential: db-admin`): which provider, and what to ask it. */
export const credentialSpecSchema = z
  .object({
    provider: z.string().min(1).describe('a name under privilege.providers'),
    path: z
      .string()
      .regex(/^[A-Za-z0-9_\-/.]+$/, 'a Vault API path such as database/creds/app-admin or secret/data/web-root')
      .optional()
      .describe('vault: the secret path after /v1/'),
    account: z
      .string()
      .regex(/^[A-Za-z0-9_-]+$/, 'a PAM account id such as 12_34')
      .optional()
      .describe('pam: the account id to check out'),
    username: z
      .string()
      .min(1)
      .optional()
      .describe('pam: the account user name, given to templates as credential.username'),
  })
  .strict();
export type CredentialSpec = z.infer<typeof credentialSpecSchema>;

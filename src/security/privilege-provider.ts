import { z } from 'zod';
import { createPamProvider, pamProviderSchema } from './pam.provider';
import { createVaultProvider, vaultProviderSchema } from './vault.provider';

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
      .regex(/^[A-Za-z0-9_\-]+$/, 'a PAM account id such as 12_34')
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

export const privilegeConfigSchema = z
  .object({
    leaseSeconds: z
      .number()
      .int()
      .positive()
      .default(900)
      .describe(
        'longest lease asked for a step without a timeout, in seconds (a step with timeout_seconds asks for that)',
      ),
    releaseSweepSeconds: z
      .number()
      .int()
      .min(1)
      .max(3600)
      .default(30)
      .describe('how often leases of steps that ended elsewhere (cancelled, crashed) are released, in seconds'),
    providers: z
      .record(
        z.string().regex(/^[a-z][a-z0-9_-]*$/),
        z.discriminatedUnion('type', [vaultProviderSchema, pamProviderSchema]),
      )
      .default({}),
    credentials: z
      .record(z.string().regex(/^[a-z0-9]+(-[a-z0-9]+)*$/, 'must be kebab-case'), credentialSpecSchema)
      .default({}),
  })
  .strict()
  .superRefine((config, ctx) => {
    for (const [name, spec] of Object.entries(config.credentials)) {
      const provider = config.providers[spec.provider];
      if (!provider)
        ctx.addIssue({
          code: 'custom',
          path: ['credentials', name, 'provider'],
          message: `no provider ${spec.provider} under privilege.providers`,
        });
      else if (provider.type === 'vault' && !spec.path)
        ctx.addIssue({ code: 'custom', path: ['credentials', name, 'path'], message: 'a vault credential needs path' });
      else if (provider.type === 'pam' && !spec.account)
        ctx.addIssue({
          code: 'custom',
          path: ['credentials', name, 'account'],
          message: 'a pam credential needs account',
        });
    }
  });
export type PrivilegeConfig = z.infer<typeof privilegeConfigSchema>;

export function createPrivilegeProviders(config: PrivilegeConfig): Record<string, PrivilegeProvider> {
  return Object.fromEntries(
    Object.entries(config.providers).map(([name, provider]) => [
      name,
      provider.type === 'vault' ? createVaultProvider(provider) : createPamProvider(provider),
    ]),
  );
}

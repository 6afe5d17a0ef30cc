import { z } from 'zod';
import { createPamProvider, pamProviderSchema } from './pam.provider';
import { createVaultProvider, vaultProviderSchema } from './vault.provider';
import { credentialSpecSchema, type PrivilegeProvider } from './privilege';

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

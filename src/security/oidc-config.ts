import { z } from 'zod';

/**
 * OIDC sign-in to the console (`security.oidc`): the authorization-code flow with PKCE against the
 * identity provider. Roles come from the same mapping as bearer tokens from that provider:
 * `security.groupsClaim` and `security.groupRoles`, plus any Snowline role named in a `roles` claim.
 */
export const oidcConfigSchema = z
  .object({
    issuer: z
      .string()
      .url()
      .describe('the identity provider; its discovery document is {issuer}/.well-known/openid-configuration'),
    clientId: z.string().min(1).describe('the client registered for the console at the identity provider'),
    clientSecret: z
      .string()
      .min(1)
      .optional()
      .describe('for a confidential client (env:NAME or file:PATH); unset = public client (PKCE alone)'),
    redirectUrl: z
      .string()
      .url()
      .describe("the console's callback as the browser reaches it: https://<snowline>/console/oidc/callback"),
    scopes: z.array(z.string().min(1)).default(['openid', 'profile', 'email']).describe('scopes asked for'),
    subjectClaim: z
      .string()
      .min(1)
      .default('preferred_username')
      .describe('ID token claim that names the person in the audit journal (falls back to sub)'),
    sessionSeconds: z
      .number()
      .int()
      .positive()
      .default(28_800)
      .describe('how long a console sign-in lasts (the Snowline token it yields), in seconds'),
    providerName: z.string().min(1).default('your identity provider').describe('shown on the sign-in button'),
  })
  .strict();
export type OidcConfig = z.infer<typeof oidcConfigSchema>;

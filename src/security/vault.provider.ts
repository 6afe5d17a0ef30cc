import { z } from 'zod';
import { ConnectorError } from '../errors';
import type { PrivilegeProvider } from './privilege';
import { providerCall } from './provider-call';

/** A HashiCorp-Vault-style secrets engine reached over its HTTP API (`/v1/...`, header X-Vault-Token). */
export const vaultProviderSchema = z
  .object({
    type: z.literal('vault'),
    url: z.string().url().describe('Vault address, e.g. https://vault.example.com:8200'),
    token: z.string().min(1).describe('Vault token of Snowline (use env:VAULT_TOKEN or file:PATH)'),
    namespace: z.string().min(1).optional().describe('X-Vault-Namespace (Vault Enterprise)'),
    timeoutMs: z.number().int().positive().default(10_000).describe('per request, in ms'),
  })
  .strict();
export type VaultProviderConfig = z.infer<typeof vaultProviderSchema>;

/** `GET /v1/<path>` as Vault answers it: dynamic engines give a lease; KV v2 nests the fields in data.data. */
const secretResponseSchema = z.object({
  lease_id: z.string().default(''),
  lease_duration: z.number().int().nonnegative().default(0),
  data: z.record(z.string(), z.unknown()),
});

/**
 * Checkout reads the credential's path: a dynamic secrets engine (`database/creds/<role>`) mints a
 * credential under a lease that release revokes (`PUT /v1/sys/leases/revoke`); a KV v2 path
 * (`secret/data/<name>`) returns a static secret with no lease, so release has nothing to revoke.
 */
export function createVaultProvider(config: VaultProviderConfig): PrivilegeProvider {
  const base = config.url.replace(/\/+$/, '');
  const headers = {
    'X-Vault-Token': config.token,
    'Content-Type': 'application/json',
    ...(config.namespace ? { 'X-Vault-Namespace': config.namespace } : {}),
  };
  return {
    async checkout(credential) {
      const path = credential.path ?? '';
      const response = await providerCall(`${base}/v1/${path}`, {
        method: 'GET',
        headers,
        timeoutMs: config.timeoutMs,
        what: `vault read ${path}`,
      });
      const parsed = secretResponseSchema.safeParse(await response.json().catch(() => undefined));
      if (!parsed.success)
        throw new ConnectorError(
          'privilege',
          'permanent',
          'provider_malformed',
          `vault read ${path}: the answer has no data object`,
        );
      const nested = parsed.data.data.data;
      const fields =
        nested && typeof nested === 'object' && !Array.isArray(nested)
          ? (nested as Record<string, unknown>)
          : parsed.data.data;
      return {
        leaseId: parsed.data.lease_id,
        secret: stringFields(fields),
        ...(parsed.data.lease_duration > 0 ? { leaseSeconds: parsed.data.lease_duration } : {}),
      };
    },
    async release(_credential, leaseId) {
      if (!leaseId) return;
      await providerCall(`${base}/v1/sys/leases/revoke`, {
        method: 'PUT',
        headers,
        body: JSON.stringify({ lease_id: leaseId }),
        timeoutMs: config.timeoutMs,
        what: `vault revoke ${leaseId}`,
      });
    },
  };
}

/** Scalar fields as strings; nested structures are not credentials templates can use. */
function stringFields(fields: Record<string, unknown>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [key, value] of Object.entries(fields))
    if (typeof value === 'string' || typeof value === 'number' || typeof value === 'boolean') out[key] = String(value);
  return out;
}

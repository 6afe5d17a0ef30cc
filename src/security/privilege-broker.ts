import { randomUUID } from 'node:crypto';
import { ConnectorError } from '../errors';
import type { Logger } from '../observability/logger';
import { registerSecret, RUN_SECRET_TTL_MS } from '../observability/redact';
import { type Repositories, type Store, inTransaction } from '../store';
import type { PrivilegeLease } from '../store/privilege-lease.repository';
import type { CredentialSpec, PrivilegeProvider } from './privilege';

export interface PrivilegeBrokerDeps {
  store: Store;
  repos: Pick<Repositories, 'audit' | 'privilegeLeases'>;
  providers: Record<string, PrivilegeProvider>;
  credentials: Record<string, CredentialSpec>;
  /** Lease asked for when the step has no timeout, in seconds. */
  leaseSeconds: number;
  logger: Logger;
  now?: () => number;
}

/** What a grant is for: one attempt of one privileged step, after its approval. */
export interface GrantRequest {
  run: { id: string; ticket_number: string };
  step: { id: string; name: string };
  credential: string;
  approvedBy: string;
  ttlSeconds?: number;
}

const SETTLED_STEP_STATES = new Set(['succeeded', 'failed', 'skipped', 'refused', 'cancelled']);

/**
 * Just-in-time privilege: checks a credential out of its provider for one step attempt and takes it
 * back when the attempt (or, for backend work that outlives the attempt, the step) ends. The secret
 * lives only in memory: it is registered with the redactor and handed to the caller; the store keeps
 * the lease (who, which step, lease id, when) and the audit journal the grant and its release.
 *
 * After a crash the lease row stays open: the sweep releases it once its step has ended or is no
 * longer being worked on; if Snowline never comes back, the provider's own lease expiry ends it.
 */
export function createPrivilegeBroker(deps: PrivilegeBrokerDeps) {
  const now = deps.now ?? Date.now;
  const { repos, store, logger } = deps;

  function resolve(name: string): { spec: CredentialSpec; provider: PrivilegeProvider } {
    const spec = deps.credentials[name];
    const provider = spec ? deps.providers[spec.provider] : undefined;
    if (!spec || !provider)
      throw new ConnectorError(
        'privilege',
        'permanent',
        'unknown_credential',
        `credential ${name} is not configured (privilege.credentials)`,
      );
    return { spec, provider };
  }

  async function grant(request: GrantRequest): Promise<Record<string, string>> {
    const { spec, provider } = resolve(request.credential);
    const ttlSeconds = request.ttlSeconds ?? deps.leaseSeconds;
    const granted = await provider.checkout(spec, {
      runId: request.run.id,
      step: request.step.name,
      ticket: request.run.ticket_number,
      approvedBy: request.approvedBy,
      ttlSeconds,
    });
    // Job checks take no second grant, so it stays registered for as long as the grant may be in use.
    const registeredMs = Math.max(RUN_SECRET_TTL_MS, ttlSeconds * 1000);
    for (const value of Object.values(granted.secret)) registerSecret(value, registeredMs);
    const at = now();
    const lease: PrivilegeLease = {
      id: randomUUID(),
      run_id: request.run.id,
      step_id: request.step.id,
      step_name: request.step.name,
      ticket_number: request.run.ticket_number,
      credential: request.credential,
      provider: spec.provider,
      lease_id: granted.leaseId,
      approved_by: request.approvedBy,
      granted_at: at,
      expires_at: granted.leaseSeconds ? at + granted.leaseSeconds * 1000 : null,
      released_at: null,
      release_error: null,
    };
    try {
      await inTransaction(store, async (trx) => {
        await repos.privilegeLeases.insert(trx, lease);
        await repos.audit.append(
          trx,
          {
            kind: 'privilege.granted',
            actor: 'snowline',
            subject: lease.ticket_number,
            detail: auditDetail(lease, { approvedBy: request.approvedBy, leaseSeconds: granted.leaseSeconds ?? null }),
          },
          at,
        );
      });
    } catch (err) {
      // Unrecorded, the grant could never be released by the sweep: give it back now.
      await provider.release(spec, granted.leaseId).catch(() => undefined);
      throw err;
    }
    logger.info('privileged credential granted', {
      runId: lease.run_id,
      step: lease.step_name,
      credential: lease.credential,
      provider: lease.provider,
      leaseId: lease.lease_id,
    });
    return granted.secret;
  }

  /** Gives one lease back; a provider failure leaves it open for the next sweep (and the provider's expiry). */
  async function release(lease: PrivilegeLease, reason: string): Promise<void> {
    const at = now();
    try {
      const { spec, provider } = resolve(lease.credential);
      await provider.release(spec, lease.lease_id);
    } catch (err) {
      const expired = lease.expires_at !== null && lease.expires_at <= at;
      logger.warn(
        expired
          ? 'privileged credential could not be released; its lease has expired at the provider'
          : 'privileged credential could not be released; retried by the sweep',
        { runId: lease.run_id, step: lease.step_name, leaseId: lease.lease_id, error: (err as Error).message },
      );
      if (!expired) return;
      return record(lease, 'privilege.expired', reason, at, (err as Error).message);
    }
    await record(lease, 'privilege.released', reason, at, null);
  }

  async function record(
    lease: PrivilegeLease,
    kind: string,
    reason: string,
    at: number,
    error: string | null,
  ): Promise<void> {
    await inTransaction(store, async (trx) => {
      if (!(await repos.privilegeLeases.markReleased(trx, lease.id, at, error))) return;
      await repos.audit.append(
        trx,
        {
          kind,
          actor: 'snowline',
          subject: lease.ticket_number,
          detail: auditDetail(lease, { reason, heldMs: at - lease.granted_at }),
        },
        at,
      );
    });
    logger.info(
      kind === 'privilege.released' ? 'privileged credential released' : 'privileged credential lease expired',
      { runId: lease.run_id, step: lease.step_name, leaseId: lease.lease_id, reason },
    );
  }

  return {
    grant,

    /** Releases every open lease of a step (its attempt or the step itself ended). */
    async releaseStep(stepId: string, reason: string): Promise<void> {
      for (const lease of await repos.privilegeLeases.openOfStep(stepId)) await release(lease, reason);
    },

    /**
     * Releases leases nobody will release: their step ended without the worker that held them
     * (cancelled by an operator, a run that failed elsewhere) or was left by a crashed worker
     * (not waiting on backend work and not claimed by a live worker).
     */
    async sweep(): Promise<number> {
      let released = 0;
      const at = now();
      for (const lease of await repos.privilegeLeases.openWithStep()) {
        const settled = SETTLED_STEP_STATES.has(lease.step_state);
        const abandoned =
          lease.step_state !== 'waiting' && (lease.step_lease_until === null || Number(lease.step_lease_until) < at);
        if (!settled && !abandoned) continue;
        await release(lease, settled ? `step ${lease.step_state}` : 'attempt abandoned (worker gone)');
        released++;
      }
      return released;
    },
  };
}
export type PrivilegeBroker = ReturnType<typeof createPrivilegeBroker>;

/** Who, which step, which lease — never the secret. */
function auditDetail(lease: PrivilegeLease, extra: Record<string, unknown>) {
  return {
    runId: lease.run_id,
    step: lease.step_name,
    credential: lease.credential,
    provider: lease.provider,
    leaseId: lease.lease_id,
    ...extra,
  };
}

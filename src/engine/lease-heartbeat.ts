import type { Logger } from '../observability/logger';

/**
 * Renews a lease while this process works under it: a backend call (a playbook run, a slow launch,
 * a PATCH the instance is slow to answer) may outlast the lease, and an instance that is alive must
 * not see its work taken over and done twice. A dead one stops renewing, so the lease expires and
 * another instance takes the work. `renew` answers false once the lease is no longer held (the
 * work settled or was taken): nothing is left to keep then.
 */
export function keepLease(
  renew: () => Promise<boolean>,
  leaseMs: number,
  logger: Logger,
  what: Record<string, unknown>,
): { stop(): void } {
  const beat = async () => {
    const held = await renew().catch((err: Error) => {
      logger.warn('could not renew a lease; retrying at the next beat', { ...what, error: err.message });
      return true;
    });
    if (!held) clearInterval(timer);
  };
  const timer = setInterval(() => void beat(), Math.max(1, Math.floor(leaseMs / 3)));
  timer.unref();
  return { stop: () => clearInterval(timer) };
}

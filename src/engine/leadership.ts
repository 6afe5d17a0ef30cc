/**
 * Scheduled jobs (the poller, CMDB syncs) must run on one instance of a fleet: the leader.
 * A single-process deployment (SQLite) is always its own leader; PostgreSQL deployments elect one.
 */
export interface Leadership {
  /** Whether this instance may run leader-only jobs right now. */
  isLeader(): boolean;
  /** Gives leadership up (on shutdown) so another instance takes over without waiting. */
  stop(): Promise<void>;
}

/** The leadership of a deployment with one process: always the leader. */
export const soleInstance: Leadership = { isLeader: () => true, stop: async () => undefined };

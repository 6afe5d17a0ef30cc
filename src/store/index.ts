import { activityRepository } from './activity.repository';
import { alertRepository } from './alert.repository';
import { approvalRepository } from './approval.repository';
import { auditRepository } from './audit.repository';
import { changeClaimRepository } from './change-claim.repository';
import type { Store } from './database';
import { identityUseRepository } from './identity-use.repository';
import { inboxRepository } from './inbox.repository';
import { leaseRepository } from './lease.repository';
import { outboxRepository } from './outbox.repository';
import { privilegeLeaseRepository } from './privilege-lease.repository';
import { reportRepository } from './report.repository';
import { retentionRepository } from './retention.repository';
import { ruleProposalRepository } from './rule-proposal.repository';
import { ruleVersionRepository } from './rule-version.repository';
import { runHistoryRepository } from './run-history.repository';
import { runContextRepository } from './run-context.repository';
import { runQueueRepository } from './run-queue.repository';
import { runRepository } from './run.repository';
import { suggestionRepository } from './suggestion.repository';
import { watermarkRepository } from './watermark.repository';

export { openStore, type Store, type StoreOptions, type Db } from './database';
export { inTransaction, type StoreTransaction } from './transaction';
export { CorruptRowError } from './json-column';

/** Every repository over one store; built once and passed to whoever needs it. */
export function repositories(store: Store) {
  const audit = auditRepository(store.db, store.dialect);
  return {
    inbox: inboxRepository(store.db, store.dialect),
    runs: runRepository(store.db, store.dialect),
    runQueue: runQueueRepository(store.db, store.dialect),
    runContexts: runContextRepository(store.db),
    leases: leaseRepository(store.db),
    runHistory: runHistoryRepository(store.db),
    outbox: outboxRepository(store.db, store.dialect),
    audit,
    watermarks: watermarkRepository(store.db),
    approvals: approvalRepository(store.db),
    ruleVersions: ruleVersionRepository(store.db),
    privilegeLeases: privilegeLeaseRepository(store.db),
    ruleProposals: ruleProposalRepository(store.db),
    suggestions: suggestionRepository(store.db),
    changeClaims: changeClaimRepository(),
    identityUse: identityUseRepository(store.db),
    retention: retentionRepository(store.db),
    reports: reportRepository(store.db, store.dialect, audit.sealed),
    activity: activityRepository(store.db),
    alerts: alertRepository(store.db),
  };
}
export type Repositories = ReturnType<typeof repositories>;

import type { Generated } from 'kysely';

/**
 * The tables, as Kysely sees them. Timestamps are epoch milliseconds (bigint on PostgreSQL, read
 * back as numbers); JSON is stored as text so one schema serves SQLite and PostgreSQL.
 */

/** One version of one ServiceNow record (or one manual trigger), kept once whatever its sources. */
export interface InboxEventRow {
  seq: Generated<number>;
  /** `table:sys_id:sys_mod_count` for record versions; `manual:<id>` for API triggers. */
  event_key: string;
  table_name: string;
  sys_id: string;
  number: string;
  mod_count: number;
  kind: string;
  source: string;
  payload: string;
  /**
   * pending → done | dropped | superseded | rejected (see docs/faults-and-outcomes.md):
   * dropped = Snowline's own write-back; superseded = older than a version already dispatched;
   * rejected = can never be acted on as it is (the reason is in `note`); an operator may replay it.
   */
  status: string;
  note: string | null;
  correlation_id: string;
  received_at: number;
  processed_at: number | null;
  /** The dispatcher instance working on the event, until when (see inbox.claimPending). */
  lease_owner: string | null;
  lease_until: number | null;
  /** Failed dispatch attempts so far; a pending event with attempts > 0 waits for its retry at next_at. */
  attempts: Generated<number>;
  next_at: number | null;
  /** When its first failed attempt was: retries end (rejected) a bounded time after it. */
  failing_since: number | null;
}

export interface RunRow {
  id: string;
  rule_id: string;
  rule_version: string;
  table_name: string;
  sys_id: string;
  ticket_number: string;
  event_key: string;
  /** queued → running → succeeded | failed | refused | cancelled (queued: held back by a concurrency key or limit) */
  state: string;
  /** Rendered rule parameters and the ticket snapshot the run was started with (JSON). */
  context: string;
  correlation_id: string;
  created_at: number;
  updated_at: number;
  finished_at: number | null;
  /** Rendered `concurrency.key` of its rule: runs with one key run one at a time. */
  concurrency_key: string | null;
}

export interface StepRow {
  id: string;
  run_id: string;
  idx: number;
  name: string;
  connector: string;
  action: string;
  params: string;
  /** blocked → pending → starting → waiting → succeeded | failed | cancelled; pending → refused (a gate said no) */
  state: string;
  attempt: number;
  idempotency_key: string;
  external_ref: string | null;
  result: string | null;
  error: string | null;
  next_at: number;
  lease_owner: string | null;
  lease_until: number | null;
  started_at: number | null;
  finished_at: number | null;
  /** Names of the gates to pass before the step starts (JSON array). */
  gates: string;
  /** While a gate holds the step back: which gate and why (shown to operators). */
  waiting_for: string | null;
  /** Steps of one stage run at once (parallel branches); stages run in order. */
  stage: number;
  /** Flow options (JSON, see StepFlow in engine/run-context.ts): join, when, timeout, compensates. */
  flow: string;
}

export interface OutboxRow {
  id: string;
  run_id: string;
  table_name: string;
  sys_id: string;
  ticket_number: string;
  /** Field updates and the work note, sent as one PATCH (JSON). */
  fields: string;
  /** Text that identifies this write in the ticket's journal, to detect an earlier delivery. */
  marker: string;
  /** pending → sending → sent | failed */
  state: string;
  attempts: number;
  next_at: number;
  lease_owner: string | null;
  lease_until: number | null;
  last_error: string | null;
  result_mod_count: number | null;
  created_at: number;
  sent_at: number | null;
  /** A file to upload instead of a PATCH (JSON, see OutboxAttachment in engine/job-output.ts); null for field write-backs. */
  attachment: string | null;
  /** null = PATCH the record; `insert` = create it (its sys_id chosen here, in `fields`). */
  operation: string | null;
  /** Enqueue order (ties only between concurrent transactions); null for entries queued before it existed. */
  seq: number | null;
}

export interface WatermarkRow {
  name: string;
  value: string;
  updated_at: number;
}

export interface AuditRow {
  /** Assigned by the chain (previous + 1), not by the engine, so a deleted entry leaves a gap. */
  seq: number;
  at: number;
  kind: string;
  actor: string;
  subject: string;
  detail: string;
  prev_hash: string;
  hash: string;
}

/** An audit entry decided but not yet chained: see audit.repository `seal`. */
export interface PendingJournalRow {
  id: Generated<number>;
  at: number;
  kind: string;
  actor: string;
  subject: string;
  detail: string;
}

export interface RuleVersionRow {
  version: string;
  loaded_at: number;
  loaded_by: string;
  source: string;
}

/** A person's decision on a step held by the `approval` gate; one per run step. */
export interface ApprovalRow {
  run_id: string;
  step_name: string;
  /** approved | rejected */
  decision: string;
  actor: string;
  comment: string | null;
  decided_at: number;
}

export interface ConnectorCredentialRow {
  connector: string;
  name: string;
  /** `sb1.<key id>.…`: AES-256-GCM, bound to `connector:name`. */
  sealed: string;
  key_id: string;
  updated_by: string;
  updated_at: number;
}

/** A credential checked out for a privileged step (src/security/privilege-broker.ts); never the secret itself. */
export interface PrivilegeLeaseRow {
  id: string;
  run_id: string;
  step_id: string;
  step_name: string;
  ticket_number: string;
  /** The credential's name in config (`privilege.credentials`). */
  credential: string;
  provider: string;
  /** The provider's handle for revoking (a Vault lease id, a PAM account id); not a secret. */
  lease_id: string;
  approved_by: string;
  granted_at: number;
  /** When the provider lets the lease lapse on its own, if it said. */
  expires_at: number | null;
  released_at: number | null;
  release_error: string | null;
}

/** A change to one mapping table proposed through the API (see rules/rule-proposals.ts). */
export interface RuleProposalRow {
  id: string;
  /** The mapping file it replaces or adds, relative to the mappings directory (`incident.yaml`). */
  file: string;
  content: string;
  /** The file's text in the running version when proposed; null for a new file. */
  base_content: string | null;
  base_version: string;
  /** The version the whole set would have, computed when proposed. */
  version: string;
  /** Ids of the added or changed rules that are (or were) `risk: high` (JSON array); empty = no approval needed. */
  high_risk_rules: string;
  /** pending → active | rejected */
  state: string;
  author: string;
  comment: string | null;
  created_at: number;
  decided_by: string | null;
  decision_comment: string | null;
  decided_at: number | null;
  activated_version: string | null;
  activated_at: number | null;
}

/** A suggest-mode rule's offer on one ticket, posted once (the first event that matched). */
export interface SuggestionRow {
  rule_id: string;
  table_name: string;
  sys_id: string;
  ticket_number: string;
  rule_version: string;
  event_key: string;
  suggested_at: number;
}

/** When an API identity last used a permission; one row per identity and permission. */
export interface IdentityUseRow {
  subject: string;
  permission: string;
  /** The roles its token carried at the last use (JSON array). */
  roles: string;
  first_used_at: number;
  last_used_at: number;
}

export interface Tables {
  inbox_events: InboxEventRow;
  runs: RunRow;
  steps: StepRow;
  outbox: OutboxRow;
  watermarks: WatermarkRow;
  audit_log: AuditRow;
  pending_journal: PendingJournalRow;
  rule_versions: RuleVersionRow;
  approvals: ApprovalRow;
  connector_credentials: ConnectorCredentialRow;
  privilege_leases: PrivilegeLeaseRow;
  rule_proposals: RuleProposalRow;
  suggestions: SuggestionRow;
  change_claims: ChangeClaimRow;
  identity_use: IdentityUseRow;
  archived_runs: ArchivedRunRow;
  audit_checkpoints: AuditCheckpointRow;
  alerts: AlertRow;
}

/** An alert raised in ServiceNow (src/slo/alert-raiser.ts): one row per alert key, reused when it fires again. */
export interface AlertRow {
  /** `slo:<rule>:<objective>`, `anomaly:<rule>:<step>`, `failures:ci:<rule>:<ci>`, `alertmanager:<hash>`, … */
  alert_key: string;
  /** slo_burn | step_anomaly | repeated_failure | webhook_silence | alertmanager */
  kind: string;
  /** open → resolved (→ open again, with a new record, when the condition returns) */
  state: string;
  /** incident | em_event */
  target: string;
  table_name: string;
  /** The record raised (chosen by Snowline, so its own events are recognised before the insert returns). */
  sys_id: string;
  summary: string;
  /** The figures of the last evaluation that held (JSON). */
  detail: string;
  opened_at: number;
  /** When ServiceNow was last told (opened or updated). */
  updated_at: number;
  resolved_at: number | null;
  updates: number;
}

/** The change run implementing on a configuration item now (one row per CI). */
export interface ChangeClaimRow {
  cmdb_ci: string;
  run_id: string;
  ticket_number: string;
  claimed_at: number;
}

/** A run pruned by retention: which archive file (src/retention/) holds it, found by ticket. */
export interface ArchivedRunRow {
  run_id: string;
  ticket_number: string;
  rule_id: string;
  state: string;
  created_at: number;
  /** The archive file's name, relative to the archive folder. */
  archive: string;
  archived_at: number;
}

/** A cut of the audit journal: entries up to `seq` were archived and deleted; `hash` is entry `seq`'s. */
export interface AuditCheckpointRow {
  seq: number;
  hash: string;
  /** The journal's identity (its first entry's hash), which the anchors name. */
  journal: string;
  archive: string;
  cut_at: number;
}

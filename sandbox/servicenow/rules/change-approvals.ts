import type { RecordStore, RecordValues } from '../record-store';
import type { RecordWrite, TableService } from '../table-service';

/** The group whose manager approves every normal and emergency change in the sandbox (its CAB). */
export const CAB_GROUP = 'Change Management';

const AUTHORIZE = '-3';
const SCHEDULED = '-2';
const NEW = '-5';
const ASSESS = '-4';
/** Approval record states that no longer wait for anyone (docs/servicenow-behaviour.md §3.4). */
const SETTLED = new Set(['approved', 'cancelled', 'not_required']);

/**
 * The approval engine of change management (https://www.servicenow.com/docs/r/it-service-management/change-management/c_ChangeStateModel.html), emulated as after-rules:
 * - a change entering Authorize gets one `sysapproval_approver` record per approver (the manager of
 *   the CAB group and of the change's assignment group), state `requested`, and `approval=requested`;
 * - an approver rejecting sends the change back to New with `approval=rejected` (a rejection sends a
 *   normal or emergency change back to New, docs/servicenow-behaviour.md §3.4) and cancels the other open approvals;
 * - when every approval is settled with at least one approval, the change is `approved` and moves
 *   from Authorize to Scheduled;
 * - a change moved back to New or Assess cancels its open approvals; a change approved directly on
 *   the record marks its open approvals no longer required [inf].
 * Writes are made as the user whose write triggered them, as synchronous business rules do.
 */
export class ChangeApprovalRules {
  constructor(
    private readonly store: RecordStore,
    private readonly service: () => TableService,
  ) {}

  onWrite(write: RecordWrite): void {
    const changed = new Set(write.changedFields);
    if (write.table === 'change_request') this.onChange(write.record, changed);
    else if (write.table === 'sysapproval_approver' && changed.has('state')) this.onApproval(write.record);
  }

  private onChange(change: RecordValues, changed: Set<string>): void {
    const id = change.sys_id ?? '';
    const user = change.sys_updated_by ?? 'system';
    if (changed.has('state') && change.state === AUTHORIZE) {
      const open = new Set(
        this.approvalsOf(id)
          .filter((a) => a.state === 'requested')
          .map((a) => a.approver),
      );
      for (const approver of this.approversOf(change)) {
        if (!open.has(approver))
          this.write(user, 'sysapproval_approver', undefined, {
            approver,
            sysapproval: id,
            document_id: id,
            source_table: 'change_request',
            state: 'requested',
          });
      }
      if (change.approval !== 'requested') this.write(user, 'change_request', id, { approval: 'requested' });
      return;
    }
    if (changed.has('state') && (change.state === NEW || change.state === ASSESS))
      this.settleOpen(id, 'cancelled', user);
    else if (changed.has('approval') && change.approval === 'approved') this.settleOpen(id, 'not_required', user);
  }

  private onApproval(approval: RecordValues): void {
    if (approval.source_table !== 'change_request') return;
    const changeId = approval.sysapproval ?? '';
    const change = this.store.get('change_request', changeId);
    if (!change) return;
    const user = approval.sys_updated_by ?? 'system';
    if (approval.state === 'rejected') {
      this.settleOpen(changeId, 'cancelled', user);
      this.write(user, 'change_request', changeId, { approval: 'rejected', state: NEW });
      return;
    }
    const all = this.approvalsOf(changeId);
    const done = all.every((a) => SETTLED.has(a.state ?? '')) && all.some((a) => a.state === 'approved');
    if (done && change.state === AUTHORIZE)
      this.write(user, 'change_request', changeId, { approval: 'approved', state: SCHEDULED });
  }

  private approvalsOf(changeId: string): RecordValues[] {
    return this.store.listWhere('sysapproval_approver', 'sysapproval', changeId);
  }

  private approversOf(change: RecordValues): string[] {
    const groups = this.store.list('sys_user_group');
    const cab = groups.find((g) => g.name === CAB_GROUP)?.manager;
    const assigned = groups.find((g) => g.sys_id === change.assignment_group)?.manager;
    return [...new Set([cab, assigned].filter((id): id is string => !!id))];
  }

  private settleOpen(changeId: string, state: string, user: string): void {
    for (const a of this.approvalsOf(changeId))
      if (a.state === 'requested') this.write(user, 'sysapproval_approver', a.sys_id, { state });
  }

  private write(user: string, table: string, sysId: string | undefined, values: Record<string, string>): void {
    const ctx = { user, inputDisplayValue: false };
    if (sysId) this.service().update(table, sysId, values, ctx);
    else this.service().insert(table, values, ctx);
  }
}

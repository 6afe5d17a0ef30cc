import { useState } from 'preact/hooks';
import { api } from '../api';
import { DiffView } from '../components/diff-view';
import { ErrorLine } from '../components/error-line';
import { StateBadge } from '../components/state-badge';
import { when } from '../format';
import { usePolled } from '../hooks';
import type { Proposal, Session } from '../types';

/** Proposed mapping changes; a high-risk one waits for a second person with the approver role (four eyes). */
export function ProposalsPage({ session }: { session: Session }) {
  const list = usePolled(() => api.get<Proposal[]>('/rules/proposals?limit=50'), 'proposals', 5000);
  return (
    <>
      <h1>Proposed rule changes</h1>
      <ErrorLine error={list.error} />
      {list.data?.length === 0 && <p>No proposals.</p>}
      {list.data?.map((p) => (
        <ProposalCard key={p.id} proposal={p} session={session} onDecided={list.reload} />
      ))}
    </>
  );
}

function ProposalCard({
  proposal,
  session,
  onDecided,
}: {
  proposal: Proposal;
  session: Session;
  onDecided: () => void;
}) {
  const [detail, setDetail] = useState<Proposal>();
  const [comment, setComment] = useState('');
  const [error, setError] = useState<string>();
  const mayDecide =
    proposal.state === 'pending' &&
    session.permissions.includes('approvals:decide') &&
    proposal.author !== session.subject;
  const decide = async (verb: 'approve' | 'reject') => {
    setError(undefined);
    try {
      await api.post(`/rules/proposals/${proposal.id}/${verb}`, comment ? { comment } : {});
      onDecided();
    } catch (err) {
      setError((err as Error).message);
    }
  };
  const showDiff = async () => setDetail(await api.get<Proposal>(`/rules/proposals/${proposal.id}`));
  return (
    <article class="step" aria-label={`Proposal ${proposal.file} by ${proposal.author}`}>
      <h2>
        {proposal.file} by {proposal.author} <StateBadge state={proposal.state} />
      </h2>
      <p>
        {when(proposal.createdAt)} · against <code>{proposal.baseVersion}</code>
        {proposal.comment ? ` · “${proposal.comment}”` : ''}
      </p>
      {proposal.highRiskRules.length > 0 && <p>High-risk rules: {proposal.highRiskRules.join(', ')}</p>}
      {proposal.decidedBy && (
        <p>
          {proposal.state === 'rejected' ? 'Rejected' : 'Approved'} by {proposal.decidedBy} {when(proposal.decidedAt)}
        </p>
      )}
      {proposal.state === 'pending' && proposal.author === session.subject && (
        <p class="muted">Your own proposal: another person must approve it.</p>
      )}
      {detail?.diff ? (
        <DiffView diff={detail.diff} label="Diff" />
      ) : (
        <button type="button" onClick={() => void showDiff()}>
          Show diff
        </button>
      )}
      {mayDecide && (
        <div class="buttons">
          <label>
            Comment
            <input value={comment} onInput={(e) => setComment((e.target as HTMLInputElement).value)} />
          </label>
          <button type="button" onClick={() => void decide('approve')}>
            Approve
          </button>
          <button type="button" onClick={() => void decide('reject')}>
            Reject
          </button>
        </div>
      )}
      <ErrorLine error={error} />
    </article>
  );
}

import { useState } from 'preact/hooks';
import { api, query } from '../api';
import { ErrorLine } from '../components/error-line';
import { StateBadge } from '../components/state-badge';
import { when } from '../format';
import { useLive } from '../hooks';
import { useLiveStatus } from '../live';
import { RUN_STATES, type RunView, type Session } from '../types';
import { TableHead } from '../components/table-head';

interface Filter {
  ticket: string;
  rule: string;
  state: string;
  since: string;
  until: string;
}

const EMPTY: Filter = { ticket: '', rule: '', state: '', since: '', until: '' };

/** datetime-local gives local time without a zone; the API takes ISO 8601 with one. */
const isoOf = (local: string) => (local ? new Date(local).toISOString() : undefined);

function Field(props: { label: string; name: keyof Filter; type?: string; value: string; set: (v: string) => void }) {
  return (
    <label>
      {props.label}
      <input
        type={props.type ?? 'search'}
        name={props.name}
        value={props.value}
        onInput={(e) => props.set((e.target as HTMLInputElement).value)}
      />
    </label>
  );
}

/** Runs, newest first, filtered by ticket, rule, state and time; updated as they change (live, or polled). */
export function RunsPage(_: { session: Session }) {
  const [draft, setDraft] = useState<Filter>(EMPTY);
  const [applied, setApplied] = useState<Filter>(EMPTY);
  const path = `/runs${query({
    ticket: applied.ticket.trim(),
    rule: applied.rule.trim(),
    state: applied.state,
    since: isoOf(applied.since),
    until: isoOf(applied.until),
    limit: '100',
  })}`;
  const runs = useLive(() => api.get<RunView[]>(path), path);
  const live = useLiveStatus();
  const set = (name: keyof Filter) => (value: string) => setDraft({ ...draft, [name]: value });

  return (
    <>
      <h1>Runs</h1>
      <form
        class="filters"
        role="search"
        aria-label="Find runs"
        onSubmit={(e) => {
          e.preventDefault();
          setApplied(draft);
        }}
      >
        <Field label="Ticket" name="ticket" value={draft.ticket} set={set('ticket')} />
        <Field label="Rule" name="rule" value={draft.rule} set={set('rule')} />
        <label>
          State
          <select value={draft.state} onChange={(e) => set('state')((e.target as HTMLSelectElement).value)}>
            <option value="">any</option>
            {RUN_STATES.map((s) => (
              <option key={s} value={s}>
                {s}
              </option>
            ))}
          </select>
        </label>
        <Field label="From" name="since" type="datetime-local" value={draft.since} set={set('since')} />
        <Field label="To" name="until" type="datetime-local" value={draft.until} set={set('until')} />
        <button type="submit">Search</button>
      </form>
      <p role="status" class="muted live-status">
        {live === 'live' ? 'Live: updated as runs change.' : 'Updated every 3 seconds (live updates unavailable).'}
      </p>
      <ErrorLine error={runs.error} />
      {runs.data && <RunTable runs={runs.data} />}
    </>
  );
}

function RunTable({ runs }: { runs: RunView[] }) {
  if (runs.length === 0) return <p>No run matches.</p>;
  return (
    <table class="runs">
      <caption class="visually-hidden">Runs found, newest first (updated live)</caption>
      <TableHead columns={['Ticket', 'Rule', 'Version', 'State', 'Steps', 'Started']} />
      <tbody>
        {runs.map((run) => (
          <tr key={run.id}>
            <td>{run.ticket}</td>
            <td>
              <a href={`#/runs/${encodeURIComponent(run.id)}`}>{run.rule}</a>
            </td>
            <td>
              <code>{run.ruleVersion}</code>
            </td>
            <td>
              <StateBadge state={run.state} />
            </td>
            <td>{run.steps.map((s) => `${s.name} (${s.state})`).join(', ')}</td>
            <td>{when(run.createdAt)}</td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}

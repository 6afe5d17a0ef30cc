import { useState } from 'preact/hooks';
import { api, query } from '../api';
import { ErrorLine } from '../components/error-line';
import { StateBadge } from '../components/state-badge';
import { TableHead } from '../components/table-head';
import { when } from '../format';
import { useLive } from '../hooks';
import { EVENT_STATES, type EventView, type Session } from '../types';

/**
 * The inbox: every event received from ServiceNow, by state and ticket. A rejected event says why;
 * an operator may replay it once the cause is fixed (the API audits who did).
 */
export function EventsPage({ session }: { session: Session }) {
  const [draft, setDraft] = useState({ state: '', ticket: '' });
  const [applied, setApplied] = useState(draft);
  const [actionError, setActionError] = useState<string>();
  const [replayed, setReplayed] = useState<string>();
  const path = `/events${query({ state: applied.state, ticket: applied.ticket.trim(), limit: '200' })}`;
  const events = useLive(() => api.get<{ events: EventView[] }>(path), path);
  const canReplay = session.permissions.includes('runs:retry');

  const replay = async (event: EventView) => {
    setActionError(undefined);
    try {
      await api.post(`/events/${event.id}/replay`);
      setReplayed(`Event ${event.id} of ${event.ticket} replayed.`);
      events.reload();
    } catch (err) {
      setActionError(`Replay of event ${event.id} refused: ${(err as Error).message}`);
    }
  };

  return (
    <>
      <h1>Events</h1>
      <form
        class="filters"
        role="search"
        aria-label="Find events"
        onSubmit={(e) => {
          e.preventDefault();
          setApplied(draft);
        }}
      >
        <label>
          State
          <select
            value={draft.state}
            onChange={(e) => setDraft({ ...draft, state: (e.target as HTMLSelectElement).value })}
          >
            <option value="">any</option>
            {EVENT_STATES.map((s) => (
              <option key={s} value={s}>
                {s}
              </option>
            ))}
          </select>
        </label>
        <label>
          Ticket
          <input
            type="search"
            name="ticket"
            value={draft.ticket}
            onInput={(e) => setDraft({ ...draft, ticket: (e.target as HTMLInputElement).value })}
          />
        </label>
        <button type="submit">Search</button>
      </form>
      <ErrorLine error={events.error ?? actionError} />
      {replayed && (
        <p role="status" class="muted">
          {replayed}
        </p>
      )}
      {events.data && events.data.events.length === 0 && <p>No event matches.</p>}
      {events.data && events.data.events.length > 0 && (
        <table class="events">
          <caption class="visually-hidden">Inbox events, newest first (updated live)</caption>
          <TableHead
            columns={['Received', 'Ticket', 'Table', 'Source', 'Kind', 'State', 'Reason', 'Attempts', 'Action']}
          />
          <tbody>
            {events.data.events.map((event) => (
              <tr key={event.id}>
                <td>{when(event.received_at)}</td>
                <td>{event.ticket}</td>
                <td>{event.table}</td>
                <td>{event.source}</td>
                <td>{event.kind}</td>
                <td>
                  <StateBadge state={event.state} />
                </td>
                <td class={event.state === 'rejected' ? 'error' : undefined}>{event.reason ?? '—'}</td>
                <td>{event.attempts}</td>
                <td>
                  {event.state === 'rejected' && canReplay ? (
                    <button
                      type="button"
                      aria-label={`Replay event ${event.id} of ${event.ticket}`}
                      onClick={() => void replay(event)}
                    >
                      Replay
                    </button>
                  ) : (
                    <span class="muted">—</span>
                  )}
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </>
  );
}

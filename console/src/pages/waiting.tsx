import { api } from '../api';
import { ErrorLine } from '../components/error-line';
import { when } from '../format';
import { useLive } from '../hooks';
import type { RunView } from '../types';
import { TableHead } from '../components/table-head';

/**
 * Runs held back by a gate: an approval, a change window, a freeze, a change not yet implementable.
 * Each row says which gate and why, in the gate's own words (they name the window's end or the freeze).
 */
export function WaitingPage() {
  const runs = useLive(() => api.get<RunView[]>('/runs?state=running&limit=500'), 'waiting');
  const held = (runs.data ?? []).flatMap((run) => run.steps.filter((s) => s.waitingFor).map((step) => ({ run, step })));
  return (
    <>
      <h1>Waiting on change</h1>
      <ErrorLine error={runs.error} />
      {runs.data && held.length === 0 && <p>No run is waiting on a gate.</p>}
      {held.length > 0 && (
        <table>
          <TableHead columns={['Ticket', 'Rule', 'Step', 'Gates', 'Waiting for', 'Run started']} />
          <tbody>
            {held.map(({ run, step }) => (
              <tr key={`${run.id}:${step.name}`}>
                <td>{run.ticket}</td>
                <td>
                  <a href={`#/runs/${encodeURIComponent(run.id)}`}>{run.rule}</a>
                </td>
                <td>{step.name}</td>
                <td>{step.gates.join(', ')}</td>
                <td class="waiting">{step.waitingFor}</td>
                <td>{when(run.createdAt)}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </>
  );
}

import { api } from '../api';
import { ErrorLine } from '../components/error-line';
import { StateBadge } from '../components/state-badge';
import { usePolled } from '../hooks';
import type { RuleSummary } from '../types';
import { DryRunPanel } from './dry-run';

const triggerText = (t: unknown) =>
  typeof t === 'string' ? t : `command ${(t as { command?: string }).command ?? ''}`;

/** Each process's rule table (incident, change, problem), in evaluation order, and the dry-run. */
export function RulesPage() {
  const rules = usePolled(() => api.get<{ version: string; rules: RuleSummary[] }>('/rules'), 'rules', 15_000);
  const byTable = new Map<string, RuleSummary[]>();
  for (const rule of rules.data?.rules ?? []) byTable.set(rule.table, [...(byTable.get(rule.table) ?? []), rule]);
  return (
    <>
      <h1>Rules</h1>
      <ErrorLine error={rules.error} />
      {rules.data && (
        <p>
          Running version <code>{rules.data.version}</code>. <a href="#/proposals">Proposed changes</a>
        </p>
      )}
      {[...byTable.entries()].map(([table, list]) => (
        <section key={table} aria-labelledby={`table-${table}`}>
          <h2 id={`table-${table}`}>{table}</h2>
          <table>
            <thead>
              <tr>
                <th scope="col">Rule</th>
                <th scope="col">Fires on</th>
                <th scope="col">Mode</th>
                <th scope="col">Risk</th>
              </tr>
            </thead>
            <tbody>
              {list.map((r) => (
                <tr key={r.id}>
                  <td>
                    <a href={`#/rules/${encodeURIComponent(r.id)}`}>{r.id}</a>
                  </td>
                  <td>{r.on.map(triggerText).join(', ')}</td>
                  <td>
                    <StateBadge state={r.mode} />
                  </td>
                  <td>{r.risk}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </section>
      ))}
      <DryRunPanel />
    </>
  );
}

import { useState } from 'preact/hooks';
import { api } from '../api';
import { BarChart } from '../components/bar-chart';
import { ErrorLine } from '../components/error-line';
import { duration } from '../format';
import { usePolled } from '../hooks';
import type { Overview, ServiceNowBudget, SloReport } from '../types';
import { TableHead } from '../components/table-head';

const hourLabel = (iso: string) => new Date(iso).toLocaleTimeString(undefined, { hour: '2-digit', minute: '2-digit' });

/** Runs per hour, success rate and run duration per rule over a window. */
export function OverviewPage() {
  const [hours, setHours] = useState('24');
  const overview = usePolled(() => api.get<Overview>(`/overview?hours=${hours}`), hours, 30_000);
  const o = overview.data;
  return (
    <>
      <h1>Overview</h1>
      <form class="filters" onSubmit={(e) => e.preventDefault()}>
        <label>
          Window
          <select value={hours} onChange={(e) => setHours((e.target as HTMLSelectElement).value)}>
            <option value="6">last 6 hours</option>
            <option value="24">last 24 hours</option>
            <option value="168">last 7 days</option>
          </select>
        </label>
      </form>
      <ErrorLine error={overview.error} />
      {o && (
        <>
          <p class="big">
            Success rate: <strong>{o.successRate === null ? '—' : `${(o.successRate * 100).toFixed(1)} %`}</strong>
            {o.truncated && <span class="muted"> (the window holds more runs than one overview reads)</span>}
          </p>
          <BarChart
            title="Runs per hour"
            labels={o.perHour.map((h) => hourLabel(h.hour))}
            series={[
              { label: 'succeeded', className: 'bar-ok', values: o.perHour.map((h) => h.succeeded) },
              { label: 'failed', className: 'bar-bad', values: o.perHour.map((h) => h.failed) },
              {
                label: 'other',
                className: 'bar-other',
                values: o.perHour.map((h) => h.started - h.succeeded - h.failed),
              },
            ]}
          />
          <BudgetChart />
          <SloPanel />
          <h2>Duration per rule</h2>
          <table>
            <TableHead columns={['Rule', 'Runs', 'Succeeded', 'Failed', 'p50', 'p95']} />
            <tbody>
              {o.byRule.map((r) => (
                <tr key={r.rule}>
                  <td>{r.rule}</td>
                  <td>{r.runs}</td>
                  <td>{r.succeeded}</td>
                  <td>{r.failed}</td>
                  <td>{duration(r.p50Ms)}</td>
                  <td>{duration(r.p95Ms)}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </>
      )}
    </>
  );
}

/** ServiceNow API calls per hour against the integration user's hourly limit (servicenow.requestsPerHour). */
function BudgetChart() {
  const budget = usePolled(() => api.get<ServiceNowBudget>('/servicenow/budget?hours=24'), 'budget', 30_000);
  const b = budget.data;
  if (!b) return <ErrorLine error={budget.error} />;
  const thisHour = b.perHour[b.perHour.length - 1]?.calls ?? 0;
  return (
    <section aria-labelledby="budget-heading">
      <h2 id="budget-heading">ServiceNow API budget</h2>
      <p>
        This hour: <strong>{thisHour}</strong> calls
        {b.limitPerHour === null ? (
          <> (no hourly limit configured: set servicenow.requestsPerHour)</>
        ) : (
          <>
            {' '}
            of <strong>{b.limitPerHour}</strong> per hour ({((thisHour / b.limitPerHour) * 100).toFixed(1)} % used
            {b.remaining !== null && `; ${b.remaining} left before the limiter refills`})
          </>
        )}
        . <span class="muted">Counted by this instance.</span>
      </p>
      <BarChart
        title="ServiceNow API calls per hour"
        labels={b.perHour.map((h) => hourLabel(h.hour))}
        series={[{ label: 'calls', className: 'bar-calls', values: b.perHour.map((h) => h.calls) }]}
        limit={b.limitPerHour === null ? undefined : { label: 'hourly limit', value: b.limitPerHour }}
      />
    </section>
  );
}

const percent = (share: number | null) =>
  share === null ? '—' : `${(share * 100).toFixed(2).replace(/\.?0+$/, '')} %`;

/** Each SLO with its indicator over the period, the error budget left and whether it burns; the alerts open in ServiceNow. */
function SloPanel() {
  const report = usePolled(() => api.get<SloReport>('/slo'), 'slo', 60_000);
  const r = report.data;
  if (!r) return <ErrorLine error={report.error} />;
  return (
    <section aria-labelledby="slo-heading">
      <h2 id="slo-heading">Service level objectives</h2>
      <table>
        <TableHead columns={['Rule', 'Indicator', 'Objective', 'Measured', 'Runs', 'Error budget left', 'Burning']} />
        <tbody>
          {r.slos.map((s) => (
            <tr key={s.id}>
              <td>{s.rule === '*' ? 'all rules' : s.rule}</td>
              <td>{s.indicator === 'success' ? 'success' : `duration ≤ ${s.thresholdSeconds} s`}</td>
              <td>
                {percent(s.objective)} over {s.periodDays} d
              </td>
              <td>{percent(s.sli)}</td>
              <td>{s.events}</td>
              <td>{percent(s.errorBudgetRemaining)}</td>
              <td>{s.burning ?? 'no'}</td>
            </tr>
          ))}
        </tbody>
      </table>
      <p>
        {r.alerts.length === 0
          ? 'No alert open in ServiceNow.'
          : `${r.alerts.length} alert(s) open in ServiceNow: ${r.alerts.map((a) => a.summary).join('; ')}`}
      </p>
    </section>
  );
}

import { useState } from 'preact/hooks';
import { api } from '../api';
import { ErrorLine } from '../components/error-line';
import { WATCHED_TABLES, type DryRunResult } from '../types';

/** Which rules a ticket would match, and for the others why not: the clause of the condition that failed. */
export function DryRunPanel() {
  const [table, setTable] = useState<string>('incident');
  const [number, setNumber] = useState('');
  const [record, setRecord] = useState('');
  const [result, setResult] = useState<DryRunResult>();
  const [error, setError] = useState<string>();

  const submit = async () => {
    setError(undefined);
    setResult(undefined);
    try {
      if (number.trim()) {
        setResult(await api.post<DryRunResult>('/rules/dry-run/ticket', { table, number: number.trim() }));
        return;
      }
      let parsed: unknown;
      try {
        parsed = JSON.parse(record);
      } catch {
        throw new Error(
          'Record: not JSON. Paste the ticket as the Table API shows it, e.g. {"short_description": "…"}',
        );
      }
      setResult(await api.post<DryRunResult>('/rules/dry-run', { table, record: parsed }));
    } catch (err) {
      setError((err as Error).message);
    }
  };

  return (
    <section aria-labelledby="dry-run-heading">
      <h2 id="dry-run-heading">Dry-run</h2>
      <p class="help">Nothing runs: this shows which rules a ticket would start, and why the others would not.</p>
      <form
        class="filters"
        onSubmit={(e) => {
          e.preventDefault();
          void submit();
        }}
      >
        <label>
          Process
          <select value={table} onChange={(e) => setTable((e.target as HTMLSelectElement).value)}>
            {WATCHED_TABLES.map((t) => (
              <option key={t} value={t}>
                {t}
              </option>
            ))}
          </select>
        </label>
        <label>
          Ticket number
          <input name="number" value={number} onInput={(e) => setNumber((e.target as HTMLInputElement).value)} />
        </label>
        <label class="wide">
          or pasted record (JSON)
          <textarea
            name="record"
            rows={4}
            cols={60}
            value={record}
            onInput={(e) => setRecord((e.target as HTMLTextAreaElement).value)}
          />
        </label>
        <button type="submit">Dry-run</button>
      </form>
      <ErrorLine error={error} />
      {result && <DryRunAnswer result={result} />}
    </section>
  );
}

function DryRunAnswer({ result }: { result: DryRunResult }) {
  const others = Object.entries(result.explain).filter(([, e]) => !e.matched);
  return (
    <div aria-live="polite">
      <h3>Matches (version {result.ruleVersion})</h3>
      {result.matched.length === 0 ? (
        <p>No rule matches.</p>
      ) : (
        <ul>
          {result.matched.map((id) => (
            <li key={id}>
              <strong>{id}</strong>:{' '}
              {result.steps
                .filter((s) => s.rule === id)
                .map((s) => `${s.name} (${s.use})`)
                .join(', ')}
            </li>
          ))}
        </ul>
      )}
      <h3>Not matched, and why</h3>
      <table>
        <thead>
          <tr>
            <th scope="col">Rule</th>
            <th scope="col">Why not</th>
            <th scope="col">Failed clause</th>
          </tr>
        </thead>
        <tbody>
          {others.map(([id, e]) => (
            <tr key={id}>
              <td>{id}</td>
              <td>{e.reason}</td>
              <td>
                {(e.failedTerms ?? []).map((t) => (
                  <code key={t} class="clause">
                    {t}
                  </code>
                ))}
              </td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}

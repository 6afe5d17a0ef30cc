import { useState } from 'preact/hooks';
import { api } from '../api';
import { ErrorLine } from '../components/error-line';
import { RuleVersions } from '../components/rule-versions';
import { usePolled } from '../hooks';
import type { RuleDetail } from '../types';

const triggerText = (t: unknown) => (typeof t === 'string' ? t : JSON.stringify(t));

/** Offers a file the browser saves; a blob URL, so no server round trip and nothing inline for the CSP to refuse. */
function download(fileName: string, text: string, type: string) {
  const url = URL.createObjectURL(new Blob([text], { type }));
  const a = document.createElement('a');
  a.href = url;
  a.download = fileName;
  a.click();
  setTimeout(() => URL.revokeObjectURL(url), 1000);
}

/** A rule as a flow: trigger → condition → gates → steps (parallel ones side by side) → write-back. */
export function RuleDetailPage({ id }: { id: string }) {
  const rule = usePolled(() => api.get<RuleDetail>(`/rules/${encodeURIComponent(id)}`), id, 0);
  const [error, setError] = useState<string>();
  if (!rule.data) return <ErrorLine error={rule.error} />;
  const r = rule.data;
  const steps = new Map(r.steps.map((s) => [s.name, s]));
  const exportBpmn = async () => {
    try {
      const { fileName, xml } = await api.get<{ fileName: string; xml: string }>(
        `/rules/${encodeURIComponent(id)}/bpmn`,
      );
      download(fileName, xml, 'application/xml');
    } catch (err) {
      setError((err as Error).message);
    }
  };
  return (
    <>
      <p>
        <a href="#/rules">← Rules</a>
      </p>
      <h1>{r.id}</h1>
      <p>{r.description}</p>
      <dl class="facts">
        <dt>Process</dt>
        <dd>
          {r.table} ({r.file})
        </dd>
        <dt>Owner</dt>
        <dd>{r.owner}</dd>
        <dt>Risk · mode</dt>
        <dd>
          {r.risk} · {r.mode}
        </dd>
        <dt>Version</dt>
        <dd>
          <code>{r.version}</code>
        </dd>
      </dl>
      <h2>Flow</h2>
      <ol class="flow" aria-label={`Flow of ${r.id}`}>
        <li>
          <strong>Trigger</strong>
          <br />
          {r.table} {r.on.map(triggerText).join(', ')}
        </li>
        <li>
          <strong>Condition</strong>
          <br />
          <code>{r.condition || '(always)'}</code>
        </li>
        {r.gates.map((g) => (
          <li key={g}>
            <strong>Gate</strong>
            <br />
            {g}
          </li>
        ))}
        {r.stages.map((names, i) => (
          <li key={i}>
            <strong>{names.length > 1 ? 'In parallel' : 'Step'}</strong>
            {names.map((name) => (
              <div key={name}>
                {name} <span class="muted">({steps.get(name)?.use})</span>
                {steps.get(name)?.when && <div class="muted">only when {steps.get(name)?.when}</div>}
              </div>
            ))}
          </li>
        ))}
        <li>
          <strong>Write-back</strong>
          <br />
          {Object.keys(r.writeback).join(', ') || 'none'}
        </li>
      </ol>
      <div class="buttons">
        <button type="button" onClick={() => void exportBpmn()}>
          Export BPMN 2.0
        </button>
      </div>
      <ErrorLine error={error} />
      {Object.entries(r.writeback).map(([when, w]) => (
        <section key={when}>
          <h3>Write-back on {when}</h3>
          {w?.work_note && <blockquote>{w.work_note}</blockquote>}
          {w?.fields && Object.keys(w.fields).length > 0 && (
            <p>
              Fields:{' '}
              {Object.entries(w.fields)
                .map(([k, v]) => `${k} = ${v}`)
                .join('; ')}
            </p>
          )}
        </section>
      ))}
      <RuleVersions id={id} />
    </>
  );
}

import { api } from '../api';
import { when } from '../format';
import { usePolled } from '../hooks';
import type { RuleRevision } from '../types';
import { DiffView } from './diff-view';
import { ErrorLine } from './error-line';

/** The versions of the mapping tables in which this rule changed, newest first, each with its diff. */
export function RuleVersions({ id }: { id: string }) {
  const history = usePolled(
    () => api.get<{ revisions: RuleRevision[] }>(`/rules/${encodeURIComponent(id)}/versions`),
    id,
    0,
  );
  return (
    <section aria-labelledby="versions-heading">
      <h2 id="versions-heading">Versions</h2>
      <ErrorLine error={history.error} />
      {history.data && history.data.revisions.length === 0 && <p>No stored version of this rule.</p>}
      <ol class="revisions">
        {history.data?.revisions.map((r, i) => (
          <li key={r.version}>
            <details open={i === 0}>
              <summary>
                <code>{r.version}</code> · {when(r.loadedAt)} · loaded by {r.loadedBy}
                {r.current && <span class="state state-active"> running</span>}
                {r.text === null && <span class="state state-cancelled"> removed</span>}
              </summary>
              <DiffView diff={r.diff} label={`Changes in version ${r.version}`} />
            </details>
          </li>
        ))}
      </ol>
    </section>
  );
}

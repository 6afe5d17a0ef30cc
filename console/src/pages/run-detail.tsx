import { useState } from 'preact/hooks';
import { api } from '../api';
import { ErrorLine } from '../components/error-line';
import { StateBadge } from '../components/state-badge';
import { duration, when } from '../format';
import { useLive } from '../hooks';
import type { Permission, RunTimeline, Session } from '../types';

type Step = RunTimeline['steps'][number];
type StepView = RunTimeline['run']['steps'][number];

const FINISHED = ['succeeded', 'failed', 'skipped', 'refused', 'cancelled'];

/** What the signed-in role may do to this run now; anything else is not offered (the API refuses it too). */
function allowedActions(timeline: RunTimeline, can: (p: Permission) => boolean) {
  const { run } = timeline;
  const awaitingApproval = run.steps.some((s) => !FINISHED.includes(s.state) && s.gates.includes('approval'));
  return {
    retry: can('runs:retry') && run.state === 'failed',
    cancel: can('runs:cancel') && ['queued', 'running', 'paused'].includes(run.state),
    decide: can('approvals:decide') && run.state === 'running' && awaitingApproval,
    skip: (step: StepView) =>
      can('runs:retry') && (step.state === 'failed' ? run.state === 'failed' : step.state === 'blocked'),
  };
}

/** One run: its rule and pinned version, a timeline of stages (parallel steps side by side), write-backs and decisions. */
export function RunDetailPage({ id, session }: { id: string; session: Session }) {
  const timeline = useLive(() => api.get<RunTimeline>(`/runs/${encodeURIComponent(id)}/timeline`), id);
  const [actionError, setActionError] = useState<string>();
  const [busy, setBusy] = useState(false);
  const can = (p: Permission) => session.permissions.includes(p);

  const act = async (path: string, body?: unknown) => {
    setBusy(true);
    setActionError(undefined);
    try {
      await api.post(`/runs/${encodeURIComponent(id)}${path}`, body);
      timeline.reload();
    } catch (err) {
      setActionError((err as Error).message);
    } finally {
      setBusy(false);
    }
  };

  if (!timeline.data) return <ErrorLine error={timeline.error} />;
  const { run } = timeline.data;
  const allowed = allowedActions(timeline.data, can);
  return (
    <>
      <p>
        <a href="#/runs">← Runs</a>
      </p>
      <h1>
        Run of {run.rule} on {run.ticket}
      </h1>
      <dl class="facts">
        <dt>State</dt>
        <dd>
          <StateBadge state={run.state} />
        </dd>
        <dt>Rule</dt>
        <dd>
          <a href={`#/rules/${encodeURIComponent(run.rule)}`}>{run.rule}</a>, pinned to version{' '}
          <code>{run.ruleVersion}</code>
        </dd>
        <dt>Ticket</dt>
        <dd>
          {run.ticket} ({run.table})
        </dd>
        <dt>Started</dt>
        <dd>{when(run.createdAt)}</dd>
        <dt>Finished</dt>
        <dd>{when(run.finishedAt)}</dd>
        <dt>Run id</dt>
        <dd>
          <code>{run.id}</code>
        </dd>
      </dl>
      <div class="buttons" role="group" aria-label="Actions">
        {allowed.retry && (
          <button type="button" disabled={busy} onClick={() => void act('/retry')}>
            Retry
          </button>
        )}
        {allowed.cancel && (
          <button type="button" disabled={busy} onClick={() => void act('/cancel')}>
            Cancel
          </button>
        )}
        {allowed.decide && (
          <>
            <button type="button" disabled={busy} onClick={() => void act('/approve', {})}>
              Approve
            </button>
            <button type="button" disabled={busy} onClick={() => void act('/reject', {})}>
              Reject
            </button>
          </>
        )}
      </div>
      <ErrorLine error={actionError ?? timeline.error} />
      <Timeline
        timeline={timeline.data}
        canSkip={allowed.skip}
        onSkip={(step) => void act(`/steps/${step}/skip`, {})}
      />
      <Writebacks timeline={timeline.data} />
      <Decisions timeline={timeline.data} />
    </>
  );
}

function Timeline(props: { timeline: RunTimeline; canSkip: (s: StepView) => boolean; onSkip: (name: string) => void }) {
  const stages = new Map<number, Step[]>();
  for (const step of props.timeline.steps) stages.set(step.stage, [...(stages.get(step.stage) ?? []), step]);
  const views = new Map(props.timeline.run.steps.map((s) => [s.name, s]));
  return (
    <section aria-labelledby="timeline-heading">
      <h2 id="timeline-heading">Timeline</h2>
      <ol class="stages">
        {[...stages.entries()]
          .sort(([a], [b]) => a - b)
          .map(([stage, steps]) => (
            <li key={stage} class="stage">
              <span class="stage-label">
                Stage {stage + 1}
                {steps.length > 1 ? ' (in parallel)' : ''}
              </span>
              <div class="lanes">
                {steps.map((step) => (
                  <StepCard key={step.name} step={step} view={views.get(step.name)} {...props} />
                ))}
              </div>
            </li>
          ))}
      </ol>
    </section>
  );
}

function StepCard(props: {
  step: Step;
  view: StepView | undefined;
  canSkip: (s: StepView) => boolean;
  onSkip: (name: string) => void;
}) {
  const { step, view } = props;
  return (
    <article class="step" aria-label={`Step ${step.name}`}>
      <h3>
        <span class="step-name">{step.name}</span> <StateBadge state={step.state} />
      </h3>
      <p class="muted">
        {view?.use}
        {view && view.gates.length > 0 ? ` · gates: ${view.gates.join(', ')}` : ''}
        {view?.compensates ? ` · undoes ${view.compensates}` : ''}
      </p>
      <p>
        {step.attempt > 1 ? `attempt ${step.attempt} · ` : ''}
        {when(step.startedAt)} → {when(step.finishedAt)} ({duration(step.durationMs)})
      </p>
      {step.waitingFor && <p class="waiting">Waiting: {step.waitingFor}</p>}
      {view?.externalRef && <p>Backend job: {view.externalRef}</p>}
      {view?.error && <p class="error">{view.error}</p>}
      {step.output && (
        <details>
          <summary>Output of {step.name}</summary>
          <pre tabIndex={0} aria-label={`Output of ${step.name}`}>
            {step.output}
          </pre>
        </details>
      )}
      {view && props.canSkip(view) && (
        <button type="button" onClick={() => props.onSkip(step.name)}>
          Skip {step.name}
        </button>
      )}
    </article>
  );
}

function Writebacks({ timeline }: { timeline: RunTimeline }) {
  return (
    <section aria-labelledby="writebacks-heading">
      <h2 id="writebacks-heading">Written back to {timeline.run.ticket}</h2>
      {timeline.writebacks.length === 0 && <p>Nothing yet.</p>}
      <ul class="writebacks">
        {timeline.writebacks.map((w, i) => (
          <li key={i}>
            <StateBadge state={w.state} /> queued {when(w.queuedAt)}, sent {when(w.sentAt)}
            {w.attempts > 1 ? ` after ${w.attempts} attempts` : ''}
            {w.lastError && <span class="error"> — {w.lastError}</span>}
            {w.workNote && <blockquote aria-label="Work note">{w.workNote}</blockquote>}
            {w.fileName && <p>Attached {w.fileName}</p>}
            {Object.keys(w.fields).length > 0 && (
              <p>
                Fields:{' '}
                {Object.entries(w.fields)
                  .map(([k, v]) => `${k} = ${String(v)}`)
                  .join('; ')}
              </p>
            )}
          </li>
        ))}
      </ul>
    </section>
  );
}

function Decisions({ timeline }: { timeline: RunTimeline }) {
  if (timeline.decisions.length === 0) return null;
  return (
    <section aria-labelledby="decisions-heading">
      <h2 id="decisions-heading">Decisions</h2>
      <ul>
        {timeline.decisions.map((d, i) => (
          <li key={i}>
            {when(d.at)}: {d.kind} by {d.actor}
          </li>
        ))}
      </ul>
    </section>
  );
}

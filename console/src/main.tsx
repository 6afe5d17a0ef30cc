import { render } from 'preact';
import { useEffect, useState } from 'preact/hooks';
import { api, tokenStore, whenUnauthorized } from './api';
import { useHashRoute } from './hooks';
import { stopLive } from './live';
import { EventsPage } from './pages/events';
import { OverviewPage } from './pages/overview';
import { ProposalsPage } from './pages/proposals';
import { RuleDetailPage } from './pages/rule-detail';
import { RulesPage } from './pages/rules';
import { RunDetailPage } from './pages/run-detail';
import { RunsPage } from './pages/runs';
import { SignInPage } from './pages/sign-in';
import { WaitingPage } from './pages/waiting';
import type { Session } from './types';

const PAGES = [
  { path: '/overview', label: 'Overview' },
  { path: '/runs', label: 'Runs' },
  { path: '/waiting', label: 'Waiting on change' },
  { path: '/events', label: 'Events' },
  { path: '/rules', label: 'Rules' },
  { path: '/proposals', label: 'Proposals' },
] as const;

function Navigation({ route, session, onSignOut }: { route: string; session: Session; onSignOut: () => void }) {
  return (
    <header class="top">
      <span class="brand">Snowline</span>
      <nav aria-label="Console pages">
        <ul>
          {PAGES.map((p) => (
            <li key={p.path}>
              <a href={`#${p.path}`} aria-current={route.startsWith(p.path) ? 'page' : undefined}>
                {p.label}
              </a>
            </li>
          ))}
          <li>
            <a href="/api/v1/docs/">API docs</a>
          </li>
        </ul>
      </nav>
      <span class="who">
        {session.subject} ({session.roles.join(', ')})
      </span>
      <button type="button" onClick={onSignOut}>
        Sign out
      </button>
    </header>
  );
}

function Page({ route, session }: { route: string; session: Session }) {
  const runMatch = /^\/runs\/([^/]+)$/.exec(route);
  if (runMatch) return <RunDetailPage id={decodeURIComponent(runMatch[1]!)} session={session} />;
  const ruleMatch = /^\/rules\/([^/]+)$/.exec(route);
  if (ruleMatch) return <RuleDetailPage id={decodeURIComponent(ruleMatch[1]!)} />;
  if (route.startsWith('/rules')) return <RulesPage />;
  if (route.startsWith('/proposals')) return <ProposalsPage session={session} />;
  if (route.startsWith('/waiting')) return <WaitingPage />;
  if (route.startsWith('/events')) return <EventsPage session={session} />;
  if (route.startsWith('/overview')) return <OverviewPage />;
  return <RunsPage session={session} />;
}

function App() {
  const route = useHashRoute();
  const [session, setSession] = useState<Session | null | undefined>(undefined);
  const signOut = () => {
    tokenStore.clear();
    stopLive();
    setSession(null);
  };
  useEffect(() => {
    whenUnauthorized(signOut);
    if (!tokenStore.get()) return setSession(null);
    api.get<Session>('/session').then(setSession, () => signOut());
  }, []);
  if (session === undefined) return <p>Loading…</p>;
  if (session === null) return <SignInPage onSignedIn={setSession} />;
  return (
    <>
      <Navigation route={route} session={session} onSignOut={signOut} />
      <main id="main">
        <Page route={route} session={session} />
      </main>
    </>
  );
}

render(<App />, document.getElementById('app')!);

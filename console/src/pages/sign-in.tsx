import { useEffect, useState } from 'preact/hooks';
import { api, tokenStore } from '../api';
import type { Session } from '../types';

interface Settings {
  sandbox: boolean;
  roles: string[];
  oidc: { providerName: string } | null;
}

/** The reason the server gave when it sent the browser back from the identity provider, once. */
function oidcErrorFromAddress(): string | undefined {
  const reason = new URLSearchParams(location.search).get('oidc_error');
  if (reason === null) return undefined;
  history.replaceState(null, '', location.pathname + location.hash);
  return `Sign-in with the identity provider failed: ${reason}`;
}

/** Signs in with the API's own JWT; checks it against the API before keeping it. */
export function SignInPage({ onSignedIn }: { onSignedIn: (session: Session) => void }) {
  const [token, setToken] = useState('');
  const [error, setError] = useState<string | undefined>(oidcErrorFromAddress);
  const [settings, setSettings] = useState<Settings>();
  useEffect(() => {
    api.consoleGet<Settings>('/settings.json').then(
      (loaded) => {
        setSettings(loaded);
        // Back from the identity provider: the server holds the token for this page to collect, once.
        if (loaded.oidc)
          api.consolePost<{ token: string }>('/oidc/session', {}).then(
            ({ token: issued }) => void signIn(issued),
            () => undefined,
          );
      },
      () => undefined,
    );
  }, []);

  const signIn = async (candidate: string) => {
    setError(undefined);
    try {
      const session = await api.get<Session>('/session', candidate.trim());
      tokenStore.set(candidate.trim());
      onSignedIn(session);
    } catch (err) {
      setError(`Sign-in refused: ${(err as Error).message}`);
    }
  };
  const sandboxSignIn = async (role: string) => {
    try {
      const { token: issued } = await api.consolePost<{ token: string }>('/sandbox-sign-in', { role });
      await signIn(issued);
    } catch (err) {
      setError(`Sandbox sign-in refused: ${(err as Error).message}`);
    }
  };

  return (
    <main id="main" class="sign-in">
      <h1>Snowline console</h1>
      <form
        onSubmit={(e) => {
          e.preventDefault();
          void signIn(token);
        }}
      >
        <label>
          Token
          <input
            type="password"
            name="token"
            autoComplete="off"
            required
            value={token}
            onInput={(e) => setToken((e.target as HTMLInputElement).value)}
            aria-describedby="token-help"
          />
        </label>
        <p id="token-help" class="help">
          The same JWT as the API (<code>snowline token --sub NAME --role ROLE</code>).
        </p>
        <button type="submit">Sign in</button>
      </form>
      {settings?.oidc && (
        <section aria-labelledby="oidc-heading">
          <h2 id="oidc-heading">Single sign-on</h2>
          <p>
            <a class="button" href="/console/oidc/login">
              Sign in with {settings.oidc.providerName}
            </a>
          </p>
        </section>
      )}
      {settings?.sandbox && (
        <section aria-labelledby="sandbox-heading">
          <h2 id="sandbox-heading">Sandbox: sign in as a role</h2>
          <p class="help">Offered only with the built-in sandbox, to callers on this machine.</p>
          <div class="buttons">
            {settings.roles.map((role) => (
              <button type="button" key={role} onClick={() => void sandboxSignIn(role)}>
                Sign in as {role}
              </button>
            ))}
          </div>
        </section>
      )}
      {error && (
        <p role="alert" class="error">
          {error}
        </p>
      )}
    </main>
  );
}

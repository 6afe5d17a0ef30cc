import { useEffect, useState } from 'preact/hooks';
import { api, tokenStore } from '../api';
import type { Session } from '../types';

interface Settings {
  sandbox: boolean;
  roles: string[];
}

/** Signs in with the API's own JWT; checks it against the API before keeping it. */
export function SignInPage({ onSignedIn }: { onSignedIn: (session: Session) => void }) {
  const [token, setToken] = useState('');
  const [error, setError] = useState<string>();
  const [settings, setSettings] = useState<Settings>();
  useEffect(() => {
    api.consoleGet<Settings>('/settings.json').then(setSettings, () => undefined);
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

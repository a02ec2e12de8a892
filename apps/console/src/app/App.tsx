import { useCallback, useEffect, useRef, useState } from 'react';
import type { ApiError } from './api';
import { ConsoleShell } from './ConsoleShell';
import { SignIn } from './components/SignIn';
import { clearOidcSession, completeSignIn, isSignInCallback, loadOidcSession, renew, renewalDelayMs, revokeSession, SESSION_ENDED, startSignIn, type OidcSession, type SignInConfig } from './oidc';
import { clearToken, loadToken, saveToken } from './session';

type Session = { kind: 'pasted'; token: string } | { kind: 'oidc'; oidc: OidcSession; started: number };

function initialSession(): Session | null {
  const oidc = loadOidcSession();
  if (oidc && !isSignInCallback()) return { kind: 'oidc', oidc, started: Date.now() };
  const token = loadToken();
  return token ? { kind: 'pasted', token } : null;
}

/** `GET /v1/console/config`: how to sign in; null (paste a token) when it cannot be read. */
function useSignInConfig(): SignInConfig | null | undefined {
  const [config, setConfig] = useState<SignInConfig | null | undefined>(undefined);
  useEffect(() => {
    fetch('/v1/console/config', { credentials: 'omit' })
      .then((res) => (res.ok ? (res.json() as Promise<{ signIn: SignInConfig | null }>) : { signIn: null }))
      .then((body) => setConfig(body.signIn), () => setConfig(null));
  }, []);
  return config;
}

/**
 * Signed out → the sign-in page (the identity provider, and pasting a token); signed in → the console.
 * A single sign-on session renews its ID token with the refresh token before it expires, without the
 * console starting over; when it cannot (or any call answers 401) the session ends with one plain sentence.
 */
export function App() {
  const config = useSignInConfig();
  const [session, setSession] = useState<Session | null>(initialSession);
  const [notice, setNotice] = useState<string | null>(null);
  const [completing, setCompleting] = useState(isSignInCallback);
  // The token of the moment, read by every API call (renewal replaces it in place).
  const current = useRef<string>('');
  if (session) current.current = session.kind === 'oidc' ? session.oidc.idToken : session.token;

  const token = useCallback(() => current.current, []);

  const signOut = useCallback((message: string | null) => {
    clearToken();
    clearOidcSession();
    setNotice(message);
    setSession(null);
  }, []);

  // Back from the identity provider: exchange the code for tokens.
  useEffect(() => {
    if (!completing || config === undefined) return;
    if (config === null) {
      setCompleting(false);
      return;
    }
    completeSignIn(config).then(
      (oidc) => {
        setNotice(null);
        setSession({ kind: 'oidc', oidc, started: Date.now() });
        setCompleting(false);
      },
      () => {
        setCompleting(false);
        signOut(SESSION_ENDED);
      },
    );
  }, [completing, config, signOut]);

  // Silent renewal, scheduled from each new token's expiry.
  const oidc = session?.kind === 'oidc' ? session.oidc : null;
  useEffect(() => {
    if (!oidc || !config) return;
    const timer = setTimeout(() => {
      renew(config, oidc).then(
        (next) => {
          if (next) setSession((s) => (s?.kind === 'oidc' ? { ...s, oidc: next } : s));
        },
        () => signOut(SESSION_ENDED),
      );
    }, renewalDelayMs(oidc));
    return () => clearTimeout(timer);
  }, [oidc, config, signOut]);

  const signInWithToken = useCallback((value: string) => {
    saveToken(value);
    setNotice(null);
    setSession({ kind: 'pasted', token: value });
  }, []);

  const kind = session?.kind;
  const onUnauthorized = useCallback(
    (error: ApiError) => signOut(kind === 'oidc' ? SESSION_ENDED : `You were signed out: ${error.message} Paste a new admin token to continue.`),
    [signOut, kind],
  );

  if (completing) {
    return (
      <main className="signin">
        <p className="muted" role="status">
          Signing in…
        </p>
      </main>
    );
  }
  if (!session) {
    return (
      <SignIn
        onSignIn={signInWithToken}
        notice={notice}
        signIn={config ?? null}
        onSingleSignOn={() => {
          if (config) startSignIn(config).catch(() => setNotice('The identity provider could not be reached. Try again in a moment.'));
        }}
      />
    );
  }
  const sessionKey = session.kind === 'oidc' ? `oidc-${session.started}` : session.token;
  return (
    <ConsoleShell
      key={sessionKey}
      token={token}
      onSignOut={() => {
        signOut('You signed out.');
        // The tab forgets its tokens at once; the provider is then asked to end the refresh token too.
        if (session.kind === 'oidc' && config) {
          revokeSession(config, session.oidc).then(
            (ended) => {
              if (!ended) setNotice('You signed out. The identity provider offers no revocation: its session ends when its refresh token expires.');
            },
            () => setNotice('You signed out here, but the identity provider could not be told: its session ends when its refresh token expires.'),
          );
        }
      }}
      onUnauthorized={onUnauthorized}
      claimMapping={session.kind === 'oidc' ? config?.claims : undefined}
    />
  );
}

import { useId, useState, type FormEvent } from 'react';
import { ApiError, asApiError, createApiClient } from '../api';
import type { SignInConfig } from '../oidc';
import { readClaims } from '../session';
import { Logo } from './Logo';
import { FormError } from './states';

interface Props {
  onSignIn: (token: string) => void;
  notice: string | null;
  /** Single sign-on, when the deployment has an identity provider; pasting a token stays possible. */
  signIn: SignInConfig | null;
  onSingleSignOn: () => void;
}

/** Checks a pasted token against the API before keeping it, so a wrong paste is explained right here. */
async function verify(token: string): Promise<string | null> {
  const claims = readClaims(token);
  if (!claims) return 'This does not look like an admin token (a JWT has three parts separated by dots). Ingest keys (audk_…) cannot read the log.';
  if (claims.expiresAt && claims.expiresAt.getTime() <= Date.now()) return `This token expired on ${claims.expiresAt.toLocaleString()}. Mint a new one.`;
  if (claims.role && claims.role !== 'admin') return `This token has the role "${claims.role}"; reading the audit log needs an admin token.`;
  try {
    await createApiClient(token, () => undefined).get('/v1/events', new URLSearchParams({ limit: '1' }));
    return null;
  } catch (error) {
    const e = asApiError(error);
    if (e.status === 401) return `The server did not accept this token: ${e.message}`;
    if (e.status === 403) return `This token may not read the audit log: ${e.message}`;
    if (e instanceof ApiError && e.status === 0) return e.message;
    // Anything else (a 503, a filter error) is not about the token: let the console show it in place.
    return null;
  }
}

export function SignIn({ onSignIn, notice, signIn, onSingleSignOn }: Props) {
  const [value, setValue] = useState('');
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const inputId = useId();
  const helpId = useId();
  const errorId = useId();

  const submit = (event: FormEvent) => {
    event.preventDefault();
    const token = value.trim().replace(/^Bearer\s+/i, '');
    if (!token) {
      setError('Paste an admin token first.');
      return;
    }
    setBusy(true);
    setError(null);
    verify(token).then(
      (problem) => {
        setBusy(false);
        if (problem) setError(problem);
        else onSignIn(token);
      },
      () => setBusy(false),
    );
  };

  return (
    <main className="signin">
      <form className="signin-card" onSubmit={submit} aria-describedby={helpId} noValidate>
        <div className="signin-brand">
          <Logo />
          <div>
            <h1>Audit log</h1>
            <p className="muted">Who did what, where and how fast, across your organization.</p>
          </div>
        </div>
        {notice && (
          <p className="notice" role="status">
            {notice}
          </p>
        )}
        {signIn && (
          <>
            <button type="button" className="button primary wide" onClick={onSingleSignOn}>
              Sign in with {new URL(signIn.issuer).host}
            </button>
            <p className="muted small">Or paste an admin token:</p>
          </>
        )}
        <label htmlFor={inputId} className="field-label">
          Admin token
        </label>
        <textarea
          id={inputId}
          className="token-input"
          value={value}
          onChange={(e) => setValue(e.target.value)}
          onKeyDown={(e) => {
            if (e.key === 'Enter' && !e.shiftKey) submit(e);
          }}
          rows={4}
          spellCheck={false}
          autoComplete="off"
          autoFocus={!signIn}
          placeholder="eyJhbGciOiJIUzI1NiIs…"
          aria-invalid={error ? true : undefined}
          aria-describedby={error ? errorId : undefined}
        />
        <FormError problem={error} id={errorId} />
        <button type="submit" className={`button ${signIn ? 'ghost' : 'primary'} wide`} disabled={busy}>
          {busy ? 'Checking…' : signIn ? 'Sign in with this token' : 'Sign in'}
        </button>
        <p id={helpId} className="muted small">
          Mint one with <code>npm run cli -- token --org &lt;org&gt; --role admin</code>. The token stays in this browser tab only and is
          forgotten when you sign out or close the tab.
        </p>
      </form>
    </main>
  );
}

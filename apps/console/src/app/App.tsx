import { useCallback, useState } from 'react';
import type { ApiError } from './api';
import { ConsoleShell } from './ConsoleShell';
import { SignIn } from './components/SignIn';
import { clearToken, loadToken, saveToken } from './session';

/** Signed out → the sign-in form; signed in → the console. A 401 anywhere ends the session with a message. */
export function App() {
  const [token, setToken] = useState<string | null>(() => loadToken());
  const [notice, setNotice] = useState<string | null>(null);

  const signIn = useCallback((value: string) => {
    saveToken(value);
    setNotice(null);
    setToken(value);
  }, []);

  const signOut = useCallback((message: string | null) => {
    clearToken();
    setNotice(message);
    setToken(null);
  }, []);

  const onUnauthorized = useCallback(
    (error: ApiError) => signOut(`You were signed out: ${error.message} Paste a new admin token to continue.`),
    [signOut],
  );

  if (!token) return <SignIn onSignIn={signIn} notice={notice} />;
  return <ConsoleShell key={token} token={token} onSignOut={() => signOut('You signed out.')} onUnauthorized={onUnauthorized} />;
}

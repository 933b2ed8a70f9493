import { useEffect, useRef, useState } from 'react';
import { saveCredentials, type Credentials } from '../api/client';

/**
 * Asks for credentials after a 401: a user and password for basic auth, or
 * an API token. They are kept in sessionStorage (this tab only).
 */
export function Login({ scheme, message, onDone }: { scheme: string; message: string; onDone: () => void }) {
  const [kind, setKind] = useState<'basic' | 'token'>(scheme.toLowerCase() === 'bearer' ? 'token' : 'basic');
  const [user, setUser] = useState('');
  const [password, setPassword] = useState('');
  const [token, setToken] = useState('');
  const first = useRef<HTMLInputElement>(null);
  useEffect(() => first.current?.focus(), [kind]);
  const submit = (e: React.FormEvent) => {
    e.preventDefault();
    const c: Credentials = kind === 'basic' ? { kind, user, password } : { kind, token };
    saveCredentials(c);
    onDone();
  };
  return (
    <div className="overlay">
      <form className="card login" role="dialog" aria-modal="true" aria-labelledby="login-title" onSubmit={submit}>
        <h2 id="login-title">Sign in to ckron</h2>
        <p className="muted small">{message}</p>
        <fieldset className="inline">
          <legend>Method</legend>
          <label>
            <input type="radio" name="kind" checked={kind === 'basic'} onChange={() => setKind('basic')} /> user and password
          </label>
          <label>
            <input type="radio" name="kind" checked={kind === 'token'} onChange={() => setKind('token')} /> API token
          </label>
        </fieldset>
        {kind === 'basic' ? (
          <>
            <label htmlFor="login-user">User</label>
            <input id="login-user" ref={first} autoComplete="username" value={user} onChange={(e) => setUser(e.target.value)} required />
            <label htmlFor="login-password">Password</label>
            <input id="login-password" type="password" autoComplete="current-password" value={password} onChange={(e) => setPassword(e.target.value)} required />
          </>
        ) : (
          <>
            <label htmlFor="login-token">Token</label>
            <input id="login-token" ref={first} type="password" autoComplete="off" value={token} onChange={(e) => setToken(e.target.value)} required />
          </>
        )}
        <div className="form-actions">
          <button type="submit" className="primary">
            Sign in
          </button>
        </div>
      </form>
    </div>
  );
}

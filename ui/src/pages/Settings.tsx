import { useState } from 'react';
import { ApiError, api, loadCredentials, saveCredentials } from '../api/client';
import { ErrorBox, Loading, Section } from '../components/common';
import { useLoad } from '../lib/hooks';
import { useTheme } from '../components/theme';

export function SettingsPage() {
  const paused = useLoad(() => api.paused(), []);
  const agent = useLoad(() => api.agent(), []);
  const [error, setError] = useState<ApiError | null>(null);
  const [theme, setTheme] = useTheme();
  const creds = loadCredentials();
  const toggle = async () => {
    setError(null);
    try {
      await api.setPaused(!paused.data?.paused);
      paused.reload();
    } catch (e) {
      setError(e as ApiError);
    }
  };
  return (
    <>
      <h1>Settings</h1>
      <Section title="Job submissions">
        <ErrorBox error={paused.error ?? error} />
        <Loading when={!paused.data && paused.loading} />
        {paused.data && (
          <>
            <p role="status">
              New job submissions are <strong>{paused.data.paused ? 'paused' : 'accepted'}</strong> (cluster-wide). Pausing blocks creating and
              updating jobs; scheduled runs continue.
            </p>
            <button type="button" className={paused.data.paused ? 'primary' : 'danger'} onClick={toggle}>
              {paused.data.paused ? 'Unpause submissions' : 'Pause submissions'}
            </button>
          </>
        )}
      </Section>
      <Section title="Appearance">
        <fieldset className="inline">
          <legend>Theme</legend>
          {(['system', 'light', 'dark'] as const).map((t) => (
            <label key={t}>
              <input type="radio" name="theme" value={t} checked={theme === t} onChange={() => setTheme(t)} /> {t}
            </label>
          ))}
        </fieldset>
      </Section>
      <Section title="Session">
        <p>{creds ? `Signed in with ${creds.kind === 'basic' ? `basic auth as ${creds.user}` : 'an API token'} (this tab only).` : 'No credentials stored.'}</p>
        {creds && (
          <button
            type="button"
            onClick={() => {
              saveCredentials(null);
              window.location.reload();
            }}
          >
            Sign out
          </button>
        )}
        {agent.data && (
          <p className="muted small">
            Served by {agent.data.agent.name}, ckron {agent.data.agent.version}.
          </p>
        )}
      </Section>
    </>
  );
}

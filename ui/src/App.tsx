import { useEffect, useRef, useState } from 'react';
import { onUnauthorized, type ApiError } from './api/client';
import { Login } from './components/Login';
import { useTheme } from './components/theme';
import { Link, matchPath, useLocation } from './lib/router';
import { BusyPage } from './pages/Busy';
import { ClusterPage } from './pages/Cluster';
import { Dashboard } from './pages/Dashboard';
import { JobForm } from './pages/JobForm';
import { JobPage } from './pages/JobPage';
import { JobsPage } from './pages/Jobs';
import { SettingsPage } from './pages/Settings';

const NAV = [
  { to: '/', label: 'Dashboard', match: (p: string) => p === '/' },
  { to: '/jobs', label: 'Jobs', match: (p: string) => p.startsWith('/jobs') },
  { to: '/busy', label: 'Running', match: (p: string) => p === '/busy' },
  { to: '/cluster', label: 'Cluster', match: (p: string) => p === '/cluster' },
  { to: '/settings', label: 'Settings', match: (p: string) => p === '/settings' },
];

function Page({ path }: { path: string }) {
  let m: Record<string, string> | null;
  if (path === '/' || path === '') return <Dashboard />;
  if (matchPath('/jobs', path)) return <JobsPage />;
  if (matchPath('/jobs/new', path)) return <JobForm />;
  if ((m = matchPath('/jobs/:name/edit', path))) return <JobForm key={m.name} name={m.name} />;
  if ((m = matchPath('/jobs/:name', path))) return <JobPage key={m.name} name={m.name} />;
  if (matchPath('/busy', path)) return <BusyPage />;
  if (matchPath('/cluster', path)) return <ClusterPage />;
  if (matchPath('/settings', path)) return <SettingsPage />;
  return (
    <>
      <h1>Not found</h1>
      <p>
        There is no page at {path}. <Link to="/">Go to the dashboard</Link>.
      </p>
    </>
  );
}

export function App() {
  const { path } = useLocation();
  const [auth, setAuth] = useState<ApiError | null>(null);
  const [generation, setGeneration] = useState(0); // remounts the page after signing in
  const [theme, setTheme] = useTheme();
  const main = useRef<HTMLElement>(null);
  useEffect(() => onUnauthorized(setAuth), []);
  // Move focus to the new page's content on navigation, for keyboard and screen-reader users.
  const first = useRef(true);
  useEffect(() => {
    if (first.current) {
      first.current = false;
      return;
    }
    main.current?.focus();
  }, [path]);
  const dark = theme === 'dark' || (theme === 'system' && window.matchMedia?.('(prefers-color-scheme: dark)').matches);
  return (
    <>
      <a className="skip" href="#main">
        Skip to content
      </a>
      <header className="top">
        <Link to="/" className="brand">
          ckron
        </Link>
        <nav aria-label="Main">
          <ul>
            {NAV.map((n) => (
              <li key={n.to}>
                <Link to={n.to} aria-current={n.match(path) ? 'page' : undefined}>
                  {n.label}
                </Link>
              </li>
            ))}
          </ul>
        </nav>
        <button type="button" className="theme-toggle" aria-pressed={dark} onClick={() => setTheme(dark ? 'light' : 'dark')}>
          {dark ? 'Light mode' : 'Dark mode'}
        </button>
      </header>
      <main id="main" ref={main} tabIndex={-1}>
        <Page key={generation} path={path} />
      </main>
      {auth && (
        <Login
          scheme={auth.authScheme}
          message={auth.message}
          onDone={() => {
            setAuth(null);
            setGeneration((g) => g + 1);
          }}
        />
      )}
    </>
  );
}

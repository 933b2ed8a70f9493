import { cleanup, fireEvent, render, screen, waitFor } from '@testing-library/react';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { App } from './App';

describe('App', () => {
  let fetchMock: ReturnType<typeof vi.fn>;
  let authorized = false;
  beforeEach(() => {
    sessionStorage.clear();
    window.history.replaceState(null, '', '/ui/settings');
    authorized = false;
    fetchMock = vi.fn(async (url: string, init: RequestInit) => {
      const auth = (init.headers as Record<string, string>).Authorization;
      if (auth !== 'Bearer s3cret') {
        return new Response('credentials required', { status: 401, headers: { 'WWW-Authenticate': 'Basic realm="ckron"' } });
      }
      authorized = true;
      if (url.startsWith('/v1/pause')) return new Response('{"paused":true}', { status: 200 });
      return new Response('{"agent":{"name":"n1","version":"0.1.0"}}', { status: 200 });
    });
    vi.stubGlobal('fetch', fetchMock);
  });
  afterEach(() => {
    cleanup();
    vi.unstubAllGlobals();
  });

  it('asks for credentials on 401, stores them for the tab and reloads the page with them', async () => {
    render(<App />);
    const dialog = await screen.findByRole('dialog', { name: 'Sign in to ckron' });
    expect(dialog.textContent).toContain('credentials required');
    fireEvent.click(screen.getByLabelText(/API token/));
    fireEvent.change(screen.getByLabelText('Token'), { target: { value: 's3cret' } });
    fireEvent.click(screen.getByRole('button', { name: 'Sign in' }));
    await waitFor(() => expect(screen.queryByRole('dialog')).toBeNull());
    expect(await screen.findByText(/New job submissions are/)).toBeTruthy();
    expect(screen.getByRole('button', { name: 'Unpause submissions' })).toBeTruthy();
    expect(authorized).toBe(true);
    expect(JSON.parse(sessionStorage.getItem('ckron.auth') ?? '{}')).toEqual({ kind: 'token', token: 's3cret' });
  });

  it('marks the current page in the navigation', async () => {
    render(<App />);
    expect(screen.getByRole('link', { name: 'Settings' }).getAttribute('aria-current')).toBe('page');
    fireEvent.click(screen.getByRole('link', { name: 'Cluster' }));
    expect(window.location.pathname).toBe('/ui/cluster');
    expect(await screen.findByRole('heading', { level: 1, name: 'Cluster' })).toBeTruthy();
    expect(screen.getByRole('link', { name: 'Cluster' }).getAttribute('aria-current')).toBe('page');
  });
});

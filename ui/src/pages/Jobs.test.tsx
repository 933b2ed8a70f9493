import { act, cleanup, fireEvent, render, screen, waitFor } from '@testing-library/react';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { JobsPage, parseMetadataFilter } from './Jobs';

function jobs(from: number, n: number) {
  return Array.from({ length: n }, (_, i) => ({
    name: `job-${String(from + i).padStart(3, '0')}`,
    schedule: '@every 1m',
    status: i % 2 ? 'failed' : 'success',
    next: '2099-01-01T00:00:00Z',
    timezone: 'Europe/Paris',
    success_count: 3,
    error_count: 1,
  }));
}

describe('JobsPage', () => {
  let fetchMock: ReturnType<typeof vi.fn>;
  const urls = () => fetchMock.mock.calls.map((c) => new URL(c[0] as string, 'http://x'));
  const last = () => Object.fromEntries(urls()[urls().length - 1].searchParams);

  beforeEach(() => {
    window.history.replaceState(null, '', '/ui/jobs');
    fetchMock = vi.fn(async (url: string) => {
      const u = new URL(url, 'http://x');
      const start = Number(u.searchParams.get('_start') ?? 0);
      return new Response(JSON.stringify(jobs(start, 25)), { status: 200, headers: { 'X-Total-Count': '60' } });
    });
    vi.stubGlobal('fetch', fetchMock);
  });
  afterEach(() => {
    cleanup();
    vi.unstubAllGlobals();
  });

  it('shows the first page with the total and the next run in the job zone', async () => {
    render(<JobsPage />);
    expect(await screen.findByText('job-000')).toBeTruthy();
    expect(screen.getByText(/Page 1 of 3 · 60 jobs/)).toBeTruthy();
    expect(last()).toMatchObject({ _start: '0', _end: '25', _sort: 'name', _order: 'ASC' });
    expect(screen.getAllByText(/2099-01-01 01:00:00/).length).toBeGreaterThan(0); // Paris is UTC+1 in January
  });

  it('pages and sorts on the server', async () => {
    render(<JobsPage />);
    await screen.findByText('job-000');
    fireEvent.click(screen.getByRole('button', { name: 'Next' }));
    expect(await screen.findByText('job-025')).toBeTruthy();
    expect(last()).toMatchObject({ _start: '25', _end: '50' });
    expect(screen.getByText(/Page 2 of 3/)).toBeTruthy();

    fireEvent.click(screen.getByRole('button', { name: /Next run/ }));
    await waitFor(() => expect(last()).toMatchObject({ _sort: 'next', _order: 'ASC', _start: '0' }));
    fireEvent.click(screen.getByRole('button', { name: /Next run/ }));
    await waitFor(() => expect(last()).toMatchObject({ _sort: 'next', _order: 'DESC' }));
    const th = screen.getByRole('columnheader', { name: /Next run/ });
    expect(th.getAttribute('aria-sort')).toBe('descending');
  });

  it('sends search and filters to the server', async () => {
    render(<JobsPage />);
    await screen.findByText('job-000');
    fireEvent.change(screen.getByLabelText('Status'), { target: { value: 'failed' } });
    fireEvent.change(screen.getByLabelText('Enabled'), { target: { value: 'true' } });
    fireEvent.change(screen.getByLabelText('Search'), { target: { value: 'back' } });
    fireEvent.change(screen.getByLabelText('Metadata'), { target: { value: 'team=ops' } });
    await waitFor(() => expect(last()).toMatchObject({ status: 'failed', disabled: 'true', q: 'back', 'metadata[team]': 'ops' }), { timeout: 3000 });
  });

  it('filters by tags on the server and keeps the filter in the URL', async () => {
    render(<JobsPage />);
    await screen.findByText('job-000');
    fireEvent.change(screen.getByLabelText('Tags'), { target: { value: 'role=web, dc=east' } });
    await waitFor(() => expect(last()).toMatchObject({ 'tags[role]': 'web', 'tags[dc]': 'east', _start: '0' }), { timeout: 3000 });
    await waitFor(() => expect(new URLSearchParams(window.location.search).get('tags')).toBe('role=web, dc=east'));
  });

  it('shows the API message when listing fails', async () => {
    fetchMock.mockImplementation(async () => new Response('query parameter _start must be a non-negative integer', { status: 400 }));
    render(<JobsPage />);
    expect(await screen.findByRole('alert')).toBeTruthy();
    expect(screen.getByRole('alert').textContent).toMatch(/non-negative integer/);
    await act(async () => undefined);
  });
});

describe('parseMetadataFilter', () => {
  it('reads key=value pairs', () => {
    expect(parseMetadataFilter('team=ops, env = prod,junk')).toEqual({ team: 'ops', env: 'prod' });
  });
});

describe('JobsPage URL state', () => {
  afterEach(() => {
    cleanup();
    vi.unstubAllGlobals();
    window.history.replaceState(null, '', '/');
  });
  it('starts from the view in the URL and keeps the URL in step', async () => {
    const fetchMock = vi.fn(async (_url: string) => new Response('[]', { status: 200, headers: { 'X-Total-Count': '100' } }));
    vi.stubGlobal('fetch', fetchMock);
    window.history.replaceState(null, '', '/ui/jobs?status=failed&tags=role%3Dweb&sort=next&order=DESC&page=3');
    render(<JobsPage />);
    await waitFor(() => expect(fetchMock).toHaveBeenCalled());
    const url = new URL(fetchMock.mock.calls[0][0], 'http://x');
    expect(Object.fromEntries(url.searchParams)).toMatchObject({ status: 'failed', 'tags[role]': 'web', _sort: 'next', _order: 'DESC', _start: '50', _end: '75' });
    fireEvent.click(await screen.findByRole('button', { name: 'Previous' }));
    await waitFor(() => expect(window.location.search).toBe('?status=failed&tags=role%3Dweb&sort=next&order=DESC&page=2'));
  });
});

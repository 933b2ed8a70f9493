import { cleanup, render, screen, waitFor, within } from '@testing-library/react';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { JobPage } from './JobPage';

const JOB = { name: 'nightly', schedule: '0 30 2 * * *', timezone: 'America/New_York', next: '2099-03-08T07:30:00Z', tags: { role: 'web' } };

describe('JobPage next fire times', () => {
  let fetchMock: ReturnType<typeof vi.fn>;
  let nextReply: () => Response;
  beforeEach(() => {
    nextReply = () =>
      new Response(
        JSON.stringify({
          job: 'nightly',
          schedule: JOB.schedule,
          timezone: 'America/New_York',
          // Across the spring-forward change: the server's offsets, not the browser's rules.
          next: ['2099-03-07T02:30:00-05:00', '2099-03-08T03:00:00-04:00', '2099-03-09T02:30:00-04:00', '2099-03-10T02:30:00-04:00', '2099-03-11T02:30:00-04:00'],
        }),
        { status: 200 },
      );
    fetchMock = vi.fn(async (url: string) => {
      if (url.startsWith('/v1/jobs/nightly/next')) return nextReply();
      if (url.startsWith('/v1/jobs/nightly/executions')) return new Response('[]', { status: 200, headers: { 'X-Total-Count': '0' } });
      if (url.startsWith('/v1/jobs/nightly')) return new Response(JSON.stringify(JOB), { status: 200 });
      return new Response('not found', { status: 404 });
    });
    vi.stubGlobal('fetch', fetchMock);
  });
  afterEach(() => {
    cleanup();
    vi.unstubAllGlobals();
  });

  it('asks the server for the next 5 and shows them in the job zone and relative', async () => {
    render(<JobPage name="nightly" />);
    const list = await screen.findByRole('list', { name: 'Next fire times of nightly' });
    const items = within(list).getAllByRole('listitem');
    expect(items).toHaveLength(5);
    expect(items[0].textContent).toMatch(/^2099-03-07 02:30:00 EST · in \d+ d$/);
    expect(items[1].textContent).toMatch(/^2099-03-08 03:00:00 EDT/);
    expect(items[0].querySelector('time')?.getAttribute('dateTime')).toBe('2099-03-07T02:30:00-05:00');
    const url = fetchMock.mock.calls.map((c) => String(c[0])).find((u) => u.startsWith('/v1/jobs/nightly/next'));
    expect(url).toBe('/v1/jobs/nightly/next?count=5');
  });

  it('says why there is none', async () => {
    nextReply = () => new Response(JSON.stringify({ job: 'nightly', schedule: JOB.schedule, timezone: 'UTC', next: [], reason: 'the job is disabled' }), { status: 200 });
    render(<JobPage name="nightly" />);
    expect(await screen.findByText('No upcoming fire: the job is disabled.')).toBeTruthy();
  });

  it('shows the API message when the times cannot be computed', async () => {
    nextReply = () => new Response('no route for GET /v1/jobs/nightly/next', { status: 404 });
    render(<JobPage name="nightly" />);
    await waitFor(() => expect(screen.getByRole('alert').textContent).toMatch(/Could not compute the next fire times/));
  });
});

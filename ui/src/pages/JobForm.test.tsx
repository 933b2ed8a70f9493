import { cleanup, fireEvent, render, screen, waitFor } from '@testing-library/react';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { JobForm, formFromJob, jobFromForm } from './JobForm';

const PREVIEW = {
  job: '',
  schedule: '0 0 9 * * *',
  timezone: 'Asia/Tokyo',
  next: ['2099-01-01T09:00:00+09:00', '2099-01-02T09:00:00+09:00'],
};

describe('JobForm', () => {
  let fetchMock: ReturnType<typeof vi.fn>;
  // Calls other than the schedule preview's.
  const saves = () => fetchMock.mock.calls.filter((c) => !String(c[0]).startsWith('/v1/schedule/next'));
  const previews = () => fetchMock.mock.calls.filter((c) => String(c[0]).startsWith('/v1/schedule/next'));
  let previewReply: () => Response;
  beforeEach(() => {
    previewReply = () => new Response(JSON.stringify(PREVIEW), { status: 200 });
    fetchMock = vi.fn();
    vi.stubGlobal('fetch', fetchMock);
  });
  // Answers the preview with previewReply() and everything else with `other`.
  const route = (other: () => Response) =>
    fetchMock.mockImplementation(async (url: string) => (String(url).startsWith('/v1/schedule/next') ? previewReply() : other()));
  afterEach(() => {
    cleanup();
    vi.unstubAllGlobals();
  });

  it('shows a validation error beside the field the API names', async () => {
    route(() => new Response("Job validation failed: can't parse job schedule: expected 5 to 6 fields, found 1: [bad].", { status: 400 }));
    render(<JobForm />);
    fireEvent.change(screen.getByLabelText('Name'), { target: { value: 'nightly' } });
    fireEvent.change(screen.getByLabelText('Schedule'), { target: { value: 'bad' } });
    fireEvent.click(screen.getByRole('button', { name: 'Create' }));
    const schedule = screen.getByLabelText('Schedule');
    await waitFor(() => expect(schedule.getAttribute('aria-invalid')).toBe('true'));
    const ids = (schedule.getAttribute('aria-describedby') ?? '').split(' ');
    const messages = ids.map((id) => document.getElementById(id)?.textContent ?? '');
    expect(messages.some((m) => m.includes("can't parse job schedule"))).toBe(true);
    expect(screen.getByLabelText('Name').getAttribute('aria-invalid')).toBeNull();
    const body = JSON.parse(saves()[0][1].body);
    expect(body).toMatchObject({ name: 'nightly', schedule: 'bad', executor: 'shell' });
  });

  it('shows errors that name no field at the top', async () => {
    route(() => new Response('New job submissions are currently paused', { status: 503 }));
    render(<JobForm />);
    fireEvent.change(screen.getByLabelText('Name'), { target: { value: 'a' } });
    fireEvent.click(screen.getByRole('button', { name: 'Create' }));
    expect((await screen.findByRole('alert')).textContent).toBe('New job submissions are currently paused');
  });

  it('previews the next fire times from the server once typing pauses', async () => {
    route(() => new Response('{}', { status: 200 }));
    render(<JobForm />);
    fireEvent.change(screen.getByLabelText('Name'), { target: { value: 'morning' } });
    fireEvent.change(screen.getByLabelText('Schedule'), { target: { value: '0 0 9 * *' } });
    fireEvent.change(screen.getByLabelText('Schedule'), { target: { value: '0 0 9 * * *' } });
    fireEvent.change(screen.getByLabelText('Time zone'), { target: { value: 'Asia/Tokyo' } });
    // Debounced: the default schedule's preview at once, then one request
    // for the last input only.
    await waitFor(() => expect(previews()).toHaveLength(2), { timeout: 3000 });
    const list = await screen.findByRole('list', { name: 'Next fire times of this schedule' });
    expect(list.querySelectorAll('li')).toHaveLength(2);
    expect(list.textContent).toMatch(/2099-01-01 09:00:00/);
    expect(screen.getByText(/Next fire times \(Asia\/Tokyo\)/)).toBeTruthy();
    await new Promise((r) => setTimeout(r, 500));
    expect(previews()).toHaveLength(2);
    expect(new URL(previews()[0][0] as string, 'http://x').searchParams.get('schedule')).toBe('@every 1m');
    const url = new URL(previews()[1][0] as string, 'http://x');
    expect(Object.fromEntries(url.searchParams)).toMatchObject({ schedule: '0 0 9 * * *', timezone: 'Asia/Tokyo', name: 'morning', count: '5' });
    expect(saves()).toHaveLength(0);
  });

  it('shows the preview\'s error beside the field it names, before any submit', async () => {
    previewReply = () => new Response('timezone: unknown time zone "Mars/Olympus"', { status: 400 });
    route(() => new Response('{}', { status: 200 }));
    render(<JobForm />);
    fireEvent.change(screen.getByLabelText('Time zone'), { target: { value: 'Mars/Olympus' } });
    const zone = screen.getByLabelText('Time zone');
    await waitFor(() => expect(zone.getAttribute('aria-invalid')).toBe('true'), { timeout: 3000 });
    const ids = (zone.getAttribute('aria-describedby') ?? '').split(' ');
    expect(ids.map((id) => document.getElementById(id)?.textContent ?? '').join(' ')).toMatch(/unknown time zone "Mars\/Olympus"/);
    expect(screen.getByLabelText('Schedule').getAttribute('aria-invalid')).toBeNull();

    previewReply = () => new Response("schedule: can't parse job schedule: expected 5 to 6 fields, found 1: [x]", { status: 400 });
    fireEvent.change(screen.getByLabelText('Schedule'), { target: { value: 'x' } });
    const schedule = screen.getByLabelText('Schedule');
    await waitFor(() => expect(schedule.getAttribute('aria-invalid')).toBe('true'), { timeout: 3000 });
    expect(screen.queryByRole('list', { name: 'Next fire times of this schedule' })).toBeNull();
    expect(saves()).toHaveLength(0);
  });

  it('warns when the job has no tags, and not once it has one', async () => {
    route(() => new Response('{}', { status: 200 }));
    render(<JobForm />);
    expect(screen.getByText(/No tags: this job will run on every alive node/)).toBeTruthy();
    fireEvent.click(screen.getByRole('button', { name: 'Add to Tags' }));
    fireEvent.change(screen.getByLabelText('Tags key 1'), { target: { value: 'role' } });
    fireEvent.change(screen.getByLabelText('Tags value 1'), { target: { value: 'web' } });
    expect(screen.queryByText(/No tags: this job will run/)).toBeNull();
  });
});

describe('form ↔ job', () => {
  it('keeps fields the form does not edit and maps editors back to maps', () => {
    const job = {
      name: 'a',
      schedule: '@daily',
      tags: { role: 'web' },
      executor: 'shell',
      executor_config: { command: 'echo' },
      processors: { log: { forward: 'true' } },
      ephemeral: true,
      starts_at: '2026-01-01T00:00:00Z',
    };
    const f = formFromJob(job);
    f.metadata = [['team', 'ops'], ['', 'ignored']];
    f.retries = '3';
    const out = jobFromForm(f, job);
    expect(out).toMatchObject({
      name: 'a',
      ephemeral: true,
      starts_at: '2026-01-01T00:00:00Z',
      tags: { role: 'web' },
      metadata: { team: 'ops' },
      processors: { log: { forward: 'true' } },
      retries: 3,
      starting_deadline: null,
    });
  });
});

import { cleanup, fireEvent, render, screen, waitFor } from '@testing-library/react';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { JobForm, formFromJob, jobFromForm } from './JobForm';

describe('JobForm', () => {
  let fetchMock: ReturnType<typeof vi.fn>;
  beforeEach(() => {
    fetchMock = vi.fn();
    vi.stubGlobal('fetch', fetchMock);
  });
  afterEach(() => {
    cleanup();
    vi.unstubAllGlobals();
  });

  it('shows a validation error beside the field the API names', async () => {
    fetchMock.mockResolvedValue(new Response("Job validation failed: can't parse job schedule: expected 5 to 6 fields, found 1: [bad].", { status: 400 }));
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
    const body = JSON.parse(fetchMock.mock.calls[0][1].body);
    expect(body).toMatchObject({ name: 'nightly', schedule: 'bad', executor: 'shell' });
  });

  it('shows errors that name no field at the top', async () => {
    fetchMock.mockResolvedValue(new Response('New job submissions are currently paused', { status: 503 }));
    render(<JobForm />);
    fireEvent.change(screen.getByLabelText('Name'), { target: { value: 'a' } });
    fireEvent.click(screen.getByRole('button', { name: 'Create' }));
    expect((await screen.findByRole('alert')).textContent).toBe('New job submissions are currently paused');
  });

  it('warns when the job has no tags, and not once it has one', async () => {
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

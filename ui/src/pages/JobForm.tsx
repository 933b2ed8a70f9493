import { useEffect, useId, useState, type ReactNode } from 'react';
import { ApiError, api, fieldOfError } from '../api/client';
import type { Job, NextFires } from '../api/types';
import { ErrorBox, Loading } from '../components/common';
import { FireTimes } from '../components/FireTimes';
import { KeyValueEditor, fromPairs, toPairs, type Pairs } from '../components/KeyValueEditor';
import { useDebounced, useNow } from '../lib/hooks';
import { navigate } from '../lib/router';
import { describeSchedule } from '../lib/schedule';

interface FormState {
  name: string;
  displayname: string;
  schedule: string;
  timezone: string;
  owner: string;
  owner_email: string;
  disabled: boolean;
  concurrency: string;
  retries: string;
  parent_job: string;
  executor: string;
  executor_config: Pairs;
  tags: Pairs;
  metadata: Pairs;
  processors: Array<{ name: string; config: Pairs }>;
  misfire_policy: string;
  starting_deadline: string;
  retry_backoff: string;
}

export function formFromJob(j: Job | null): FormState {
  return {
    name: j?.name ?? '',
    displayname: j?.displayname ?? '',
    schedule: j?.schedule ?? '@every 1m',
    timezone: j?.timezone ?? '',
    owner: j?.owner ?? '',
    owner_email: j?.owner_email ?? '',
    disabled: j?.disabled ?? false,
    concurrency: j?.concurrency || 'allow',
    retries: String(j?.retries ?? 0),
    parent_job: j?.parent_job ?? '',
    executor: j?.executor || 'shell',
    executor_config: j ? toPairs(j.executor_config) : [['command', '']],
    tags: toPairs(j?.tags),
    metadata: toPairs(j?.metadata),
    processors: Object.entries(j?.processors ?? {}).map(([name, c]) => ({ name, config: toPairs(c) })),
    misfire_policy: j?.misfire_policy || 'run_once',
    starting_deadline: j?.starting_deadline ?? '',
    retry_backoff: j?.retry_backoff ?? '',
  };
}

/** The job to submit: the edited fields over the original (fields the form does not show are kept). */
export function jobFromForm(f: FormState, original: Job | null): Job {
  const processors: Record<string, Record<string, string>> = {};
  for (const p of f.processors) if (p.name.trim()) processors[p.name.trim()] = fromPairs(p.config);
  const retries = Number.parseInt(f.retries, 10);
  return {
    ...(original ?? {}),
    name: f.name.trim(),
    displayname: f.displayname,
    schedule: f.schedule.trim(),
    timezone: f.timezone.trim(),
    owner: f.owner,
    owner_email: f.owner_email,
    disabled: f.disabled,
    concurrency: f.concurrency,
    retries: Number.isNaN(retries) ? 0 : retries,
    parent_job: f.parent_job.trim(),
    executor: f.executor.trim(),
    executor_config: fromPairs(f.executor_config),
    tags: fromPairs(f.tags),
    metadata: fromPairs(f.metadata),
    processors,
    misfire_policy: f.misfire_policy,
    starting_deadline: f.starting_deadline.trim() || null,
    retry_backoff: f.retry_backoff.trim() || null,
  };
}

/** What the schedule preview shows: the server's answer, or its 400 and the field it names. */
type Preview = { fires: NextFires; error: null } | { fires: null; error: { field: string | null; message: string } } | null;

/**
 * The next fire times of the schedule being edited, from the server
 * (GET /v1/schedule/next), asked for once typing pauses; answers to older
 * inputs are dropped. An older server without the endpoint: no preview.
 */
function useSchedulePreview(schedule: string, timezone: string, name: string): Preview {
  const input = useDebounced(JSON.stringify([schedule.trim(), timezone.trim(), name.trim()]), 400);
  const [preview, setPreview] = useState<Preview>(null);
  useEffect(() => {
    const [s, tz, n] = JSON.parse(input) as [string, string, string];
    if (!s) {
      setPreview(null);
      return;
    }
    let current = true;
    api.previewSchedule(s, tz, n).then(
      (fires) => current && setPreview({ fires, error: null }),
      (e: unknown) => {
        if (!current) return;
        if (e instanceof ApiError && e.status === 400) setPreview({ fires: null, error: { field: fieldOfError(e.message), message: e.message } });
        else setPreview(null);
      },
    );
    return () => {
      current = false;
    };
  }, [input]);
  return preview;
}

/** A labelled control with its hint and, when the API blamed it, the error (linked by aria-describedby). */
function Field({
  label,
  hint,
  error,
  children,
}: {
  label: string;
  hint?: ReactNode;
  error?: string;
  children: (props: { id: string; 'aria-describedby'?: string; 'aria-invalid'?: boolean }) => ReactNode;
}) {
  const id = useId();
  const describedBy = [hint ? `${id}-hint` : '', error ? `${id}-err` : ''].filter(Boolean).join(' ') || undefined;
  return (
    <div className={`field${error ? ' invalid' : ''}`}>
      <label htmlFor={id}>{label}</label>
      {children({ id, 'aria-describedby': describedBy, 'aria-invalid': error ? true : undefined })}
      {hint && (
        <div id={`${id}-hint`} className="muted small">
          {hint}
        </div>
      )}
      {error && (
        <div id={`${id}-err`} className="field-error" role="alert">
          {error}
        </div>
      )}
    </div>
  );
}

export function JobForm({ name }: { name?: string }) {
  const editing = name !== undefined;
  const [original, setOriginal] = useState<Job | null>(null);
  const [form, setForm] = useState<FormState>(() => formFromJob(null));
  const [loadError, setLoadError] = useState<ApiError | null>(null);
  const [loading, setLoading] = useState(editing);
  const [error, setError] = useState<{ field: string | null; message: string } | null>(null);
  const [saving, setSaving] = useState(false);
  const preview = useSchedulePreview(form.schedule, form.timezone, form.name);
  const now = useNow();

  useEffect(() => {
    if (!editing) return;
    setLoading(true);
    api.job(name).then(
      (j) => {
        setOriginal(j);
        setForm(formFromJob(j));
        setLoading(false);
      },
      (e: ApiError) => {
        setLoadError(e);
        setLoading(false);
      },
    );
  }, [editing, name]);

  const set = <K extends keyof FormState>(k: K, v: FormState[K]) => setForm((f) => ({ ...f, [k]: v }));
  // The submit's error for a field, else the live preview's (schedule, timezone).
  const errorFor = (field: string) =>
    error && error.field === field ? error.message : preview?.error?.field === field ? preview.error.message : undefined;

  const submit = async (e: React.FormEvent) => {
    e.preventDefault();
    setSaving(true);
    setError(null);
    try {
      const saved = await api.saveJob(jobFromForm(form, original));
      navigate(`/jobs/${encodeURIComponent(saved.name)}`);
    } catch (err) {
      const message = err instanceof Error ? err.message : String(err);
      setError({ field: err instanceof ApiError && err.status === 400 ? fieldOfError(message) : null, message });
    } finally {
      setSaving(false);
    }
  };

  if (loading) return <Loading when />;
  if (loadError) return <ErrorBox error={loadError} title={`Could not load ${name}`} />;

  return (
    <>
      <h1>{editing ? `Edit ${name}` : 'New job'}</h1>
      <form className="job-form" onSubmit={submit} noValidate>
        {error && !error.field && (
          <div className="error" role="alert">
            {error.message}
          </div>
        )}
        {error?.field && (
          <p className="sr-only" role="status">
            The server refused the job: see the {error.field} field.
          </p>
        )}
        <div className="grid">
          <Field label="Name" error={errorFor('name')} hint="lower case letters, digits, - and _; cannot change once created">
            {(p) => <input {...p} required readOnly={editing} value={form.name} onChange={(e) => set('name', e.target.value)} />}
          </Field>
          <Field label="Display name" error={errorFor('displayname')}>
            {(p) => <input {...p} value={form.displayname} onChange={(e) => set('displayname', e.target.value)} />}
          </Field>
          <Field label="Schedule" error={errorFor('schedule')} hint={form.schedule.trim() ? describeSchedule(form.schedule) : 'cron (6 fields, seconds first), @every 1m, @daily…'}>
            {(p) => <input {...p} required value={form.schedule} onChange={(e) => set('schedule', e.target.value)} />}
          </Field>
          <Field label="Time zone" error={errorFor('timezone')} hint="IANA name, e.g. Europe/Paris; empty means UTC">
            {(p) => <input {...p} value={form.timezone} onChange={(e) => set('timezone', e.target.value)} />}
          </Field>
          <Field label="Owner" error={errorFor('owner')}>
            {(p) => <input {...p} value={form.owner} onChange={(e) => set('owner', e.target.value)} />}
          </Field>
          <Field label="Owner e-mail" error={errorFor('owner_email')}>
            {(p) => <input {...p} type="email" value={form.owner_email} onChange={(e) => set('owner_email', e.target.value)} />}
          </Field>
          <Field label="Concurrency" error={errorFor('concurrency')}>
            {(p) => (
              <select {...p} value={form.concurrency} onChange={(e) => set('concurrency', e.target.value)}>
                <option value="allow">allow</option>
                <option value="forbid">forbid</option>
                <option value="replace">replace</option>
              </select>
            )}
          </Field>
          <Field label="Retries" error={errorFor('retries')}>
            {(p) => <input {...p} type="number" min={0} value={form.retries} onChange={(e) => set('retries', e.target.value)} />}
          </Field>
          <Field label="Retry backoff" error={errorFor('retry_backoff')} hint="Go duration, e.g. 10s">
            {(p) => <input {...p} value={form.retry_backoff} onChange={(e) => set('retry_backoff', e.target.value)} />}
          </Field>
          <Field label="Misfire policy" error={errorFor('misfire_policy')}>
            {(p) => (
              <select {...p} value={form.misfire_policy} onChange={(e) => set('misfire_policy', e.target.value)}>
                <option value="run_once">run_once</option>
                <option value="skip">skip</option>
                <option value="run_all">run_all</option>
              </select>
            )}
          </Field>
          <Field label="Starting deadline" error={errorFor('starting_deadline')} hint="Go duration, e.g. 60s">
            {(p) => <input {...p} value={form.starting_deadline} onChange={(e) => set('starting_deadline', e.target.value)} />}
          </Field>
          <Field label="Parent job" error={errorFor('parent_job')}>
            {(p) => <input {...p} value={form.parent_job} onChange={(e) => set('parent_job', e.target.value)} />}
          </Field>
        </div>
        {preview?.fires && (
          <section className="schedule-preview" aria-live="polite" aria-label="Schedule preview">
            <h3>
              Next fire times
              {preview.fires.timezone ? ` (${preview.fires.timezone})` : ''}
            </h3>
            <FireTimes fires={preview.fires} now={now} label="Next fire times of this schedule" />
          </section>
        )}
        <div className="check">
          <input id="job-disabled" type="checkbox" checked={form.disabled} onChange={(e) => set('disabled', e.target.checked)} />
          <label htmlFor="job-disabled">Disabled</label>
        </div>

        <h2>Executor</h2>
        <Field label="Executor" error={errorFor('executor')} hint="shell, http, or a plugin's name">
          {(p) => (
            <>
              <input {...p} list="executors" value={form.executor} onChange={(e) => set('executor', e.target.value)} />
              <datalist id="executors">
                <option value="shell" />
                <option value="http" />
              </datalist>
            </>
          )}
        </Field>
        <KeyValueEditor label="Executor config" value={form.executor_config} onChange={(v) => set('executor_config', v)} keyPlaceholder="command" />
        {errorFor('executor_config') && (
          <div className="field-error" role="alert">
            {errorFor('executor_config')}
          </div>
        )}

        <h2>Targeting</h2>
        <KeyValueEditor label="Tags" value={form.tags} onChange={(v) => set('tags', v)} keyPlaceholder="role" valuePlaceholder="web:1" />
        {errorFor('tags') && (
          <div className="field-error" role="alert">
            {errorFor('tags')}
          </div>
        )}
        {fromPairs(form.tags) && Object.keys(fromPairs(form.tags)).length === 0 && (
          <p className="warning">No tags: this job will run on every alive node of its region.</p>
        )}
        <KeyValueEditor label="Metadata" value={form.metadata} onChange={(v) => set('metadata', v)} />

        <h2>Processors</h2>
        {form.processors.map((p, i) => (
          <div className="processor" key={i}>
            <Field label={`Processor ${i + 1} name`}>
              {(props) => (
                <input
                  {...props}
                  list="processor-names"
                  value={p.name}
                  onChange={(e) => set('processors', form.processors.map((q, j) => (j === i ? { ...q, name: e.target.value } : q)))}
                />
              )}
            </Field>
            <KeyValueEditor
              label={`${p.name || `Processor ${i + 1}`} config`}
              value={p.config}
              onChange={(v) => set('processors', form.processors.map((q, j) => (j === i ? { ...q, config: v } : q)))}
            />
            <button type="button" className="link" onClick={() => set('processors', form.processors.filter((_, j) => j !== i))}>
              Remove processor {p.name || i + 1}
            </button>
          </div>
        ))}
        <datalist id="processor-names">
          <option value="log" />
          <option value="files" />
          <option value="syslog" />
          <option value="fluent" />
        </datalist>
        {errorFor('processors') && (
          <div className="field-error" role="alert">
            {errorFor('processors')}
          </div>
        )}
        <button type="button" onClick={() => set('processors', [...form.processors, { name: '', config: [] }])}>
          Add processor
        </button>

        <div className="form-actions">
          <button type="submit" className="primary" disabled={saving}>
            {saving ? 'Saving…' : editing ? 'Save' : 'Create'}
          </button>
          <button type="button" onClick={() => navigate(editing ? `/jobs/${encodeURIComponent(name)}` : '/jobs')}>
            Cancel
          </button>
        </div>
      </form>
    </>
  );
}

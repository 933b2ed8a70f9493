import { useEffect, useRef, useState } from 'react';
import { ApiError, api } from '../api/client';
import { subscribe, throttle } from '../api/live';
import type { Execution, Job } from '../api/types';
import { ErrorBox, ExecutionStatus, Loading, Section, StatusBadge, Time } from '../components/common';
import { FireTimes } from '../components/FireTimes';
import { useLoad, useNow } from '../lib/hooks';
import { Link, navigate } from '../lib/router';
import { describeSchedule, formatDuration, jobZone, parseTime } from '../lib/schedule';

const EXEC_PAGE = 20;

function isRunning(e: Execution): boolean {
  return parseTime(e.finished_at) === null;
}

/** The output of one execution; a running one streams live (or refreshes slowly). */
function Output({ job, execution }: { job: string; execution: Execution }) {
  const running = isRunning(execution);
  const [text, setText] = useState(execution.output ?? '');
  const [live, setLive] = useState(false);
  useEffect(() => {
    setText(execution.output ?? '');
    if (!running) return;
    let received = false;
    return subscribe(`/v1/jobs/${encodeURIComponent(job)}/executions/${encodeURIComponent(execution.id)}/output`, undefined, {
      events: {
        output: (d) => {
          const chunk = (d as { chunk?: string }).chunk ?? '';
          if (!received) {
            received = true;
            setLive(true);
            setText(chunk);
          } else setText((t) => t + chunk);
        },
        done: (d) => {
          setLive(false);
          const e = d as Execution;
          if (e && typeof e.output === 'string') setText(e.output);
        },
      },
      refresh: () => {
        api.execution(job, execution.id).then((e) => setText(e.output ?? ''), () => undefined);
      },
    });
  }, [job, execution.id, execution.output, running]);
  return (
    <div>
      {running && (
        <p className="muted small" role="status">
          {live ? 'Live output' : 'Running…'}
        </p>
      )}
      <pre className="output" tabIndex={0} aria-label={`Output of execution ${execution.id}`}>
        {text || (running ? '' : '(no output)')}
      </pre>
      {execution.output_truncated && <p className="muted small">Output truncated.</p>}
    </div>
  );
}

function Definition({ job }: { job: Job }) {
  const rows: Array<[string, React.ReactNode]> = [
    ['Name', job.name],
    ['Display name', job.displayname || '—'],
    ['Schedule', <><code>{job.schedule}</code> — {describeSchedule(job.schedule)}</>],
    ['Time zone', jobZone(job.timezone)],
    ['Executor', job.executor || '—'],
    ['Concurrency', job.concurrency || 'allow'],
    ['Retries', String(job.retries ?? 0)],
    ['Misfire policy', job.misfire_policy || 'run_once'],
    ['Owner', [job.owner, job.owner_email].filter(Boolean).join(' · ') || '—'],
    ['Parent', job.parent_job ? <Link to={`/jobs/${encodeURIComponent(job.parent_job)}`}>{job.parent_job}</Link> : '—'],
    ['Dependents', job.dependent_jobs?.length ? job.dependent_jobs.join(', ') : '—'],
  ];
  const maps: Array<[string, Record<string, string> | null | undefined]> = [
    ['Tags', job.tags],
    ['Metadata', job.metadata],
    ['Executor config', job.executor_config],
  ];
  return (
    <dl className="definition">
      {rows.map(([k, v]) => (
        <div key={k}>
          <dt>{k}</dt>
          <dd>{v}</dd>
        </div>
      ))}
      {maps.map(([k, m]) => (
        <div key={k}>
          <dt>{k}</dt>
          <dd>
            {m && Object.keys(m).length ? (
              <ul className="chips">
                {Object.entries(m).map(([a, b]) => (
                  <li key={a}>
                    <code>
                      {a}={b}
                    </code>
                  </li>
                ))}
              </ul>
            ) : (
              '—'
            )}
          </dd>
        </div>
      ))}
      <div>
        <dt>Processors</dt>
        <dd>{job.processors && Object.keys(job.processors).length ? Object.keys(job.processors).join(', ') : '—'}</dd>
      </div>
    </dl>
  );
}

export function JobPage({ name }: { name: string }) {
  const now = useNow();
  const job = useLoad(() => api.job(name), [name]);
  const [execPage, setExecPage] = useState(0);
  const execs = useLoad(
    () => api.executions(name, { start: execPage * EXEC_PAGE, end: (execPage + 1) * EXEC_PAGE, outputSizeLimit: 64 * 1024 }),
    [name, execPage],
  );
  const [actionError, setActionError] = useState<ApiError | null>(null);
  const [notice, setNotice] = useState('');
  const [busy, setBusy] = useState(false);
  const [open, setOpen] = useState<string | null>(null);
  // The next 5 fires, from the server (its zones and DST rules); reloaded
  // when the job changes and once the first of them has passed.
  const j0 = job.data;
  const fires = useLoad(() => api.nextFires(name, 5), [name, j0?.next, j0?.schedule, j0?.timezone, j0?.disabled]);
  const passed = useRef('');
  const first = fires.data?.next[0];
  useEffect(() => {
    const t = parseTime(first);
    if (first && t && t.getTime() < now.getTime() && passed.current !== first) {
      passed.current = first;
      fires.reload();
    }
  }, [first, now, fires.reload]);

  useEffect(() => {
    const reloadExecs = throttle(execs.reload, 500);
    const reloadJob = throttle(job.reload, 500);
    return subscribe('/v1/events', { job: name }, {
      events: {
        execution: (d) => {
          if ((d as Execution).job_name === name) {
            reloadExecs();
            reloadJob();
          }
        },
        job: (d) => {
          if ((d as Job).name === name) reloadJob();
        },
        'job-deleted': (d) => {
          if ((d as { name: string }).name === name) reloadJob();
        },
        reset: () => {
          reloadJob();
          reloadExecs();
        },
      },
      refresh: () => {
        job.reload();
        execs.reload();
      },
    });
  }, [name, job.reload, execs.reload]);

  const act = async (what: string, fn: () => Promise<unknown>, after?: () => void) => {
    setBusy(true);
    setActionError(null);
    setNotice('');
    try {
      await fn();
      setNotice(what);
      after?.();
      job.reload();
      execs.reload();
    } catch (e) {
      setActionError(e instanceof ApiError ? e : new ApiError(0, String(e)));
    } finally {
      setBusy(false);
    }
  };

  if (job.error && !job.data) {
    return (
      <>
        <h1>{name}</h1>
        <ErrorBox error={job.error} />
        <Link to="/jobs">Back to jobs</Link>
      </>
    );
  }
  const j = job.data;
  const items = execs.data?.items ?? [];
  const total = execs.data?.total ?? 0;

  return (
    <>
      <div className="page-head">
        <h1>
          {j?.displayname || name} {j && <StatusBadge status={j.status} />} {j?.disabled && <span className="badge">disabled</span>}
        </h1>
        {j && (
          <div className="actions" role="group" aria-label="Job actions">
            <button type="button" className="primary" disabled={busy} onClick={() => act('Run requested.', () => api.runJob(name))}>
              Run now
            </button>
            <button type="button" disabled={busy} onClick={() => act(j.disabled ? 'Job enabled.' : 'Job disabled.', () => api.toggleJob(name))}>
              {j.disabled ? 'Enable' : 'Disable'}
            </button>
            <Link className="button" to={`/jobs/${encodeURIComponent(name)}/edit`}>
              Edit
            </Link>
            <button
              type="button"
              disabled={busy}
              onClick={() => {
                if (window.confirm(`Clear the execution history of ${name}?`)) void act('History cleared.', () => api.clearExecutions(name));
              }}
            >
              Clear history
            </button>
            <button
              type="button"
              className="danger"
              disabled={busy}
              onClick={() => {
                if (window.confirm(`Delete job ${name} and its executions? This cannot be undone.`))
                  void act('Job deleted.', () => api.deleteJob(name), () => navigate('/jobs'));
              }}
            >
              Delete
            </button>
          </div>
        )}
      </div>
      <p role="status" className="notice">
        {notice}
      </p>
      <ErrorBox error={actionError} />
      <Loading when={!j && job.loading} />
      {j && (
        <>
          <p>
            Next run: {j.disabled ? 'none (disabled)' : <Time value={j.next} zone={j.timezone} now={now} />}
          </p>
          {(!j.tags || Object.keys(j.tags).length === 0) && (
            <p className="warning">This job has no tags: it runs on every alive node of its region.</p>
          )}
          <Section title="Next fire times">
            <ErrorBox error={fires.error} title="Could not compute the next fire times" />
            {fires.data && <FireTimes fires={fires.data} now={now} label={`Next fire times of ${name}`} />}
          </Section>
          <Section title="Definition">
            <Definition job={j} />
          </Section>
        </>
      )}
      <Section title={`Executions (${total})`}>
        <ErrorBox error={execs.error} />
        <div className="table-wrap">
          <table aria-busy={execs.loading}>
            <thead>
              <tr>
                <th scope="col">Started</th>
                <th scope="col">Status</th>
                <th scope="col">Duration</th>
                <th scope="col">Node</th>
                <th scope="col">Attempt</th>
                <th scope="col">
                  <span className="sr-only">Actions</span>
                </th>
              </tr>
            </thead>
            <tbody>
              {items.map((e) => {
                const running = isRunning(e);
                const start = parseTime(e.started_at);
                const end = parseTime(e.finished_at) ?? now;
                return [
                  <tr key={e.id}>
                    <td>
                      <Time value={e.started_at} zone={j?.timezone} now={now} />
                    </td>
                    <td>
                      <ExecutionStatus running={running} success={e.success} />
                    </td>
                    <td className="num">{start ? formatDuration(end.getTime() - start.getTime()) : '—'}</td>
                    <td>{e.node_name}</td>
                    <td className="num">{e.attempt}</td>
                    <td className="actions">
                      <button type="button" aria-expanded={open === e.id} onClick={() => setOpen(open === e.id ? null : e.id)}>
                        {open === e.id ? 'Hide output' : 'Output'}
                      </button>
                      {running && (
                        <button type="button" className="danger" disabled={busy} onClick={() => act('Cancel requested.', () => api.cancelExecution(name, e.id))}>
                          Cancel
                        </button>
                      )}
                    </td>
                  </tr>,
                  open === e.id && (
                    <tr key={`${e.id}-out`}>
                      <td colSpan={6}>
                        <Output job={name} execution={e} />
                      </td>
                    </tr>
                  ),
                ];
              })}
              {execs.data && items.length === 0 && (
                <tr>
                  <td colSpan={6} className="muted">
                    No executions yet.
                  </td>
                </tr>
              )}
            </tbody>
          </table>
        </div>
        {total > EXEC_PAGE && (
          <nav className="pager" aria-label="Execution pages">
            <button type="button" disabled={execPage === 0} onClick={() => setExecPage(execPage - 1)}>
              Newer
            </button>
            <span>
              {execPage * EXEC_PAGE + 1}–{Math.min(total, (execPage + 1) * EXEC_PAGE)} of {total}
            </span>
            <button type="button" disabled={(execPage + 1) * EXEC_PAGE >= total} onClick={() => setExecPage(execPage + 1)}>
              Older
            </button>
          </nav>
        )}
      </Section>
    </>
  );
}

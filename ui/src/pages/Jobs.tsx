import { useEffect, useMemo, useRef, useState } from 'react';
import { api, type JobQuery } from '../api/client';
import { subscribe, throttle } from '../api/live';
import type { Job } from '../api/types';
import { ErrorBox, StatusBadge, Time } from '../components/common';
import { useDebounced, useLoad, useNow } from '../lib/hooks';
import { BASE, Link } from '../lib/router';
import { describeSchedule } from '../lib/schedule';

export const PAGE_SIZE = 25;

const COLUMNS: Array<{ key: string; label: string; sortable: boolean }> = [
  { key: 'name', label: 'Name', sortable: true },
  { key: 'schedule', label: 'Schedule', sortable: true },
  { key: 'status', label: 'Status', sortable: false },
  { key: 'next', label: 'Next run', sortable: true },
  { key: 'last_success', label: 'Last success', sortable: true },
  { key: 'last_error', label: 'Last error', sortable: true },
  { key: 'success_count', label: 'Runs ok / failed', sortable: true },
];

/**
 * "team=ops, env=prod" → {team: "ops", env: "prod"}; pairs without "=" are
 * ignored. Used for the metadata and the tags filters.
 */
export function parseMetadataFilter(text: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const part of text.split(',')) {
    const eq = part.indexOf('=');
    if (eq > 0) out[part.slice(0, eq).trim()] = part.slice(eq + 1).trim();
  }
  return out;
}

export function JobsPage() {
  // The list's state lives in the URL too, so Back from a job, a reload
  // or a shared link return to the same page of the same view.
  const [initial] = useState(() => new URLSearchParams(window.location.search));
  const [search, setSearch] = useState(initial.get('q') ?? '');
  const [status, setStatus] = useState(initial.get('status') ?? '');
  const [disabled, setDisabled] = useState<'' | 'true' | 'false'>((initial.get('disabled') as 'true' | 'false' | null) ?? '');
  const [metadata, setMetadata] = useState(initial.get('metadata') ?? '');
  const [tags, setTags] = useState(initial.get('tags') ?? '');
  const [sort, setSort] = useState(initial.get('sort') ?? 'name');
  const [order, setOrder] = useState<'ASC' | 'DESC'>(initial.get('order') === 'DESC' ? 'DESC' : 'ASC');
  const [page, setPage] = useState(Math.max(0, Number(initial.get('page') ?? 1) - 1 || 0));
  const q = useDebounced(search, 250);
  const md = useDebounced(metadata, 400);
  const tg = useDebounced(tags, 400);
  const now = useNow();

  const query: JobQuery = useMemo(
    () => ({
      start: page * PAGE_SIZE,
      end: (page + 1) * PAGE_SIZE,
      sort,
      order,
      q,
      status,
      disabled,
      metadata: parseMetadataFilter(md),
      tags: parseMetadataFilter(tg),
    }),
    [page, sort, order, q, status, disabled, md, tg],
  );
  const jobs = useLoad(() => api.jobs(query), [query]);
  const mounted = useRef(false);
  useEffect(() => {
    if (mounted.current) setPage(0);
    mounted.current = true;
  }, [q, status, disabled, md, tg]);
  useEffect(() => {
    const p = new URLSearchParams();
    if (q) p.set('q', q);
    if (status) p.set('status', status);
    if (disabled) p.set('disabled', disabled);
    if (md) p.set('metadata', md);
    if (tg) p.set('tags', tg);
    if (sort !== 'name') p.set('sort', sort);
    if (order !== 'ASC') p.set('order', order);
    if (page > 0) p.set('page', String(page + 1));
    const qs = p.toString();
    window.history.replaceState(null, '', `${BASE}/jobs${qs ? `?${qs}` : ''}`);
  }, [q, status, disabled, md, tg, sort, order, page]);

  // Job changes anywhere refresh the visible page, at most once a second.
  useEffect(() => {
    const refresh = throttle(jobs.reload, 1000);
    return subscribe('/v1/events', undefined, {
      events: { job: refresh, 'job-deleted': refresh, reset: refresh },
      refresh: jobs.reload,
    });
  }, [jobs.reload]);

  const total = jobs.data?.total ?? 0;
  const pages = Math.max(1, Math.ceil(total / PAGE_SIZE));
  const onSort = (key: string) => {
    if (sort === key) setOrder(order === 'ASC' ? 'DESC' : 'ASC');
    else {
      setSort(key);
      setOrder('ASC');
    }
    setPage(0);
  };

  return (
    <>
      <div className="page-head">
        <h1>Jobs</h1>
        <Link className="button primary" to="/jobs/new">
          New job
        </Link>
      </div>
      <form className="filters" role="search" onSubmit={(e) => e.preventDefault()}>
        <label>
          Search
          <input type="search" value={search} placeholder="name or display name" onChange={(e) => setSearch(e.target.value)} />
        </label>
        <label>
          Status
          <select value={status} onChange={(e) => setStatus(e.target.value)}>
            <option value="">any</option>
            <option value="success">success</option>
            <option value="failed">failed</option>
            <option value="partially_failed">partially failed</option>
            <option value="untriggered">untriggered</option>
          </select>
        </label>
        <label>
          Enabled
          <select value={disabled} onChange={(e) => setDisabled(e.target.value as '' | 'true' | 'false')}>
            <option value="">any</option>
            <option value="false">enabled</option>
            <option value="true">disabled</option>
          </select>
        </label>
        <label>
          Metadata
          <input value={metadata} placeholder="team=ops, env=prod" onChange={(e) => setMetadata(e.target.value)} />
        </label>
        <label>
          Tags
          <input value={tags} placeholder="role=web, dc=east" title="A job tag value:count matches its value" onChange={(e) => setTags(e.target.value)} />
        </label>
      </form>
      <ErrorBox error={jobs.error} title="Could not list jobs" />
      <div className="table-wrap">
        <table aria-busy={jobs.loading} aria-describedby="jobs-count">
          <caption className="sr-only">Jobs, sorted by {sort} {order === 'ASC' ? 'ascending' : 'descending'}</caption>
          <thead>
            <tr>
              {COLUMNS.map((c) => (
                <th
                  key={c.key}
                  scope="col"
                  aria-sort={sort === c.key ? (order === 'ASC' ? 'ascending' : 'descending') : undefined}
                >
                  {c.sortable ? (
                    <button type="button" className="sort" onClick={() => onSort(c.key)}>
                      {c.label}
                      <span aria-hidden="true">{sort === c.key ? (order === 'ASC' ? ' ▲' : ' ▼') : ''}</span>
                    </button>
                  ) : (
                    c.label
                  )}
                </th>
              ))}
            </tr>
          </thead>
          <tbody>
            {jobs.data?.items.map((j: Job) => (
              <tr key={j.name} className={j.disabled ? 'disabled' : undefined}>
                <td>
                  <Link to={`/jobs/${encodeURIComponent(j.name)}`}>{j.displayname || j.name}</Link>
                  {j.displayname && <div className="muted small">{j.name}</div>}
                  {j.disabled && <span className="badge">disabled</span>}
                </td>
                <td>
                  <code>{j.schedule}</code>
                  <div className="muted small">{describeSchedule(j.schedule)}</div>
                </td>
                <td>
                  <StatusBadge status={j.status} />
                </td>
                <td>{j.disabled ? <span className="muted">—</span> : <Time value={j.next} zone={j.timezone} now={now} />}</td>
                <td>
                  <Time value={j.last_success} zone={j.timezone} now={now} />
                </td>
                <td>
                  <Time value={j.last_error} zone={j.timezone} now={now} />
                </td>
                <td className="num">
                  {j.success_count ?? 0} / {j.error_count ?? 0}
                </td>
              </tr>
            ))}
            {jobs.data && jobs.data.items.length === 0 && (
              <tr>
                <td colSpan={COLUMNS.length} className="muted">
                  No jobs match.
                </td>
              </tr>
            )}
          </tbody>
        </table>
      </div>
      <nav className="pager" aria-label="Pages">
        <button type="button" disabled={page === 0} onClick={() => setPage(page - 1)}>
          Previous
        </button>
        <span id="jobs-count" aria-live="polite">
          Page {page + 1} of {pages} · {total} job{total === 1 ? '' : 's'}
        </span>
        <button type="button" disabled={page + 1 >= pages} onClick={() => setPage(page + 1)}>
          Next
        </button>
      </nav>
    </>
  );
}

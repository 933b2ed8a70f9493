import { useEffect } from 'react';
import { api } from '../api/client';
import { subscribe, throttle } from '../api/live';
import { ErrorBox, Loading, Section, Time } from '../components/common';
import { StatsChart } from '../components/StatsChart';
import { useLoad, useNow } from '../lib/hooks';
import { Link } from '../lib/router';

const STATUSES = ['success', 'failed', 'partially_failed', 'untriggered'] as const;

async function loadDashboard() {
  const count = (query: Parameters<typeof api.jobs>[0]) => api.jobs({ ...query, start: 0, end: 0 }).then((p) => p.total);
  const [leader, members, total, disabled, byStatus, failures, stats, busy] = await Promise.all([
    api.leader(),
    api.members(),
    count({}),
    count({ disabled: 'true' }),
    Promise.all(STATUSES.map((s) => count({ status: s }))),
    api.jobs({ status: 'failed', sort: 'last_error', order: 'DESC', start: 0, end: 5 }),
    api.stats(14),
    api.busy(),
  ]);
  return { leader, members: members.items, total, disabled, byStatus, failures: failures.items, stats: stats.stats, running: busy.total };
}

export function Dashboard() {
  const now = useNow();
  const d = useLoad(loadDashboard, []);
  useEffect(() => {
    const refresh = throttle(d.reload, 2000);
    return subscribe('/v1/events', undefined, {
      events: { job: refresh, 'job-deleted': refresh, execution: refresh, leader: refresh, reset: refresh },
      refresh: d.reload,
    });
  }, [d.reload]);
  const data = d.data;
  return (
    <>
      <h1>Dashboard</h1>
      <ErrorBox error={d.error} />
      <Loading when={!data && d.loading} />
      {data && (
        <>
          <div className="tiles">
            <div className="tile">
              <div className="tile-label">Leader</div>
              <div className="tile-value">{data.leader?.Name ?? 'none'}</div>
            </div>
            <div className="tile">
              <div className="tile-label">Members</div>
              <div className="tile-value">{data.members.length}</div>
            </div>
            <div className="tile">
              <div className="tile-label">Jobs</div>
              <div className="tile-value">{data.total}</div>
              <div className="muted small">{data.disabled} disabled</div>
            </div>
            <div className="tile">
              <div className="tile-label">Running now</div>
              <div className="tile-value">
                <Link to="/busy">{data.running}</Link>
              </div>
            </div>
          </div>
          <Section title="Jobs by status">
            <ul className="status-counts">
              {STATUSES.map((s, i) => (
                <li key={s}>
                  <span className={`badge badge-${s}`}>{s.replace('_', ' ')}</span> <strong>{data.byStatus[i]}</strong>
                </li>
              ))}
            </ul>
          </Section>
          <Section title="Executions, last 14 days">
            <StatsChart stats={data.stats} />
          </Section>
          <Section title="Recent failures">
            {data.failures.length === 0 ? (
              <p className="muted">No failing jobs.</p>
            ) : (
              <ul className="plain">
                {data.failures.map((j) => (
                  <li key={j.name}>
                    <Link to={`/jobs/${encodeURIComponent(j.name)}`}>{j.displayname || j.name}</Link> — failed{' '}
                    <Time value={j.last_error} zone={j.timezone} now={now} />
                  </li>
                ))}
              </ul>
            )}
          </Section>
        </>
      )}
    </>
  );
}

import { useEffect, useState } from 'react';
import { ApiError, api } from '../api/client';
import { subscribe, throttle } from '../api/live';
import { ErrorBox, Loading, Time } from '../components/common';
import { useLoad, useNow } from '../lib/hooks';
import { Link } from '../lib/router';
import { formatDuration, parseTime } from '../lib/schedule';

export function BusyPage() {
  const now = useNow();
  const d = useLoad(() => api.busy(), []);
  const [error, setError] = useState<ApiError | null>(null);
  useEffect(() => {
    const refresh = throttle(d.reload, 1000);
    return subscribe('/v1/events', undefined, { events: { execution: refresh, reset: refresh }, refresh: d.reload });
  }, [d.reload]);
  const items = d.data?.items ?? [];
  return (
    <>
      <h1>Running executions</h1>
      <ErrorBox error={d.error ?? error} />
      <Loading when={!d.data && d.loading} />
      {d.data && items.length === 0 && <p className="muted">Nothing is running.</p>}
      {items.length > 0 && (
        <div className="table-wrap">
          <table>
            <thead>
              <tr>
                <th scope="col">Job</th>
                <th scope="col">Started</th>
                <th scope="col">Running for</th>
                <th scope="col">Node</th>
                <th scope="col">
                  <span className="sr-only">Actions</span>
                </th>
              </tr>
            </thead>
            <tbody>
              {items.map((e) => {
                const start = parseTime(e.started_at);
                return (
                  <tr key={e.id}>
                    <td>
                      <Link to={`/jobs/${encodeURIComponent(e.job_name)}`}>{e.job_name}</Link>
                    </td>
                    <td>
                      <Time value={e.started_at} now={now} />
                    </td>
                    <td className="num">{start ? formatDuration(now.getTime() - start.getTime()) : '—'}</td>
                    <td>{e.node_name}</td>
                    <td>
                      <button
                        type="button"
                        className="danger"
                        onClick={() =>
                          api.cancelExecution(e.job_name, e.id).then(d.reload, (err: ApiError) => setError(err))
                        }
                      >
                        Cancel<span className="sr-only"> {e.job_name}</span>
                      </button>
                    </td>
                  </tr>
                );
              })}
            </tbody>
          </table>
        </div>
      )}
    </>
  );
}

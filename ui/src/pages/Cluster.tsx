import { useEffect } from 'react';
import { api } from '../api/client';
import { subscribe, throttle } from '../api/live';
import { ErrorBox, Loading } from '../components/common';
import { useLoad } from '../lib/hooks';

const STATUS_TEXT = ['none', 'alive', 'leaving', 'left', 'failed'];

export function ClusterPage() {
  const d = useLoad(async () => {
    const [members, leader] = await Promise.all([api.members(), api.leader()]);
    return { members: members.items, leader };
  }, []);
  useEffect(() => subscribe('/v1/events', undefined, { events: { leader: throttle(d.reload, 1000) }, refresh: d.reload }), [d.reload]);
  const data = d.data;
  return (
    <>
      <h1>Cluster</h1>
      <ErrorBox error={d.error} />
      <Loading when={!data && d.loading} />
      {data && (
        <>
          <p>
            Leader: <strong>{data.leader?.Name ?? 'none known'}</strong>
          </p>
          <div className="table-wrap">
            <table>
              <caption className="sr-only">Cluster members</caption>
              <thead>
                <tr>
                  <th scope="col">Name</th>
                  <th scope="col">Address</th>
                  <th scope="col">State</th>
                  <th scope="col">Role</th>
                  <th scope="col">Tags</th>
                </tr>
              </thead>
              <tbody>
                {data.members.map((m) => {
                  const state = m.statusText || STATUS_TEXT[m.Status] || String(m.Status);
                  const server = m.Tags?.server === 'true';
                  return (
                    <tr key={m.Name}>
                      <td>
                        {m.Name}
                        {data.leader?.Name === m.Name && <span className="badge badge-success">leader</span>}
                      </td>
                      <td>
                        <code>
                          {m.Addr}:{m.Port}
                        </code>
                      </td>
                      <td>
                        <span className={`badge badge-${state === 'alive' ? 'success' : state === 'failed' ? 'failed' : 'untriggered'}`}>{state}</span>
                      </td>
                      <td>{server ? 'server (Raft voter)' : 'agent'}</td>
                      <td>
                        <ul className="chips">
                          {Object.entries(m.Tags ?? {}).map(([k, v]) => (
                            <li key={k}>
                              <code>
                                {k}={v}
                              </code>
                            </li>
                          ))}
                        </ul>
                      </td>
                    </tr>
                  );
                })}
              </tbody>
            </table>
          </div>
        </>
      )}
    </>
  );
}

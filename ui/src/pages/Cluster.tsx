import { useEffect } from 'react';
import { ApiError, api } from '../api/client';
import { subscribe, throttle } from '../api/live';
import type { RaftPeer } from '../api/types';
import { ErrorBox, Loading, Section } from '../components/common';
import { useLoad } from '../lib/hooks';

const STATUS_TEXT = ['none', 'alive', 'leaving', 'left', 'failed'];

/** The Raft configuration; null from a server without GET /v1/raft/peers (404). */
async function raftPeers(): Promise<RaftPeer[] | null> {
  try {
    const peers = await api.raftPeers();
    return Array.isArray(peers) ? peers : null;
  } catch (e) {
    if (e instanceof ApiError && e.status === 404) return null;
    throw e;
  }
}

/** The servers of the Raft configuration as the answering server knows it, the leader marked. */
export function RaftPeersTable({ peers }: { peers: RaftPeer[] }) {
  if (peers.length === 0) return <p className="muted">No Raft configuration yet (the cluster has not formed).</p>;
  return (
    <div className="table-wrap">
      <table>
        <caption className="sr-only">Raft peers</caption>
        <thead>
          <tr>
            <th scope="col">Name</th>
            <th scope="col">Raft ID</th>
            <th scope="col">Address</th>
            <th scope="col">Suffrage</th>
          </tr>
        </thead>
        <tbody>
          {peers.map((p) => (
            <tr key={p.id}>
              <td>
                {p.name || <span className="muted">unknown to gossip</span>}
                {p.leader && <span className="badge badge-success">leader</span>}
              </td>
              <td>
                <code>{p.id}</code>
              </td>
              <td>
                <code>{p.address}</code>
              </td>
              <td>{p.suffrage}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}

export function ClusterPage() {
  const d = useLoad(async () => {
    const [members, leader, peers] = await Promise.all([api.members(), api.leader(), raftPeers()]);
    return { members: members.items, leader, peers };
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
          <Section title={`Members (gossip): ${data.members.length}`}>
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
                        <td>{server ? 'server' : 'agent'}</td>
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
          </Section>
          <Section title="Raft peers">
            {data.peers ? <RaftPeersTable peers={data.peers} /> : <p className="muted">This server does not list its Raft configuration.</p>}
          </Section>
        </>
      )}
    </>
  );
}

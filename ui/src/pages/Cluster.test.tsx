import { cleanup, render, screen, within } from '@testing-library/react';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { ClusterPage } from './Cluster';

const MEMBERS = [
  { Name: 'n1', Addr: '10.0.0.1', Port: 8946, Tags: { server: 'true', region: 'global' }, Status: 1, statusText: 'alive' },
  { Name: 'n2', Addr: '10.0.0.2', Port: 8946, Tags: { server: 'true' }, Status: 1, statusText: 'alive' },
];
const PEERS = [
  { id: '11', name: 'n1', address: '10.0.0.1:6868', suffrage: 'voter', leader: false },
  { id: '22', name: 'n2', address: '10.0.0.2:6868', suffrage: 'voter', leader: true },
  { id: '33', name: '', address: '10.0.0.3:6868', suffrage: 'standby', leader: false },
];

describe('ClusterPage', () => {
  let peersReply: () => Response;
  beforeEach(() => {
    peersReply = () => new Response(JSON.stringify(PEERS), { status: 200 });
    vi.stubGlobal(
      'fetch',
      vi.fn(async (url: string) => {
        if (url.startsWith('/v1/members')) return new Response(JSON.stringify(MEMBERS), { status: 200 });
        if (url.startsWith('/v1/leader')) return new Response(JSON.stringify(MEMBERS[1]), { status: 200 });
        if (url.startsWith('/v1/raft/peers')) return peersReply();
        return new Response('not found', { status: 404 });
      }),
    );
  });
  afterEach(() => {
    cleanup();
    vi.unstubAllGlobals();
  });

  it('shows the Raft peers with the leader marked, beside the gossip members', async () => {
    render(<ClusterPage />);
    const peers = await screen.findByRole('table', { name: 'Raft peers' });
    const rows = within(peers).getAllByRole('row').slice(1);
    expect(rows).toHaveLength(3);
    expect(within(rows[1]).getByText('leader')).toBeTruthy();
    expect(within(rows[0]).queryByText('leader')).toBeNull();
    expect(rows[1].textContent).toContain('10.0.0.2:6868');
    expect(rows[2].textContent).toContain('unknown to gossip');
    expect(rows[2].textContent).toContain('standby');
    const members = screen.getByRole('table', { name: 'Cluster members' });
    expect(within(members).getAllByRole('row')).toHaveLength(3);
    expect(screen.getByRole('heading', { name: 'Members (gossip): 2' })).toBeTruthy();
  });

  it('still shows the members when the server has no peers endpoint', async () => {
    peersReply = () => new Response('no route for GET /v1/raft/peers', { status: 404 });
    render(<ClusterPage />);
    expect(await screen.findByText('This server does not list its Raft configuration.')).toBeTruthy();
    expect(screen.getByRole('table', { name: 'Cluster members' })).toBeTruthy();
    expect(screen.queryByRole('alert')).toBeNull();
  });
});

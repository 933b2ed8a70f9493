import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { ApiError, api, authorizationHeader, buildUrl, fieldOfError, onUnauthorized, saveCredentials } from './client';

function reply(status: number, body: string, headers: Record<string, string> = {}) {
  return new Response(body, { status, headers });
}

describe('api client', () => {
  let fetchMock: ReturnType<typeof vi.fn>;
  beforeEach(() => {
    fetchMock = vi.fn();
    vi.stubGlobal('fetch', fetchMock);
    sessionStorage.clear();
  });
  afterEach(() => vi.unstubAllGlobals());

  it('sends paging, sorting and filters and reads X-Total-Count', async () => {
    fetchMock.mockResolvedValue(reply(200, '[{"name":"a","schedule":"@daily"}]', { 'X-Total-Count': '1234' }));
    const page = await api.jobs({ start: 25, end: 50, sort: 'next', order: 'DESC', q: 'back', status: 'failed', disabled: 'false', metadata: { team: 'ops' } });
    expect(page.total).toBe(1234);
    expect(page.items[0].name).toBe('a');
    const url = new URL(fetchMock.mock.calls[0][0], 'http://x');
    expect(url.pathname).toBe('/v1/jobs');
    expect(Object.fromEntries(url.searchParams)).toEqual({
      _start: '25', _end: '50', _sort: 'next', _order: 'DESC', q: 'back', status: 'failed', disabled: 'false', 'metadata[team]': 'ops',
    });
  });

  it('sends the tags filter as tags[key]=value', async () => {
    fetchMock.mockResolvedValue(reply(200, '[]', { 'X-Total-Count': '0' }));
    await api.jobs({ tags: { role: 'web', dc: 'east' }, metadata: { team: 'ops' } });
    const url = new URL(fetchMock.mock.calls[0][0], 'http://x');
    expect(Object.fromEntries(url.searchParams)).toEqual({ 'tags[role]': 'web', 'tags[dc]': 'east', 'metadata[team]': 'ops' });
  });

  it('asks the server for fire times and the Raft peers', async () => {
    fetchMock.mockImplementation(async () => reply(200, '{"job":"a","schedule":"@daily","timezone":"UTC","next":[]}'));
    await api.nextFires('job a', 5);
    await api.previewSchedule('0 0 9 * * *', 'Asia/Tokyo');
    expect(fetchMock.mock.calls[0][0]).toBe('/v1/jobs/job%20a/next?count=5');
    const preview = new URL(fetchMock.mock.calls[1][0], 'http://x');
    expect(preview.pathname).toBe('/v1/schedule/next');
    expect(Object.fromEntries(preview.searchParams)).toEqual({ schedule: '0 0 9 * * *', timezone: 'Asia/Tokyo', count: '5' });
    fetchMock.mockImplementation(async () => reply(200, '[{"id":"1","name":"n","address":"a:1","suffrage":"voter","leader":true}]'));
    expect((await api.raftPeers())[0].leader).toBe(true);
    expect(fetchMock.mock.calls[2][0]).toBe('/v1/raft/peers');
  });

  it('maps the preview\'s errors to the parameter they name', () => {
    expect(fieldOfError('schedule: can\'t parse job schedule: bad')).toBe('schedule');
    expect(fieldOfError('timezone: unknown time zone "Mars/Olympus"')).toBe('timezone');
  });

  it('omits empty filters', () => {
    expect(buildUrl('/v1/jobs', { q: '', status: undefined, _start: 0 })).toBe('/v1/jobs?_start=0');
  });

  it('turns an error answer into an ApiError with the API message', async () => {
    fetchMock.mockResolvedValue(reply(400, 'Job validation failed: can\'t parse job schedule: bad.'));
    const err = await api.saveJob({ name: 'a', schedule: 'bad' }).catch((e) => e);
    expect(err).toBeInstanceOf(ApiError);
    expect(err.status).toBe(400);
    expect(err.message).toBe("Job validation failed: can't parse job schedule: bad.");
    const [, init] = fetchMock.mock.calls[0];
    expect(init.method).toBe('POST');
    expect(JSON.parse(init.body)).toEqual({ name: 'a', schedule: 'bad' });
  });

  it('falls back to the status line when the body is empty, and reports unreachable servers', async () => {
    fetchMock.mockResolvedValueOnce(reply(500, ''));
    expect((await api.job('x').catch((e) => e)).message).toMatch(/^500/);
    fetchMock.mockRejectedValueOnce(new TypeError('Failed to fetch'));
    const e = await api.job('x').catch((e) => e);
    expect(e.status).toBe(0);
    expect(e.message).toMatch(/did not answer/);
  });

  it('encodes path parameters', async () => {
    fetchMock.mockResolvedValue(reply(202, '{}'));
    await api.cancelExecution('job a', '1/2');
    expect(fetchMock.mock.calls[0][0]).toBe('/v1/jobs/job%20a/executions/1%2F2/cancel');
  });

  it('reports 401 with the scheme and sends stored credentials', async () => {
    const seen: ApiError[] = [];
    const off = onUnauthorized((e) => seen.push(e));
    fetchMock.mockResolvedValueOnce(reply(401, 'credentials required', { 'WWW-Authenticate': 'Basic realm="ckron"' }));
    await api.paused().catch(() => undefined);
    expect(seen).toHaveLength(1);
    expect(seen[0].authScheme).toBe('Basic');
    off();
    saveCredentials({ kind: 'token', token: 't0k' });
    fetchMock.mockResolvedValueOnce(reply(200, '{"paused":false}'));
    await api.paused();
    expect(fetchMock.mock.calls[1][1].headers.Authorization).toBe('Bearer t0k');
  });

  it('treats a 404 leader as no leader', async () => {
    fetchMock.mockResolvedValue(reply(404, 'no leader'));
    expect(await api.leader()).toBeNull();
  });

  it('builds basic credentials', () => {
    expect(authorizationHeader({ kind: 'basic', user: 'admin', password: 'pé' })).toBe(`Basic ${btoa('admin:p\u00c3\u00a9')}`);
  });
});

describe('fieldOfError', () => {
  it.each([
    ['Job validation failed: can\'t parse job schedule: expected 6 fields.', 'schedule'],
    ['Job validation failed: name contains illegal character \'B\'.', 'name'],
    ['Job validation failed: name cannot be empty.', 'name'],
    ['Unable to parse payload: field "executor_config.timeout" must be a string, got number 30', 'executor_config'],
    ['Job validation failed: executor_config.timeout: Error parsing job timeout value.', 'executor_config'],
    ['Job validation failed: processors.log.forward: "yes" is not a boolean (use true or false).', 'processors'],
    ['Job validation failed: unknown time zone "Mars/Olympus".', 'timezone'],
    ['Job validation failed: the job can not have itself as parent.', 'parent_job'],
    ['Job validation failed: retry_backoff: must not be negative.', 'retry_backoff'],
    ['Job validation failed: invalid concurrency policy value, use "allow", "forbid" or "replace".', 'concurrency'],
    ['New job submissions are currently paused', null],
  ])('%s → %s', (message, field) => {
    expect(fieldOfError(message)).toBe(field);
  });
});

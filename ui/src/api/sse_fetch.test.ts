import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { saveCredentials } from './client';
import { subscribe } from './live';
import { SseParser, openFetchStream } from './sse_fetch';

function streamOf(chunks: string[]): ReadableStream<Uint8Array> {
  const enc = new TextEncoder();
  return new ReadableStream({
    start(c) {
      for (const chunk of chunks) c.enqueue(enc.encode(chunk));
      c.close();
    },
  });
}

function sse(chunks: string[], status = 200): Response {
  return new Response(streamOf(chunks), { status, headers: { 'Content-Type': 'text/event-stream' } });
}

describe('SseParser', () => {
  it('parses events split anywhere across chunks, skipping comments', () => {
    const p = new SseParser();
    expect(p.push(': ping\n\nevent: lea')).toEqual([]);
    expect(p.push('der\ndata: {"leader":"n1",')).toEqual([]);
    expect(p.push('"term":3}\n\n')).toEqual([{ event: 'leader', data: '{"leader":"n1","term":3}' }]);
  });

  it('joins data lines, accepts CRLF and defaults the event name to message', () => {
    const p = new SseParser();
    expect(p.push('data: a\r\ndata:b\r\n\r\nevent: done\ndata\n\n')).toEqual([
      { event: 'message', data: 'a\nb' },
      { event: 'done', data: '' },
    ]);
  });

  it('drops an event with no data', () => {
    expect(new SseParser().push('event: x\n\n')).toEqual([]);
  });
});

describe('openFetchStream', () => {
  let fetchMock: ReturnType<typeof vi.fn>;
  beforeEach(() => {
    fetchMock = vi.fn();
    vi.stubGlobal('fetch', fetchMock);
    sessionStorage.clear();
  });
  afterEach(() => {
    vi.unstubAllGlobals();
    vi.useRealTimers();
  });

  it('sends the headers and delivers each event', async () => {
    fetchMock.mockResolvedValue(sse(['event: job\ndata: {"name":"a"}\n\n', 'event: job\ndata: {"name":"b"}\n\n']));
    const got: string[] = [];
    const close = openFetchStream('/v1/events', { headers: { Authorization: 'Basic eDp5' }, onEvent: (e) => got.push(e.data), onRefused: () => {} });
    await vi.waitFor(() => expect(got).toHaveLength(2));
    close();
    expect(got).toEqual(['{"name":"a"}', '{"name":"b"}']);
    const init = fetchMock.mock.calls[0][1] as RequestInit;
    expect(init.headers).toMatchObject({ Authorization: 'Basic eDp5', Accept: 'text/event-stream' });
  });

  it('reports a refusal with its status and does not reconnect', async () => {
    vi.useFakeTimers();
    fetchMock.mockResolvedValue(new Response('{"error":"unauthorized"}', { status: 401, headers: { 'Content-Type': 'application/json' } }));
    const refused = vi.fn();
    openFetchStream('/v1/events', { headers: {}, onEvent: () => {}, onRefused: refused });
    await vi.waitFor(() => expect(refused).toHaveBeenCalledWith(401));
    await vi.advanceTimersByTimeAsync(10_000);
    expect(fetchMock).toHaveBeenCalledTimes(1);
  });

  it('reconnects after the stream ends, until closed', async () => {
    vi.useFakeTimers();
    fetchMock.mockImplementation(() => Promise.resolve(sse([': ping\n\n'])));
    const close = openFetchStream('/v1/events', { headers: {}, onEvent: () => {}, onRefused: () => {} });
    await vi.advanceTimersByTimeAsync(3100);
    expect(fetchMock).toHaveBeenCalledTimes(2);
    close();
    await vi.advanceTimersByTimeAsync(10_000);
    expect(fetchMock).toHaveBeenCalledTimes(2);
  });

  it('is what subscribe() uses with basic credentials, with JSON handed to the handler', async () => {
    saveCredentials({ kind: 'basic', user: 'ops', password: 'pw' });
    fetchMock.mockResolvedValue(sse(['event: leader\ndata: {"leader":"n2","term":7}\n\n']));
    const leader = vi.fn();
    const close = subscribe('/v1/events', undefined, { events: { leader } });
    await vi.waitFor(() => expect(leader).toHaveBeenCalledWith({ leader: 'n2', term: 7 }));
    close();
    const [url, init] = fetchMock.mock.calls[0] as [string, RequestInit];
    expect(url).toBe('/v1/events');
    expect(url).not.toContain('access_token');
    expect((init.headers as Record<string, string>).Authorization).toBe(`Basic ${btoa('ops:pw')}`);
  });
});

// Live updates from the API's Server-Sent Events, with a slow refresh as
// the fallback when the stream is not served (404: an older server) or
// cannot be opened: never faster than every 5 s, and only while the page
// is visible, so an open tab never becomes a polling storm. Without
// credentials or with a token the browser's EventSource reads the stream
// (the token as ?access_token=); with basic auth it is read with fetch(),
// which can send the Authorization header (sse_fetch.ts).

import { authorizationHeader, buildUrl, loadCredentials, type Query } from './client';
import { openFetchStream } from './sse_fetch';

export const FALLBACK_REFRESH_MS = 5000;

export interface LiveOptions {
  /** Handlers by SSE event name; data is parsed JSON (raw string if not JSON). */
  events: Record<string, (data: unknown) => void>;
  /** Called when the stream is unavailable, then every FALLBACK_REFRESH_MS while visible. */
  refresh?: () => void;
}

/** The stream URL, with a bearer token as ?access_token= (EventSource sends no headers). */
export function streamUrl(path: string, query?: Query): string {
  const c = loadCredentials();
  return buildUrl(path, { ...query, access_token: c?.kind === 'token' ? c.token : undefined });
}

/** Calls the handler named by the event with its data (parsed JSON, else the raw text). */
function deliver(opts: LiveOptions, name: string, raw: string): void {
  const handler = opts.events[name];
  if (!handler) return;
  let data: unknown = raw;
  try {
    data = JSON.parse(raw);
  } catch {
    /* keep the raw text */
  }
  handler(data);
}

/** Opens the stream; returns the function that closes it (and its fallback). */
export function subscribe(path: string, query: Query | undefined, opts: LiveOptions): () => void {
  let timer: ReturnType<typeof setInterval> | null = null;
  let close: (() => void) | null = null;
  const fallback = () => {
    if (timer || !opts.refresh) return;
    const refresh = opts.refresh;
    refresh();
    timer = setInterval(() => {
      if (typeof document === 'undefined' || document.visibilityState === 'visible') refresh();
    }, FALLBACK_REFRESH_MS);
  };
  const creds = loadCredentials();
  if (creds?.kind === 'basic' && typeof fetch !== 'undefined' && typeof ReadableStream !== 'undefined') {
    close = openFetchStream(buildUrl(path, query), {
      headers: { Authorization: authorizationHeader(creds) ?? '', 'X-Requested-With': 'ckron-ui' },
      onEvent: (e) => deliver(opts, e.event, e.data),
      onRefused: fallback,
    });
  } else if (typeof EventSource === 'undefined') {
    fallback();
  } else {
    const source = new EventSource(streamUrl(path, query));
    for (const name of Object.keys(opts.events)) {
      source.addEventListener(name, (e) => deliver(opts, name, (e as MessageEvent<string>).data));
    }
    source.onerror = () => {
      // CLOSED: the server refused the stream (404, 401, not SSE) and the
      // browser will not retry; CONNECTING: it reconnects by itself.
      if (source.readyState === EventSource.CLOSED) fallback();
    };
    close = () => source.close();
  }
  return () => {
    close?.();
    if (timer) clearInterval(timer);
  };
}

/** Coalesces bursts of events into at most one call per `ms`. */
export function throttle(fn: () => void, ms: number): () => void {
  let pending: ReturnType<typeof setTimeout> | null = null;
  return () => {
    if (pending) return;
    pending = setTimeout(() => {
      pending = null;
      fn();
    }, ms);
  };
}

// Live updates from the API's Server-Sent Events, with a slow refresh as
// the fallback when the stream is not served (404: an older server) or
// cannot be opened: never faster than every 5 s, and only while the page
// is visible, so an open tab never becomes a polling storm.

import { buildUrl, loadCredentials, type Query } from './client';

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

/** Opens the stream; returns the function that closes it (and its fallback). */
export function subscribe(path: string, query: Query | undefined, opts: LiveOptions): () => void {
  let timer: ReturnType<typeof setInterval> | null = null;
  let source: EventSource | null = null;
  const fallback = () => {
    if (timer || !opts.refresh) return;
    const refresh = opts.refresh;
    refresh();
    timer = setInterval(() => {
      if (typeof document === 'undefined' || document.visibilityState === 'visible') refresh();
    }, FALLBACK_REFRESH_MS);
  };
  if (typeof EventSource === 'undefined') {
    fallback();
  } else {
    source = new EventSource(streamUrl(path, query));
    for (const [name, handler] of Object.entries(opts.events)) {
      source.addEventListener(name, (e) => {
        const raw = (e as MessageEvent<string>).data;
        let data: unknown = raw;
        try {
          data = JSON.parse(raw);
        } catch {
          /* keep the raw text */
        }
        handler(data);
      });
    }
    source.onerror = () => {
      // CLOSED: the server refused the stream (404, 401, not SSE) and the
      // browser will not retry; CONNECTING: it reconnects by itself.
      if (source?.readyState === EventSource.CLOSED) fallback();
    };
  }
  return () => {
    source?.close();
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

// Server-Sent Events read with fetch() instead of EventSource, for when the
// stream needs an Authorization header: EventSource sends none, and basic
// credentials must not travel in the URL (a token may, as ?access_token=).
// The parser follows the SSE text format: `event:` and `data:` fields, a
// blank line ends an event, lines starting with ':' are comments (the
// server's pings), several `data:` lines join with '\n'.

export interface SseEvent {
  event: string;
  data: string;
}

/** Incremental parser: feed it text as it arrives, get complete events back. */
export class SseParser {
  private buffer = '';
  private event = '';
  private data: string[] = [];

  push(text: string): SseEvent[] {
    this.buffer += text;
    const out: SseEvent[] = [];
    for (;;) {
      const nl = this.buffer.search(/\r\n|\r|\n/);
      if (nl < 0) break;
      const eol = this.buffer.startsWith('\r\n', nl) ? 2 : 1;
      const line = this.buffer.slice(0, nl);
      this.buffer = this.buffer.slice(nl + eol);
      if (line === '') {
        if (this.data.length > 0) out.push({ event: this.event || 'message', data: this.data.join('\n') });
        this.event = '';
        this.data = [];
        continue;
      }
      if (line.startsWith(':')) continue;
      const colon = line.indexOf(':');
      const field = colon < 0 ? line : line.slice(0, colon);
      let value = colon < 0 ? '' : line.slice(colon + 1);
      if (value.startsWith(' ')) value = value.slice(1);
      if (field === 'event') this.event = value;
      else if (field === 'data') this.data.push(value);
    }
    return out;
  }
}

export const RECONNECT_MS = 3000;

export interface FetchStreamOptions {
  headers: Record<string, string>;
  onEvent: (e: SseEvent) => void;
  /** The server refused the stream (401, 404, not an event stream): stop and fall back. */
  onRefused: (status: number) => void;
}

/**
 * Reads the stream at `url` until closed; reconnects after RECONNECT_MS when
 * the connection drops (as EventSource does), stops for good on a refusal.
 * Returns the function that closes it.
 */
export function openFetchStream(url: string, opts: FetchStreamOptions): () => void {
  let closed = false;
  let controller: AbortController | null = null;
  let retry: ReturnType<typeof setTimeout> | null = null;

  const connect = async () => {
    controller = new AbortController();
    let res: Response;
    try {
      res = await fetch(url, {
        headers: { ...opts.headers, Accept: 'text/event-stream' },
        signal: controller.signal,
        cache: 'no-store',
      });
    } catch {
      if (!closed) retry = setTimeout(connect, RECONNECT_MS);
      return;
    }
    const type = res.headers.get('Content-Type') ?? '';
    if (!res.ok || !res.body || !type.startsWith('text/event-stream')) {
      if (!closed) opts.onRefused(res.status);
      return;
    }
    const reader = res.body.getReader();
    const decoder = new TextDecoder();
    const parser = new SseParser();
    try {
      for (;;) {
        const { done, value } = await reader.read();
        if (done || closed) break;
        for (const e of parser.push(decoder.decode(value, { stream: true }))) opts.onEvent(e);
      }
    } catch {
      /* the connection dropped: reconnect below */
    }
    if (!closed) retry = setTimeout(connect, RECONNECT_MS);
  };
  void connect();
  return () => {
    closed = true;
    controller?.abort();
    if (retry) clearTimeout(retry);
  };
}

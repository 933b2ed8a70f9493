// The typed API client: one fetch wrapper that turns every non-2xx answer
// into an ApiError carrying the API's own message (ckron always sends one),
// adds the stored credentials, and reports 401 so the UI can ask for them.

import type { DayStats, Execution, Job, Member, NextFires, RaftPeer } from './types';

export class ApiError extends Error {
  constructor(
    readonly status: number,
    message: string,
    /** The WWW-Authenticate scheme of a 401 ("Basic", "Bearer"), if any. */
    readonly authScheme = '',
  ) {
    super(message);
    this.name = 'ApiError';
  }
}

export type Credentials =
  | { kind: 'basic'; user: string; password: string }
  | { kind: 'token'; token: string };

const AUTH_KEY = 'ckron.auth';

export function loadCredentials(): Credentials | null {
  try {
    const raw = sessionStorage.getItem(AUTH_KEY);
    return raw ? (JSON.parse(raw) as Credentials) : null;
  } catch {
    return null;
  }
}

export function saveCredentials(c: Credentials | null): void {
  if (c) sessionStorage.setItem(AUTH_KEY, JSON.stringify(c));
  else sessionStorage.removeItem(AUTH_KEY);
}

export function authorizationHeader(c: Credentials | null): string | null {
  if (!c) return null;
  if (c.kind === 'token') return `Bearer ${c.token}`;
  const bytes = new TextEncoder().encode(`${c.user}:${c.password}`);
  return `Basic ${btoa(String.fromCharCode(...bytes))}`;
}

type UnauthorizedListener = (e: ApiError) => void;
const unauthorizedListeners = new Set<UnauthorizedListener>();
/** Called on every 401; returns the unsubscribe function. */
export function onUnauthorized(l: UnauthorizedListener): () => void {
  unauthorizedListeners.add(l);
  return () => unauthorizedListeners.delete(l);
}

export type Query = Record<string, string | number | boolean | undefined | null>;

export function buildUrl(path: string, query?: Query): string {
  const params = new URLSearchParams();
  for (const [k, v] of Object.entries(query ?? {})) {
    if (v !== undefined && v !== null && v !== '') params.append(k, String(v));
  }
  const qs = params.toString();
  return qs ? `${path}?${qs}` : path;
}

export interface Page<T> {
  items: T;
  total: number;
}

async function send(method: string, path: string, query?: Query, body?: unknown): Promise<Response> {
  // X-Requested-With: the server then answers 401 without a Basic challenge,
  // so the browser's own password box does not cover the UI's sign-in form.
  const headers: Record<string, string> = { Accept: 'application/json', 'X-Requested-With': 'ckron-ui' };
  const auth = authorizationHeader(loadCredentials());
  if (auth) headers.Authorization = auth;
  if (body !== undefined) headers['Content-Type'] = 'application/json';
  let res: Response;
  try {
    res = await fetch(buildUrl(path, query), {
      method,
      headers,
      body: body === undefined ? undefined : JSON.stringify(body),
    });
  } catch (e) {
    throw new ApiError(0, `The server did not answer (${e instanceof Error ? e.message : String(e)})`);
  }
  if (!res.ok) {
    let message = (await res.text().catch(() => '')).trim();
    if (!message) message = `${res.status} ${res.statusText}`.trim();
    const scheme = (res.headers.get('WWW-Authenticate') ?? '').split(' ')[0];
    const err = new ApiError(res.status, message, scheme);
    if (res.status === 401) unauthorizedListeners.forEach((l) => l(err));
    throw err;
  }
  return res;
}

async function json<T>(method: string, path: string, query?: Query, body?: unknown): Promise<T> {
  const res = await send(method, path, query, body);
  return (await res.json()) as T;
}

async function page<T>(path: string, query?: Query): Promise<Page<T[]>> {
  const res = await send('GET', path, query);
  const items = ((await res.json()) ?? []) as T[];
  const header = res.headers.get('X-Total-Count');
  return { items, total: header === null ? items.length : Number(header) };
}

const enc = encodeURIComponent;

export interface JobQuery {
  start?: number;
  end?: number;
  sort?: string;
  order?: 'ASC' | 'DESC';
  q?: string;
  status?: string;
  disabled?: '' | 'true' | 'false';
  metadata?: Record<string, string>;
  tags?: Record<string, string>;
}

export const api = {
  jobs(q: JobQuery = {}): Promise<Page<Job[]>> {
    const query: Query = {
      _start: q.start,
      _end: q.end,
      _sort: q.sort,
      _order: q.order,
      q: q.q,
      status: q.status,
      disabled: q.disabled,
    };
    for (const [k, v] of Object.entries(q.metadata ?? {})) query[`metadata[${k}]`] = v;
    for (const [k, v] of Object.entries(q.tags ?? {})) query[`tags[${k}]`] = v;
    return page<Job>('/v1/jobs', query);
  },
  job: (name: string) => json<Job>('GET', `/v1/jobs/${enc(name)}`),
  /** The job's next fire times, computed by the server (its zone, DST, @every phase). */
  nextFires: (name: string, count = 5) => json<NextFires>('GET', `/v1/jobs/${enc(name)}/next`, { count }),
  /** The next fire times of an unsaved schedule (the form's preview); 400 names schedule/timezone. */
  previewSchedule: (schedule: string, timezone: string, name = '', count = 5) =>
    json<NextFires>('GET', '/v1/schedule/next', { schedule, timezone, name, count }),
  saveJob: (job: Job) => json<Job>('POST', '/v1/jobs', undefined, job),
  deleteJob: (name: string) => json<Job>('DELETE', `/v1/jobs/${enc(name)}`),
  runJob: (name: string, force = false) =>
    json<Job>('POST', `/v1/jobs/${enc(name)}/run`, force ? { force: 'true' } : undefined),
  toggleJob: (name: string) => json<Job>('POST', `/v1/jobs/${enc(name)}/toggle`),
  executions: (name: string, q: { start?: number; end?: number; outputSizeLimit?: number } = {}) =>
    page<Execution>(`/v1/jobs/${enc(name)}/executions`, {
      _start: q.start,
      _end: q.end,
      output_size_limit: q.outputSizeLimit,
    }),
  execution: (name: string, id: string) =>
    json<Execution>('GET', `/v1/jobs/${enc(name)}/executions/${enc(id)}`),
  clearExecutions: (name: string) => json<Job>('DELETE', `/v1/jobs/${enc(name)}/executions`),
  cancelExecution: (name: string, id: string) =>
    json<Execution>('POST', `/v1/jobs/${enc(name)}/executions/${enc(id)}/cancel`),
  busy: () => page<Execution>('/v1/busy'),
  members: () => page<Member>('/v1/members'),
  raftPeers: () => json<RaftPeer[]>('GET', '/v1/raft/peers'),
  leader: async (): Promise<Member | null> => {
    try {
      return await json<Member>('GET', '/v1/leader');
    } catch (e) {
      if (e instanceof ApiError && e.status === 404) return null;
      throw e;
    }
  },
  stats: (days = 14) => json<{ stats: DayStats[] }>('GET', '/v1/stats', { days }),
  paused: () => json<{ paused: boolean }>('GET', '/v1/pause'),
  setPaused: (paused: boolean) => json<{ paused: boolean }>('POST', paused ? '/v1/pause' : '/v1/unpause'),
  agent: () => json<{ agent: { name: string; version: string } }>('GET', '/v1'),
};

/** The job field an API validation message is about, if it names one. */
export function fieldOfError(message: string): string | null {
  const m = message
    .replace(/^Unable to parse payload:\s*/, '')
    .replace(/^Job validation failed:\s*/, '');
  const quoted = /^field "([a-z_]+)/.exec(m);
  if (quoted) return quoted[1];
  const prefixed = /^([a-z_]+)[.:]/.exec(m);
  if (prefixed && KNOWN_FIELDS.has(prefixed[1])) return prefixed[1];
  if (/^name\b/.test(m)) return 'name';
  if (/schedule/.test(m)) return 'schedule';
  if (/time zone|timezone/.test(m)) return 'timezone';
  if (/parent/.test(m)) return 'parent_job';
  for (const f of KNOWN_FIELDS) {
    if (new RegExp(`\\b${f}\\b`).test(m)) return f;
  }
  return null;
}

const KNOWN_FIELDS = new Set([
  'name',
  'displayname',
  'timezone',
  'schedule',
  'owner',
  'owner_email',
  'disabled',
  'tags',
  'metadata',
  'retries',
  'parent_job',
  'processors',
  'concurrency',
  'executor_config',
  'executor',
  'starts_at',
  'expires_at',
  'misfire_policy',
  'starting_deadline',
  'retry_backoff',
]);

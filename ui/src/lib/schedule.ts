// Times and schedules as the UI shows them.

const ZERO_TIME = /^0001-01-01T/;

/** Parses an API time; null for null, "" and Go's zero time ("none"). */
export function parseTime(s: string | null | undefined): Date | null {
  if (!s || ZERO_TIME.test(s)) return null;
  const d = new Date(s);
  return Number.isNaN(d.getTime()) ? null : d;
}

/** "in 12 s", "3 min ago", "in 2 h", "5 d ago"; "now" within a second. */
export function relativeTime(when: Date, now: Date): string {
  const diff = Math.round((when.getTime() - now.getTime()) / 1000);
  const abs = Math.abs(diff);
  if (abs < 1) return 'now';
  let text: string;
  if (abs < 60) text = `${abs} s`;
  else if (abs < 3600) text = `${Math.floor(abs / 60)} min`;
  else if (abs < 86400) text = `${Math.floor(abs / 3600)} h`;
  else text = `${Math.floor(abs / 86400)} d`;
  return diff > 0 ? `in ${text}` : `${text} ago`;
}

/** The zone a job's times are shown in: its own, else UTC (the server's). */
export function jobZone(timezone: string | undefined): string {
  return timezone && timezone.trim() ? timezone : 'UTC';
}

/** "2026-11-27 14:05:00 CET" in `zone`; falls back to UTC for an unknown zone. */
export function formatInZone(d: Date, zone: string): string {
  const make = (timeZone: string) =>
    new Intl.DateTimeFormat('en-CA', {
      timeZone,
      year: 'numeric',
      month: '2-digit',
      day: '2-digit',
      hour: '2-digit',
      minute: '2-digit',
      second: '2-digit',
      hourCycle: 'h23',
      timeZoneName: 'short',
    });
  let fmt: Intl.DateTimeFormat;
  try {
    fmt = make(zone);
  } catch {
    fmt = make('UTC');
  }
  const parts = Object.fromEntries(fmt.formatToParts(d).map((p) => [p.type, p.value]));
  return `${parts.year}-${parts.month}-${parts.day} ${parts.hour}:${parts.minute}:${parts.second} ${parts.timeZoneName}`;
}

/** "1.2 s", "3 min 4 s", "2 h 5 min"; running executions measure to `now`. */
export function formatDuration(ms: number): string {
  if (ms < 0) ms = 0;
  if (ms < 1000) return `${Math.round(ms)} ms`;
  const s = ms / 1000;
  if (s < 60) return `${s.toFixed(s < 10 ? 1 : 0)} s`;
  const m = Math.floor(s / 60);
  if (m < 60) return `${m} min ${Math.floor(s % 60)} s`;
  return `${Math.floor(m / 60)} h ${m % 60} min`;
}

const DESCRIPTORS: Record<string, string> = {
  '@yearly': 'once a year, at midnight on 1 January',
  '@annually': 'once a year, at midnight on 1 January',
  '@monthly': 'once a month, at midnight on the 1st',
  '@weekly': 'once a week, at midnight on Sunday',
  '@daily': 'once a day, at midnight',
  '@midnight': 'once a day, at midnight',
  '@hourly': 'once an hour, on the hour',
  '@minutely': 'once a minute',
  '@manually': 'only when run by hand',
};

const DAYS = ['Sunday', 'Monday', 'Tuesday', 'Wednesday', 'Thursday', 'Friday', 'Saturday'];

function field(value: string, unit: string, names?: string[]): string | null {
  if (value === '*' || value === '?') return null;
  const step = /^\*\/(\d+)$/.exec(value);
  if (step) return `every ${step[1]} ${unit}s`;
  const name = (v: string) => (names && /^\d+$/.test(v) ? (names[Number(v) % 7] ?? v) : v);
  if (/^\d+$/.test(value)) return `${unit} ${name(value)}`;
  return `${unit}s ${value.split(',').map(name).join(', ')}`;
}

/**
 * The schedule in words, for the common shapes: descriptors, "@every d",
 * "@at t" and 5/6-field cron specs (Dkron's are 6 fields, seconds first).
 * Other specs come back as they are.
 */
export function describeSchedule(spec: string): string {
  const s = spec.trim();
  if (DESCRIPTORS[s]) return DESCRIPTORS[s];
  if (s.startsWith('@every ')) return `every ${s.slice(7).trim()}`;
  if (s.startsWith('@at ')) return `once, at ${s.slice(4).trim()}`;
  let parts = s.split(/\s+/);
  if (parts.length === 5) parts = ['0', ...parts];
  if (parts.length !== 6) return s;
  const [sec, min, hour, dom, mon, dow] = parts;
  if (/^\d+$/.test(sec) && /^\d+$/.test(min) && /^\d+$/.test(hour) && [dom, mon, dow].every((f) => f === '*' || f === '?')) {
    const pad = (x: string) => x.padStart(2, '0');
    return `every day at ${pad(hour)}:${pad(min)}:${pad(sec)}`;
  }
  if (sec === '*' && [min, hour, dom, mon, dow].every((f) => f === '*' || f === '?')) return 'every second';
  if (/^\d+$/.test(sec) && [min, hour, dom, mon, dow].every((f) => f === '*' || f === '?')) {
    return sec === '0' ? 'every minute' : `every minute, at second ${sec}`;
  }
  const words = [
    field(sec, 'second'),
    field(min, 'minute'),
    field(hour, 'hour'),
    field(dom, 'day-of-month'),
    field(mon, 'month'),
    field(dow, 'weekday', DAYS),
  ].filter(Boolean);
  return words.length ? words.join(', ') : 'every second';
}

import type { NextFires } from '../api/types';
import { formatInZone, parseTime, relativeTime } from '../lib/schedule';

/**
 * Fire times as the server computed them (GET /v1/jobs/{job}/next or
 * /v1/schedule/next): each in the schedule's zone with its relative form
 * ("in 12 s"); the server's reason when there are fewer than asked.
 */
export function FireTimes({ fires, now, label }: { fires: NextFires; now: Date; label: string }) {
  const times = fires.next.flatMap((text) => {
    const d = parseTime(text);
    return d ? [{ text, d }] : [];
  });
  return (
    <div className="fire-times">
      {times.length > 0 ? (
        <ol aria-label={label}>
          {times.map(({ text, d }) => (
            <li key={text}>
              <time dateTime={text}>{formatInZone(d, fires.timezone || 'UTC')}</time>
              <span className="muted small"> · {relativeTime(d, now)}</span>
            </li>
          ))}
        </ol>
      ) : (
        <p className="muted">No upcoming fire{fires.reason ? `: ${fires.reason}` : ''}.</p>
      )}
      {times.length > 0 && fires.reason && <p className="muted small">Then none: {fires.reason}.</p>}
    </div>
  );
}

import { useId, type ReactNode } from 'react';
import type { ApiError } from '../api/client';
import { formatInZone, jobZone, parseTime, relativeTime } from '../lib/schedule';

/** An API error as the API worded it, announced to screen readers. */
export function ErrorBox({ error, title }: { error: ApiError | null; title?: string }) {
  if (!error) return null;
  return (
    <div className="error" role="alert">
      {title && <strong>{title}: </strong>}
      {error.message}
    </div>
  );
}

export function StatusBadge({ status }: { status: string | undefined }) {
  const s = status || 'untriggered';
  return <span className={`badge badge-${s}`}>{s.replace('_', ' ')}</span>;
}

export function ExecutionStatus({ running, success }: { running: boolean; success: boolean }) {
  if (running) return <span className="badge badge-running">running</span>;
  return <span className={`badge badge-${success ? 'success' : 'failed'}`}>{success ? 'success' : 'failed'}</span>;
}

/** A time in `zone` with the relative form ("in 12 s") beside it; "—" for none. */
export function Time({ value, zone, now }: { value: string | null | undefined; zone?: string; now: Date }) {
  const d = parseTime(value);
  if (!d) return <span aria-label="none">—</span>;
  return (
    <time dateTime={d.toISOString()} title={formatInZone(d, jobZone(zone))}>
      {relativeTime(d, now)}
      <span className="muted small"> · {formatInZone(d, jobZone(zone))}</span>
    </time>
  );
}

export function Loading({ when }: { when: boolean }) {
  return when ? (
    <p className="muted" role="status">
      Loading…
    </p>
  ) : null;
}

export function Section({ title, children, actions }: { title: string; children: ReactNode; actions?: ReactNode }) {
  const id = useId();
  return (
    <section aria-labelledby={id} className="card">
      <div className="card-head">
        <h2 id={id}>{title}</h2>
        {actions && <div className="actions">{actions}</div>}
      </div>
      {children}
    </section>
  );
}

import type { DayStats } from '../api/types';

/**
 * Fires per day as stacked SVG bars (successes below, failures above), with
 * a table-equivalent description for screen readers.
 */
export function StatsChart({ stats }: { stats: DayStats[] }) {
  const width = 640;
  const height = 160;
  const pad = 24;
  const max = Math.max(1, ...stats.map((d) => d.success_count + d.failed_count));
  const bw = stats.length ? (width - pad) / stats.length : 0;
  const y = (n: number) => ((height - pad) * n) / max;
  const total = stats.reduce(
    (a, d) => ({ ok: a.ok + d.success_count, failed: a.failed + d.failed_count }),
    { ok: 0, failed: 0 },
  );
  return (
    <figure className="chart">
      <svg viewBox={`0 0 ${width} ${height}`} role="img" aria-label={`Executions per day over ${stats.length} days: ${total.ok} succeeded, ${total.failed} failed`}>
        <line x1={pad} y1={height - pad} x2={width} y2={height - pad} className="axis" />
        <text x={0} y={12} className="tick">
          {max}
        </text>
        <text x={0} y={height - pad} className="tick">
          0
        </text>
        {stats.map((d, i) => {
          const x = pad + i * bw + 1;
          const hs = y(d.success_count);
          const hf = y(d.failed_count);
          return (
            <g key={d.date}>
              <title>{`${d.date}: ${d.success_count} succeeded, ${d.failed_count} failed`}</title>
              <rect x={x} y={height - pad - hs} width={Math.max(1, bw - 2)} height={hs} className="bar-ok" />
              <rect x={x} y={height - pad - hs - hf} width={Math.max(1, bw - 2)} height={hf} className="bar-failed" />
              {(i === 0 || i === stats.length - 1) && (
                <text x={x} y={height - 6} className="tick">
                  {d.date.slice(5, 10)}
                </text>
              )}
            </g>
          );
        })}
      </svg>
      <figcaption className="legend">
        <span className="swatch bar-ok" aria-hidden="true" /> succeeded ({total.ok})
        <span className="swatch bar-failed" aria-hidden="true" /> failed ({total.failed})
      </figcaption>
    </figure>
  );
}

/**
 * A small stacked bar chart in SVG (no canvas, no inline style: the CSP allows neither inline
 * styles nor eval). The same numbers are in a table next to it for screen readers and copying.
 */
export interface Series {
  label: string;
  className: string;
  values: number[];
}

/** A horizontal line across the chart (a budget), drawn dashed and named in the caption. */
export interface Limit {
  label: string;
  value: number;
}

export function BarChart({
  title,
  labels,
  series,
  limit,
}: {
  title: string;
  labels: string[];
  series: Series[];
  limit?: Limit;
}) {
  const width = 720;
  const height = 180;
  const totals = labels.map((_, i) => series.reduce((sum, s) => sum + (s.values[i] ?? 0), 0));
  const max = Math.max(1, limit?.value ?? 0, ...totals);
  const slot = width / Math.max(1, labels.length);
  const bar = Math.max(2, slot * 0.7);
  return (
    <figure class="chart">
      <svg viewBox={`0 0 ${width} ${height + 20}`} role="img" aria-label={title}>
        {labels.map((label, i) => {
          let y = height;
          return (
            <g key={label}>
              {series.map((s) => {
                const h = ((s.values[i] ?? 0) / max) * height;
                y -= h;
                return (
                  <rect key={s.label} class={s.className} x={i * slot + (slot - bar) / 2} y={y} width={bar} height={h}>
                    <title>{`${label}: ${s.values[i] ?? 0} ${s.label}`}</title>
                  </rect>
                );
              })}
            </g>
          );
        })}
        <line x1="0" y1={height} x2={width} y2={height} class="axis" />
        {limit && (
          <line
            x1="0"
            y1={height - (limit.value / max) * height}
            x2={width}
            y2={height - (limit.value / max) * height}
            class="limit-line"
          >
            <title>{`${limit.label}: ${limit.value}`}</title>
          </line>
        )}
        <text x="0" y={height + 16} class="tick">
          {labels[0]}
        </text>
        <text x={width} y={height + 16} class="tick end">
          {labels[labels.length - 1]}
        </text>
      </svg>
      <figcaption>
        {title} ({series.map((s) => s.label).join(', ')}; highest {Math.max(0, ...totals)}
        {limit ? `; dashed line: ${limit.label} ${limit.value}` : ''})
      </figcaption>
    </figure>
  );
}

// A small line of recent values (e.g. a topic's messages per second), with the latest
// value and the peak in words for screen readers.
export function Sparkline({
  values,
  label,
  format = String,
  width = 160,
  height = 36,
}: {
  values: number[];
  label: string;
  format?: (value: number) => string;
  width?: number;
  height?: number;
}) {
  const peak = Math.max(0, ...values);
  const last = values.at(-1);
  const description =
    last === undefined ? `${label}: no samples yet` : `${label}: now ${format(last)}, peak ${format(peak)}`;
  const step = values.length > 1 ? width / (values.length - 1) : 0;
  const y = (v: number) => (peak === 0 ? height - 1 : height - 1 - (v / peak) * (height - 2));
  const points = values.map((v, i) => `${(i * step).toFixed(1)},${y(v).toFixed(1)}`).join(" ");
  return (
    <svg
      role="img"
      aria-label={description}
      width={width}
      height={height}
      viewBox={`0 0 ${width} ${height}`}
      className="overflow-visible text-indigo-600"
      data-testid="sparkline"
    >
      <title>{description}</title>
      <line x1={0} x2={width} y1={height - 0.5} y2={height - 0.5} className="stroke-slate-200" strokeWidth={1} />
      {values.length > 1 && (
        <polyline points={points} fill="none" stroke="currentColor" strokeWidth={1.5} strokeLinejoin="round" />
      )}
      {values.length === 1 && <circle cx={0} cy={y(values[0] ?? 0)} r={2} fill="currentColor" />}
    </svg>
  );
}

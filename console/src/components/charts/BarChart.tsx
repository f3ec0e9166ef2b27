// A grouped bar chart drawn as inline SVG (no chart library): a value axis with round
// ticks, one group of bars per category, axis titles, a legend, an SVG <title>/<desc>
// and a visually hidden data table with the exact figures for screen readers.
import { useEffect, useId, useRef, useState } from "react";

import { labelEvery, niceTicks } from "./scale";

export interface Series {
  name: string;
  /** A CSS colour for the bars and the legend swatch. */
  color: string;
  values: number[];
}

export interface BarChartProps {
  title: string;
  /** One sentence for assistive technology, e.g. what the chart compares. */
  description?: string;
  categories: string[];
  /** Display text of each category (axis labels, table rows); defaults to the category. */
  categoryLabel?: (category: string) => string;
  series: Series[];
  /** Short axis labels (e.g. 1.2K). */
  formatTick?: (value: number) => string;
  /** Exact figures (tooltips and the data table). */
  formatValue?: (value: number) => string;
  xLabel: string;
  yLabel: string;
  height?: number;
}

/** The width of an element, following resizes (a fallback where ResizeObserver is missing). */
function useWidth(fallback: number) {
  const ref = useRef<HTMLDivElement>(null);
  const [width, setWidth] = useState(fallback);
  useEffect(() => {
    const element = ref.current;
    if (!element || typeof ResizeObserver === "undefined") return;
    const observer = new ResizeObserver(([entry]) => {
      const measured = Math.floor(entry?.contentRect.width ?? 0);
      if (measured > 0) setWidth(measured);
    });
    observer.observe(element);
    return () => observer.disconnect();
  }, []);
  return [ref, width] as const;
}

const MARGIN = { top: 12, right: 8, bottom: 44, left: 56 };

export function BarChart({
  title,
  description,
  categories,
  categoryLabel = (c) => c,
  series,
  formatTick = String,
  formatValue = String,
  xLabel,
  yLabel,
  height = 240,
}: BarChartProps) {
  const id = useId();
  const [ref, width] = useWidth(640);
  const plotWidth = Math.max(1, width - MARGIN.left - MARGIN.right);
  const plotHeight = height - MARGIN.top - MARGIN.bottom;
  const max = Math.max(0, ...series.flatMap((s) => s.values));
  const ticks = niceTicks(max);
  const top = ticks[ticks.length - 1] ?? 1;
  const y = (value: number) => MARGIN.top + plotHeight - (value / top) * plotHeight;
  const band = plotWidth / Math.max(1, categories.length);
  const groupPad = Math.min(8, band * 0.2);
  const barWidth = Math.max(1, (band - groupPad * 2) / Math.max(1, series.length));
  const every = labelEvery(categories.length, plotWidth);

  return (
    <figure className="flex flex-col gap-2">
      <div ref={ref} className="w-full">
        <svg
          role="img"
          aria-labelledby={`${id}-title ${id}-desc`}
          width={width}
          height={height}
          viewBox={`0 0 ${width} ${height}`}
          className="block max-w-full text-slate-500"
        >
          <title id={`${id}-title`}>{title}</title>
          <desc id={`${id}-desc`}>
            {description ??
              `${series.map((s) => s.name).join(" and ")} per ${xLabel.toLowerCase()}; the table below has the figures.`}
          </desc>
          {ticks.map((tick) => (
            <g key={tick}>
              <line
                x1={MARGIN.left}
                x2={MARGIN.left + plotWidth}
                y1={y(tick)}
                y2={y(tick)}
                stroke="currentColor"
                strokeOpacity={tick === 0 ? 0.6 : 0.15}
              />
              <text x={MARGIN.left - 6} y={y(tick)} dy="0.32em" textAnchor="end" fontSize={11} fill="currentColor">
                {formatTick(tick)}
              </text>
            </g>
          ))}
          {categories.map((category, index) => {
            const x0 = MARGIN.left + index * band + groupPad;
            return (
              <g key={category}>
                {series.map((s, j) => {
                  const value = s.values[index] ?? 0;
                  const barTop = y(value);
                  return (
                    <rect
                      key={s.name}
                      x={x0 + j * barWidth}
                      y={barTop}
                      width={Math.max(1, barWidth - 1)}
                      height={Math.max(0, MARGIN.top + plotHeight - barTop)}
                      fill={s.color}
                    >
                      <title>{`${categoryLabel(category)} · ${s.name}: ${formatValue(value)}`}</title>
                    </rect>
                  );
                })}
                {index % every === 0 && (
                  <text
                    x={MARGIN.left + index * band + band / 2}
                    y={MARGIN.top + plotHeight + 16}
                    textAnchor="middle"
                    fontSize={11}
                    fill="currentColor"
                  >
                    {categoryLabel(category)}
                  </text>
                )}
              </g>
            );
          })}
          <text
            x={MARGIN.left + plotWidth / 2}
            y={height - 6}
            textAnchor="middle"
            fontSize={12}
            fill="currentColor"
          >
            {xLabel}
          </text>
          <text
            transform={`translate(14 ${MARGIN.top + plotHeight / 2}) rotate(-90)`}
            textAnchor="middle"
            fontSize={12}
            fill="currentColor"
          >
            {yLabel}
          </text>
        </svg>
      </div>
      <figcaption>
        <ul className="flex flex-wrap gap-4 text-xs text-slate-700" aria-label={`Legend: ${title}`}>
          {series.map((s) => (
            <li key={s.name} className="flex items-center gap-1">
              <span aria-hidden="true" className="inline-block h-3 w-3 rounded-sm" style={{ background: s.color }} />
              {s.name}
            </li>
          ))}
        </ul>
      </figcaption>
      <table className="sr-only">
        <caption>{title}</caption>
        <thead>
          <tr>
            <th scope="col">{xLabel}</th>
            {series.map((s) => (
              <th key={s.name} scope="col">
                {s.name}
              </th>
            ))}
          </tr>
        </thead>
        <tbody>
          {categories.map((category, index) => (
            <tr key={category}>
              <th scope="row">{categoryLabel(category)}</th>
              {series.map((s) => (
                <td key={s.name}>{formatValue(s.values[index] ?? 0)}</td>
              ))}
            </tr>
          ))}
        </tbody>
      </table>
    </figure>
  );
}

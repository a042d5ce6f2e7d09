import uPlot from "uplot";

// Shared looks of the console's uPlot charts, in the app's colours and type.

export const COLORS = ["#1f4e79", "#b5651d", "#1e6b3a", "#7a3e9d", "#a4262c", "#2a7f8f", "#5b6472"];
export const INK = "#1c2430";
export const MUTED = "#5b6472";
export const GRID = "#e8e4da";
const FONT = '12px system-ui, -apple-system, "Segoe UI", Roboto, sans-serif';

export const axis = (o: uPlot.Axis = {}): uPlot.Axis => ({
  stroke: MUTED,
  font: FONT,
  grid: { stroke: GRID, width: 1 },
  ticks: { stroke: GRID, width: 1 },
  ...o,
});

/** Bars as a share of the space per x value, at most `max` CSS pixels wide. */
export const bars = (factor = 0.7, max = 48) => uPlot.paths.bars!({ size: [factor, max], align: 0 });

/** A categorical x axis: values 0..n-1 shown as `labels`. */
export function categoryAxis(labels: string[]): { scale: uPlot.Scale; axis: uPlot.Axis } {
  return {
    // A fixed range: uPlot would widen a single value's range on one side only.
    scale: { time: false, range: () => [-0.5, labels.length - 0.5] },
    axis: axis({
      splits: () => labels.map((_, i) => i),
      values: (_u, splits) => splits.map((i) => labels[i] ?? ""),
      grid: { show: false },
    }),
  };
}

export const secondsOf = (iso: string) => Math.floor(Date.parse(iso) / 1000);

export const msValue = (_u: uPlot, v: number | null) => (v == null ? "—" : v < 1000 ? `${Math.round(v)} ms` : `${(v / 1000).toFixed(2)} s`);

import uPlot from "uplot";
import { theme } from "$lib/theme.svelte";

// Shared looks of the console's uPlot charts, in the app's colours and type. A canvas takes no
// CSS variables: each theme's colours are here, and charts are drawn again when the theme changes.

const LIGHT = {
  series: ["#1f4e79", "#b5651d", "#1e6b3a", "#7a3e9d", "#a4262c", "#2a7f8f", "#5b6472"],
  /** A bar under a line, and the wide bar behind the first series' narrow one. */
  under: "rgba(31, 78, 121, 0.35)",
  behind: { stroke: "#8fb0cf", fill: "#c9d9ea" },
  muted: "#5b6472",
  grid: "#e8e4da",
};
const DARK: typeof LIGHT = {
  series: ["#8dbbea", "#e3a66a", "#82d39d", "#c8a2e6", "#f39ca1", "#6ccbd9", "#a7b0bd"],
  under: "rgba(141, 187, 234, 0.35)",
  behind: { stroke: "#4f6f8f", fill: "#2c4660" },
  muted: "#a7b0bd",
  grid: "#333a45",
};

/** The colours of the theme in effect; read in a $derived, it draws the chart again on a change. */
export const chartColors = () => (theme.dark ? DARK : LIGHT);
const FONT = '12px system-ui, -apple-system, "Segoe UI", Roboto, sans-serif';

export const axis = (o: uPlot.Axis = {}): uPlot.Axis => ({
  stroke: chartColors().muted,
  font: FONT,
  grid: { stroke: chartColors().grid, width: 1 },
  ticks: { stroke: chartColors().grid, width: 1 },
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

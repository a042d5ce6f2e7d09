// parse-prometheus-text-format ships no types.
declare module "parse-prometheus-text-format" {
  /** The metric families of a Prometheus text exposition; throws on what Prometheus would reject. */
  export default function parsePrometheusTextFormat(text: string): Array<{
    name: string;
    help: string;
    type: "COUNTER" | "GAUGE" | "HISTOGRAM" | "SUMMARY" | "UNTYPED";
    metrics: Array<{ labels?: Record<string, string>; value?: string; buckets?: Record<string, string>; count?: string; sum?: string }>;
  }>;
}

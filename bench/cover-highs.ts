/**
 * The exact reference for the learning-set benchmark and tests: the set-cover integer program
 * solved by HiGHS (npm `highs`, MIT, a devDependency: WebAssembly, loaded asynchronously).
 */
import highsLoader from "highs";

type Highs = Awaited<ReturnType<typeof highsLoader>>;
let loaded: Promise<Highs> | undefined;
export const loadHighs = () => (loaded ??= highsLoader());

export interface HighsCover {
  cover: number[];
  status: string;
  objective: number;
  ms: number;
}

/** min Σ x_j s.t. every coverable element is in some chosen set, x binary. */
export function coverLp(sets: readonly (readonly number[])[]): string {
  const rows = new Map<number, number[]>();
  sets.forEach((s, j) => {
    for (const e of s) {
      let r = rows.get(e);
      if (!r) rows.set(e, (r = []));
      r.push(j);
    }
  });
  const used = sets.map((_, j) => j).filter((j) => sets[j]!.length > 0);
  const lines = ["Minimize", ` obj: ${used.map((j) => `x${j}`).join(" + ") || "0 x0"}`, "Subject To"];
  for (const [e, r] of [...rows].sort((a, b) => a[0] - b[0])) lines.push(` c${e}: ${r.map((j) => `x${j}`).join(" + ")} >= 1`);
  lines.push("Binary", ...used.map((j) => ` x${j}`), "End");
  return lines.join("\n");
}

export async function highsCover(sets: readonly (readonly number[])[], timeLimitS = 600): Promise<HighsCover> {
  const highs = await loadHighs();
  const lp = coverLp(sets);
  const t = performance.now();
  const sol = highs.solve(lp, { time_limit: timeLimitS, output_flag: false } as never);
  const ms = performance.now() - t;
  const cover: number[] = [];
  for (const [name, col] of Object.entries(sol.Columns)) {
    if ((col as { Primal: number }).Primal > 0.5) cover.push(Number(name.slice(1)));
  }
  return { cover: cover.sort((a, b) => a - b), status: sol.Status, objective: sol.ObjectiveValue, ms };
}

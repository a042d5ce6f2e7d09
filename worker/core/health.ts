/** "ok" if `f` answers, "error" if it throws: how D1 and R2 are probed. */
export async function probe(f: () => Promise<unknown>): Promise<"ok" | "error"> {
  try {
    await f();
    return "ok";
  } catch {
    return "error";
  }
}

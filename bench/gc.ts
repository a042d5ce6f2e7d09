import v8 from "node:v8";
import vm from "node:vm";

/**
 * A full collection on demand, as under `node --expose-gc` (the flag set at run time, `gc` taken
 * from a fresh context): heap readings after it are what is kept, not garbage waiting for a GC.
 */
export function fullGc(): () => void {
  v8.setFlagsFromString("--expose-gc");
  return vm.runInNewContext("gc") as () => void;
}

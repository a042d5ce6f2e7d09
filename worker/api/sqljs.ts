/**
 * sql.js (SQLite compiled to wasm, MIT) in the Worker, for the .apkg export: its browser build
 * (the Node one takes workerd's `process` for Node's and reaches for `require`), its wasm bundled
 * as a module by wrangler (~690 kB, ~300 kB gzip) and instantiated by hand, as a Worker may not
 * fetch nor compile code. Loaded on the first .apkg asked for, then kept for the isolate's life.
 */
import type { SqlJsStatic } from "sql.js";
import initSqlJs from "sql.js/dist/sql-wasm-browser.js";
import wasm from "sql.js/dist/sql-wasm-browser.wasm";

let loaded: Promise<SqlJsStatic> | undefined;

export function loadSqlJs(): Promise<SqlJsStatic> {
  if (loaded) return loaded;
  // The browser build, seeing a worker, reads `self.location.href` (where its wasm would be),
  // which workerd has not: a stand-in for the time of the call (the wasm comes from instantiateWasm).
  const g = globalThis as { location?: { href: string } };
  const shim = g.location === undefined;
  if (shim) g.location = { href: "https://sql-js.invalid/" };
  loaded = initSqlJs({
    instantiateWasm(imports, done) {
      WebAssembly.instantiate(wasm, imports).then((instance) => done(instance));
      return {};
    },
  })
    .catch((err: unknown) => {
      loaded = undefined;
      throw err;
    })
    .finally(() => {
      if (shim) delete g.location;
    });
  return loaded;
}

/**
 * sql.js (SQLite compiled to wasm, MIT) in the Worker, for the .apkg export: its browser build
 * (the Node one takes workerd's `process` for Node's and reaches for `require`), its wasm bundled
 * as a module by wrangler (~690 kB, ~0.3 MB gzip in the bundle) and instantiated by hand, as a
 * Worker may not fetch nor compile code.
 *
 * sql.js keeps its one instance (its own cache): loaded on the first .apkg asked for, it holds a
 * 22 MB wasm memory for the isolate's life. That memory does not grow with the package (measured
 * up to 60,000 notes: the database file lives in Emscripten's MEMFS, JS buffers freed after the
 * export), so an isolate that made one .apkg keeps ~22 MB, never more.
 */
import { ApiError } from "../core/errors";
import type { SqlJsStatic } from "sql.js";
import initSqlJs from "sql.js/dist/sql-wasm-browser.js";
import wasm from "sql.js/dist/sql-wasm-browser.wasm";

/**
 * Most notes of an .apkg made in the Worker. Measured (Node 24, sql.js 1.17): 30,000 notes of
 * 16-word sentences peak at ~45 MB of buffers (the 22 MB wasm memory included) and ~17 MB of heap
 * beside the result itself; 60,000 at ~88 MB and ~28 MB, too close to a Worker's 128 MB with the
 * result loaded.
 * About a 1,000-page novel's sentences fit; beyond, the anki text file (same notes and GUIDs) or
 * the CLI's `result ID --format apkg`, which builds the same package on the reader's machine.
 */
export const MAX_APKG_NOTES = 30_000;

export function checkApkgSize(notes: number): void {
  if (notes > MAX_APKG_NOTES) {
    throw new ApiError(
      413,
      "export_too_large",
      `${notes} sentences: an Anki package is made here up to ${MAX_APKG_NOTES}. Export format=anki (the same notes, for File → Import) ` +
        "or build the package on your machine with the CLI: `npm run -s cli -- result ID --format apkg > book.apkg`.",
    );
  }
}

export function loadSqlJs(): Promise<SqlJsStatic> {
  // The browser build, seeing a worker, reads `self.location.href` (where its wasm would be) as it
  // starts, synchronously, which workerd has not: a stand-in for that call only (the wasm comes
  // from instantiateWasm).
  const g = globalThis as { location?: { href: string } };
  const shim = g.location === undefined;
  if (shim) g.location = { href: "https://sql-js.invalid/" };
  try {
    return initSqlJs({
      instantiateWasm(imports, done) {
        WebAssembly.instantiate(wasm, imports).then((instance) => done(instance));
        return {};
      },
    });
  } finally {
    if (shim) delete g.location;
  }
}

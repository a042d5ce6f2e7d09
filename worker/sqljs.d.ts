// sql.js's browser build (worker/pipeline/sqljs.ts) has the types of its package's main entry.
declare module "sql.js/dist/sql-wasm-browser.js" {
  import initSqlJs from "sql.js";
  export default initSqlJs;
}

/**
 * One-way layers (npm run check:deps, in CI): no cycles; `worker/api/` is the top, imported by
 * nothing but the Worker's entry file; the pure rooms (pipeline, lang, schema) import no Worker room.
 * docs/architecture.md draws the layers.
 * @type {import('dependency-cruiser').IConfiguration}
 */
module.exports = {
  forbidden: [
    {
      name: "no-circular",
      severity: "error",
      comment: "A cycle ties rooms together: move what both need down a layer.",
      from: {},
      to: { circular: true },
    },
    {
      name: "api-is-the-top",
      severity: "error",
      comment: "worker/api/ (routes) is the top layer: only worker/index.ts imports it.",
      from: { path: "^worker/", pathNot: ["^worker/api/", "^worker/index\\.ts$"] },
      to: { path: "^worker/api/" },
    },
    {
      name: "pure-rooms-stay-pure",
      severity: "error",
      comment: "The pipeline, the lemmatizer and the schemas run in Node (CLI, benchmarks) too: they import no Worker room.",
      from: { path: "^(worker/pipeline|worker/lang|schema)/" },
      to: { path: "^worker/(api|jobs|auth|credits|learning|webhooks|sheets|ops|defaults|core)/" },
    },
  ],
  options: {
    doNotFollow: { path: "node_modules" },
    includeOnly: "^(worker|schema)/",
    exclude: { path: "worker/env\\.d\\.ts" },
    tsPreCompilationDeps: true,
    tsConfig: { fileName: "tsconfig.json" },
    enhancedResolveOptions: { exportsFields: ["exports"], conditionNames: ["import", "require", "node", "default", "types"] },
  },
};

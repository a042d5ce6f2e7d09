/**
 * npm run gen:client — starts the local stack (as `npm start` does, on free ports), reads
 * the OpenAPI document it serves and writes client/openapi.json and client/schema.d.ts.
 */
import { writeFileSync } from "node:fs";
import path from "node:path";
import { clientFiles } from "../client/generate";
import { startStack } from "../test/e2e/stack";

const stack = await startStack();
try {
  const res = await fetch(`${stack.url}/api/v1/openapi.json`);
  if (!res.ok) throw new Error(`GET /api/v1/openapi.json answered ${res.status}`);
  const files = await clientFiles(await res.json());
  for (const [name, text] of Object.entries(files)) {
    writeFileSync(path.join(import.meta.dirname, "../client", name), text);
    console.log(`wrote client/${name} (${text.length} characters)`);
  }
} finally {
  await stack.stop();
}

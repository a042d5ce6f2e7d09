import { Validator } from "@cfworker/json-schema";

/**
 * A validator for `schema` as the OpenAPI document (GET /api/v1/openapi.json) states it: the
 * document's component schemas become $defs of one JSON Schema (2020-12), references rewritten
 * to match.
 */
export function documentValidator(doc: { components: { schemas: Record<string, unknown> } }, schema: unknown): Validator {
  const rewrite = (v: unknown) => JSON.parse(JSON.stringify(v).replaceAll('"#/components/schemas/', '"#/$defs/'));
  return new Validator({ ...rewrite(schema), $defs: rewrite(doc.components.schemas) }, "2020-12", false);
}

/**
 * The typed client of the public API, used by the web app and the CLI alike.
 *
 * Its types are generated from the OpenAPI document the API serves
 * (`GET /api/v1/openapi.json`, built from the routes' zod schemas) by openapi-typescript into
 * client/schema.d.ts (`npm run gen:client`; a test fails when it is stale), and the calls go
 * through openapi-fetch, so a path, a parameter or a body the API does not have is a type error.
 *
 *   const api = createApi({ baseUrl: "https://fnt.example.com", apiKey: "fnt_…" });
 *   const job = await ok(api.GET("/api/v1/jobs/{id}", { params: { path: { id } } }));
 *
 * `ok` answers the data, or throws the API's error as an ApiError (client/errors.ts).
 */
import createClient, { type Client } from "openapi-fetch";
import { networkError, toApiError } from "./errors";
import type { components, paths } from "./schema";

export { ApiError, networkError, retryInfo, toApiError, type RetryInfo } from "./errors";
export type { components, paths } from "./schema";
export type Schemas = components["schemas"];
export type Api = Client<paths>;

export interface ApiOptions {
  /** The server's origin; "" (the default) in the browser, where the app and API share it. */
  baseUrl?: string;
  /** An API key (`fnt_…`), sent as `Authorization: Bearer`; the browser uses its session cookie instead. */
  apiKey?: string;
  fetch?: (input: Request) => Promise<Response>;
  /** Told the status of every refusal (the web app shows the sign-in page again on 401). */
  onRefused?: (status: number) => void;
}

export function createApi(o: ApiOptions = {}): Api {
  const api = createClient<paths>({
    baseUrl: o.baseUrl ?? "",
    fetch: o.fetch,
    headers: o.apiKey ? { Authorization: `Bearer ${o.apiKey}` } : undefined,
  });
  const onRefused = o.onRefused;
  if (onRefused) {
    api.use({
      onResponse({ response }) {
        if (!response.ok) onRefused(response.status);
      },
    });
  }
  return api;
}

interface Answer<T> {
  data?: T;
  error?: unknown;
  response: Response;
}

/** The data of a call, or its refusal thrown as an ApiError (a network failure as `network_error`). */
export async function ok<T>(call: Promise<Answer<T>>): Promise<T> {
  let answer: Answer<T>;
  try {
    answer = await call;
  } catch {
    throw networkError();
  }
  const { response } = answer;
  if (response.ok) return answer.data as T;
  throw toApiError(response.status, answer.error ?? null, (n) => response.headers.get(n));
}

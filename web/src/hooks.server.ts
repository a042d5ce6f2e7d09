import type { Handle } from "@sveltejs/kit";

// One origin for the browser: everything under /api/ belongs to the API Worker, reached
// through the service binding. The request goes over untouched (streamed uploads,
// WebSocket upgrades) and its response comes back as-is, 101 + webSocket included.
export const handle: Handle = async ({ event, resolve }) => {
  if (event.url.pathname.startsWith("/api/")) {
    const api = event.platform?.env?.API;
    if (!api) {
      return Response.json(
        { error: { code: "api_unavailable", message: "The API service is not bound to this app.", request_id: "" } },
        { status: 503 },
      );
    }
    return api.fetch(event.request);
  }
  return resolve(event);
};

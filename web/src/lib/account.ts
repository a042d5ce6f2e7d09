import { api, ok } from "./api";
import type { ApiKey, SessionInfo } from "./types";

const path = (id: string) => ({ params: { path: { id } } });

export const listApiKeys = (): Promise<ApiKey[]> => ok(api.GET("/api/v1/api-keys")).then((r) => r.api_keys);

export const createApiKey = (name: string): Promise<ApiKey & { key: string }> => ok(api.POST("/api/v1/api-keys", { body: { name } }));

export const revokeApiKey = (id: string) => ok(api.DELETE("/api/v1/api-keys/{id}", path(id)));

export interface WebhookSettings {
  default_url: string | null;
  progress_every: number | null;
}

export const getWebhookSettings = (): Promise<WebhookSettings> => ok(api.GET("/api/v1/webhooks/settings"));

export const putWebhookSettings = (s: WebhookSettings): Promise<WebhookSettings> => ok(api.PUT("/api/v1/webhooks/settings", { body: s }));

export const getWebhookSecret = () => ok(api.GET("/api/v1/webhooks/secret")).then((r) => r.secret);

export const rotateWebhookSecret = () => ok(api.POST("/api/v1/webhooks/secret/rotate")).then((r) => r.secret);

/** Deletes the account (the reader typed its email to confirm); answers the server's message. */
export const deleteAccount = (confirm: string): Promise<string> =>
  ok(api.DELETE("/api/v1/me", { body: { confirm } })).then((r) => r.message);

export const listSessions = (): Promise<SessionInfo[]> => ok(api.GET("/api/v1/sessions")).then((r) => r.sessions);

export const endSession = (id: string) => ok(api.DELETE("/api/v1/sessions/{id}", path(id)));

/** "Chrome on Linux" from a User-Agent, good enough to tell one's devices apart. */
export function describeAgent(ua: string | null): string {
  if (!ua) return "Unknown device";
  const browser = /Edg\//.test(ua)
    ? "Edge"
    : /Firefox\//.test(ua)
      ? "Firefox"
      : /Chrome\//.test(ua)
        ? "Chrome"
        : /Safari\//.test(ua)
          ? "Safari"
          : /curl\//.test(ua)
            ? "curl"
            : ua.split(/[ /]/)[0] || "Unknown browser";
  const os = /Android/.test(ua)
    ? "Android"
    : /iPhone|iPad/.test(ua)
      ? "iOS"
      : /Windows/.test(ua)
        ? "Windows"
        : /Mac OS X/.test(ua)
          ? "macOS"
          : /Linux/.test(ua)
            ? "Linux"
            : "";
  return os ? `${browser} on ${os}` : browser;
}

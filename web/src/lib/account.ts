import { apiJson } from "./api";
import type { ApiKey, SessionInfo } from "./types";

export const listApiKeys = () => apiJson<{ api_keys: ApiKey[] }>("/api/v1/api-keys").then((r) => r.api_keys);

export const createApiKey = (name: string) =>
  apiJson<ApiKey & { key: string }>("/api/v1/api-keys", { method: "POST", json: { name } });

export const revokeApiKey = (id: string) => apiJson<void>(`/api/v1/api-keys/${encodeURIComponent(id)}`, { method: "DELETE" });

export interface WebhookSettings {
  default_url: string | null;
  progress_every: number | null;
}

export const getWebhookSettings = () => apiJson<WebhookSettings>("/api/v1/webhooks/settings");

export const putWebhookSettings = (s: WebhookSettings) => apiJson<WebhookSettings>("/api/v1/webhooks/settings", { method: "PUT", json: s });

export const getWebhookSecret = () => apiJson<{ secret: string }>("/api/v1/webhooks/secret").then((r) => r.secret);

export const rotateWebhookSecret = () => apiJson<{ secret: string }>("/api/v1/webhooks/secret/rotate", { method: "POST" }).then((r) => r.secret);

export const listSessions = () => apiJson<{ sessions: SessionInfo[] }>("/api/v1/sessions").then((r) => r.sessions);

export const endSession = (id: string) => apiJson<void>(`/api/v1/sessions/${encodeURIComponent(id)}`, { method: "DELETE" });

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

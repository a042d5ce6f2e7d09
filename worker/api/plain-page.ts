import type { Context } from "hono";
import type { AppEnv } from "../core/types";

export const escapeHtml = (s: string) =>
  s.replace(/[&<>"']/g, (ch) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" })[ch]!);

/**
 * A plain 400 page for a person (a refused sign-in, a Google Sheets consent that failed): what
 * went wrong and a way back to the app. Light or dark as the system is, like the app's default.
 */
export function plainErrorPage(c: Context<AppEnv>, title: string, heading: string, message: string): Response {
  return c.html(
    `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="color-scheme" content="light dark">
<title>${escapeHtml(title)} · French Novel Tool</title><link rel="icon" href="/favicon.svg">
<style>:root{color-scheme:light dark}
body{font:16px/1.5 system-ui,sans-serif;max-width:32rem;margin:4rem auto;padding:0 1rem;background:light-dark(#fff,#13171d);color:light-dark(#1f2430,#e4e7ec)}
a{color:light-dark(#2b59c3,#8dbbea)}</style></head>
<body><main><h1>${escapeHtml(heading)}</h1><p>${escapeHtml(message)}</p><p><a href="/">Back to French Novel Tool</a></p></main></body></html>`,
    400,
  );
}

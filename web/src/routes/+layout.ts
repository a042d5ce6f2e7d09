// The session lives in localStorage, which only the browser can read: render client-side.
export const ssr = false;

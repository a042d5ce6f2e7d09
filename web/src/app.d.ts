// See https://svelte.dev/docs/kit/types#app.d.ts
declare global {
  namespace App {
    interface Platform {
      env: {
        /** Service binding to the API Worker ("french-novel-tool"). */
        API: { fetch(request: Request): Promise<Response> };
      };
    }
  }
}

export {};

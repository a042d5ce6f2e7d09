// Who is signed in is asked of the API from the browser (the session cookie is HttpOnly and
// goes along by itself): render client-side.
export const ssr = false;

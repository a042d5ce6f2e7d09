export const MODEL = "";

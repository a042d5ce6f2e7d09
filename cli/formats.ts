/** The output formats, apart from their writers (cli/format.ts), so that parsing a command line loads none of them. */
export const FORMATS = ["txt", "json", "csv", "tsv", "anki", "apkg", "xlsx"] as const;
export type Format = (typeof FORMATS)[number];
/** Formats whose bytes are not text: written to stdout only when it is not a terminal. */
export const BINARY: readonly Format[] = ["apkg", "xlsx"];

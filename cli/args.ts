import { parseArgs } from "node:util";
import { JobSettingsSchema, type JobSettings } from "../schema/settings";
import { usageError } from "./errors";
import { FORMATS, type Format } from "./format";

export const USAGE = `Usage:
  npm run -s cli -- segment < paragraphs.txt
      Reads paragraphs on stdin, one per line; writes one JSON array of
      sentences per input line (an empty line gives []).

  npm run -s cli -- process FILE.pdf [options]
      Writes the sentences of a PDF novel to stdout.

Options for process:
  -f, --format FMT          txt (one sentence per line, default), json
                            ([{text,page,paragraph}]), csv or tsv (index,sentence,page)
      --limit-words N       split sentences longer than N words (0-500, 0 = no limit)
      --min-words N         merge fragments shorter than N words (0-50, 0 = keep all)
      --no-fix-hyphenation  keep line-end hyphens as printed ("mar-chait")
      --ignore-dialogue     never length-split dialogue lines
  -q, --quiet               no progress or summary on stderr
  -h, --help                this help

Exit status: 0 ok, 1 the PDF cannot be processed (missing, not a PDF,
password-protected, no text layer), 2 wrong command line, 70 a bug of ours
(FNT_DEBUG=1 shows its stack trace).
`;

export interface ProcessArgs {
  file: string;
  format: Format;
  quiet: boolean;
  settings: JobSettings;
}

// Settings fields as the user typed them, for error messages.
const FLAG_OF: Record<string, string> = {
  sentence_length_limit: "--limit-words",
  min_sentence_length: "--min-words",
  fix_hyphenation: "--no-fix-hyphenation",
  ignore_dialogue: "--ignore-dialogue",
};

function parse(args: string[]) {
  try {
    return parseArgs({
      args,
      allowPositionals: true,
      options: {
        format: { type: "string", short: "f" },
        "limit-words": { type: "string" },
        "min-words": { type: "string" },
        "no-fix-hyphenation": { type: "boolean" },
        "ignore-dialogue": { type: "boolean" },
        quiet: { type: "boolean", short: "q" },
        help: { type: "boolean", short: "h" },
      },
    });
  } catch (err) {
    const message = err instanceof Error ? err.message : String(err);
    // parseArgs's own text for an unknown option is a paragraph about positionals.
    const unknown = /^Unknown option '([^']+)'/.exec(message);
    throw usageError(unknown ? `unknown option ${unknown[1]}.` : message);
  }
}

/** The process command's arguments, or null when help was asked for. */
export function parseProcessArgs(args: string[]): ProcessArgs | null {
  const { values, positionals } = parse(args);
  if (values.help) return null;
  if (positionals.length !== 1) {
    throw usageError(positionals.length === 0 ? "process needs a PDF file." : `process takes one file, got ${positionals.length}.`);
  }
  const format = values.format ?? "txt";
  if (!(FORMATS as readonly string[]).includes(format)) {
    throw usageError(`--format must be one of ${FORMATS.join(", ")} (got "${format}").`);
  }
  // The API's schema, so the CLI and the API accept exactly the same values.
  const parsed = JobSettingsSchema.safeParse({
    sentence_length_limit: values["limit-words"],
    min_sentence_length: values["min-words"],
    fix_hyphenation: !values["no-fix-hyphenation"],
    ignore_dialogue: values["ignore-dialogue"] ?? false,
  });
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    const field = String(issue.path[0] ?? "");
    throw usageError(`${FLAG_OF[field] ?? field} ${issue.message}.`);
  }
  return { file: positionals[0]!, format: format as Format, quiet: values.quiet ?? false, settings: parsed.data };
}

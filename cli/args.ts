import { parseArgs } from "node:util";
import { CreateLearningSetSchema, type LearningOptions } from "../schema/learning";
import { JobSettingsSchema, type JobSettings } from "../schema/settings";
import { usageError } from "./errors";
import { FORMATS, type Format } from "./formats";

export const USAGE = `Usage:
  npm run -s cli -- segment < paragraphs.txt
      Reads paragraphs on stdin, one per line; writes one JSON array of
      sentences per input line (an empty line gives []).

  npm run -s cli -- lemmatize < sentences.txt
      Reads sentences on stdin, one per line; writes one JSON array of tokens
      per input line, [{"text","lemma","pos"}, …] (pos: Universal Dependencies
      tags; "du" as its two parts "de" + "le", both with text "du"; an empty
      line gives []).

  npm run -s cli -- process FILE.pdf [options]
      Writes the sentences of a PDF novel to stdout.

  npm run -s cli -- coverage FILE.pdf [options]
      The learning set of a book, offline: the fewest sentences of 4-8 words
      with a verb that together hold every word of a list found in them
      (--mode filter: every such sentence made mostly of list words).

  npm run -s cli -- submit FILE.pdf --server URL --api-key KEY [options]
      Sends a PDF to a French Novel Tool server as a job (in parts when it is
      bigger than the server takes in one file), follows it live and writes
      its sentences to stdout like process.

  npm run -s cli -- jobs --server URL --api-key KEY [--limit N]
      Lists your jobs on the server, newest first.

  npm run -s cli -- result JOB_ID --server URL --api-key KEY [-f FMT]
      Writes the sentences of a finished job to stdout like process.

  --server and --api-key may come from FNT_SERVER and FNT_API_KEY instead
  (a key on the command line stays in your shell history).

Options for process:
  -f, --format FMT          txt (one sentence per line, default), json
                            ([{text,page,paragraph,word_count,has_verb}]), csv or tsv
                            (index,sentence,page,word_count,has_verb; has_verb yes/no),
                            xlsx (an Excel workbook of those columns), anki (a text
                            file for Anki's File > Import) or apkg (an Anki package).
                            xlsx and apkg are binary: redirect stdout to a file
                            (> book.xlsx); on a terminal they are refused. The Anki
                            GUIDs come from the PDF's bytes (result: from the job and
                            its sentence's index, as the API's): importing again
                            updates the notes. result writes the API's anki, apkg
                            and xlsx files (xlsx with the API csv's columns).
      --limit-words N       split sentences longer than N words (0-500, 0 = no limit)
      --min-words N         merge fragments shorter than N words (0-50, 0 = keep all)
      --no-fix-hyphenation  keep line-end hyphens as printed ("mar-chait")
      --ignore-dialogue     never length-split dialogue lines
      --pages RANGE         only these pages, e.g. 12-240 or 1-10,15,30- (the
                            book's page numbers are kept)
  -q, --quiet               no progress or summary on stderr
  -h, --help                this help

Options for coverage:
      --wordlist FILE       a word list (one word a line, or the first column
                            of a CSV; # comments; bon|bonne): the 2,000 most
                            frequent French lemmas by default
      --mode MODE           coverage (default) or filter
      --min-words N         fewest words of a sentence (default 4)
      --max-words N         most words of a sentence (default 8)
      --no-verb             sentences without a verb too
      --min-known-ratio R   filter: least share of list words (default 0.95)
      --limit-words N       cut the book's sentences at N words first
                            (default: --max-words)
  -f, --format FMT          csv (default), tsv, txt, json, anki, apkg or xlsx

Options for submit (besides the ones of process):
      --model NAME          the Gemini model, where the server runs Gemini
      --webhook-url URL     where the server POSTs the job's final event
      --no-wait             print the job's id and stop (no following)

Exit status: 0 ok, 1 the PDF cannot be processed (missing, not a PDF,
password-protected, no text layer) or the server refused, failed or
cancelled the job, 2 wrong command line, 3 the job ended partial (its
sentences are written; stderr names the pages missing), 69 the server could
not be reached, 70 a bug of ours (FNT_DEBUG=1 shows its stack trace).
`;

export interface CoverageArgs {
  file: string;
  wordlist?: string;
  mode: "coverage" | "filter";
  options: LearningOptions;
  settings: JobSettings;
  format: "csv" | "tsv" | "txt" | "json" | "anki" | "apkg" | "xlsx";
  quiet: boolean;
}

const COVERAGE = {
  wordlist: { type: "string" },
  mode: { type: "string" },
  "min-words": { type: "string" },
  "max-words": { type: "string" },
  "no-verb": { type: "boolean" },
  "min-known-ratio": { type: "string" },
  "limit-words": { type: "string" },
} as const;

/** The coverage command's arguments (checked with the API's own schema), or null for help. */
export function parseCoverageArgs(args: string[]): CoverageArgs | null {
  const { values, positionals } = parse(args, { ...COMMON, ...COVERAGE });
  if (values.help) return null;
  if (positionals.length !== 1) {
    throw usageError(positionals.length === 0 ? "coverage needs a PDF file." : `coverage takes one file, got ${positionals.length}.`);
  }
  const num = (v: string | undefined) => (v === undefined ? undefined : /^-?\d+(\.\d+)?$/.test(v.trim()) ? Number(v) : v);
  const parsed = CreateLearningSetSchema.safeParse({
    job_ids: ["book"],
    mode: values.mode,
    min_words: num(values["min-words"]),
    max_words: num(values["max-words"]),
    require_verb: !values["no-verb"],
    min_known_ratio: num(values["min-known-ratio"]),
  });
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    const flag = `--${String(issue.path[0] ?? "").replace(/_/g, "-")}`;
    throw usageError(`${flag} ${issue.message}.`);
  }
  const { job_ids: _j, wordlist_id: _w, mode, ...options } = parsed.data;
  const format = values.format ?? "csv";
  if (!["csv", "tsv", "txt", "json", "anki", "apkg", "xlsx"].includes(format))
    throw usageError(`--format must be one of csv, tsv, txt, json, anki, apkg, xlsx (got "${format}").`);
  const settings = settingsOf({ "limit-words": values["limit-words"] ?? String(options.max_words) });
  return {
    file: positionals[0]!,
    wordlist: values.wordlist,
    mode,
    options,
    settings,
    format: format as CoverageArgs["format"],
    quiet: values.quiet ?? false,
  };
}

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
  pages: "--pages",
};

const COMMON = {
  format: { type: "string", short: "f" },
  quiet: { type: "boolean", short: "q" },
  help: { type: "boolean", short: "h" },
} as const;
const SETTINGS = {
  "limit-words": { type: "string" },
  "min-words": { type: "string" },
  "no-fix-hyphenation": { type: "boolean" },
  "ignore-dialogue": { type: "boolean" },
  pages: { type: "string" },
} as const;
const REMOTE = {
  server: { type: "string" },
  "api-key": { type: "string" },
} as const;
const SUBMIT = {
  model: { type: "string" },
  "webhook-url": { type: "string" },
  "no-wait": { type: "boolean" },
} as const;
const JOBS = { limit: { type: "string" } } as const;

type Options = Record<string, { type: "string" | "boolean"; short?: string }>;

function parse<O extends Options>(args: string[], options: O) {
  try {
    return parseArgs({ args, allowPositionals: true, options });
  } catch (err) {
    const message = err instanceof Error ? err.message : String(err);
    // parseArgs's own text for an unknown option is a paragraph about positionals.
    const unknown = /^Unknown option '([^']+)'/.exec(message);
    throw usageError(unknown ? `unknown option ${unknown[1]}.` : message);
  }
}

/** The settings flags, checked with the API's own schema (the CLI and the API accept the same values). */
function settingsOf(values: Record<string, string | boolean | undefined>): JobSettings {
  const parsed = JobSettingsSchema.safeParse({
    sentence_length_limit: values["limit-words"],
    min_sentence_length: values["min-words"],
    fix_hyphenation: !values["no-fix-hyphenation"],
    ignore_dialogue: values["ignore-dialogue"] ?? false,
    pages: values.pages,
  });
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    const field = String(issue.path[0] ?? "");
    throw usageError(`${FLAG_OF[field] ?? field} ${issue.message}.`);
  }
  return parsed.data;
}

function formatOf(value: string | undefined): Format {
  const format = value ?? "txt";
  if (!(FORMATS as readonly string[]).includes(format)) {
    throw usageError(`--format must be one of ${FORMATS.join(", ")} (got "${format}").`);
  }
  return format as Format;
}

/** The process command's arguments, or null when help was asked for. */
export function parseProcessArgs(args: string[]): ProcessArgs | null {
  const { values, positionals } = parse(args, { ...COMMON, ...SETTINGS });
  if (values.help) return null;
  if (positionals.length !== 1) {
    throw usageError(positionals.length === 0 ? "process needs a PDF file." : `process takes one file, got ${positionals.length}.`);
  }
  return { file: positionals[0]!, format: formatOf(values.format), quiet: values.quiet ?? false, settings: settingsOf(values) };
}

export interface RemoteArgs {
  /** The server's origin, e.g. https://fnt.example.com (no trailing slash). */
  server: string;
  apiKey: string;
  quiet: boolean;
}

export interface SubmitArgs extends RemoteArgs {
  file: string;
  format: Format;
  /** The settings to send: the model only when asked for (the server has its own default). */
  settings: Omit<JobSettings, "gemini_model"> & { gemini_model?: string };
  webhookUrl?: string;
  wait: boolean;
}

export interface JobsArgs extends RemoteArgs {
  limit: number;
}

export interface ResultArgs extends RemoteArgs {
  id: string;
  format: Format;
}

/** --server / FNT_SERVER and --api-key / FNT_API_KEY, both required. */
function remoteOf(
  values: { server?: string | boolean; "api-key"?: string | boolean; quiet?: string | boolean },
  env: NodeJS.ProcessEnv,
): RemoteArgs {
  const server = (typeof values.server === "string" ? values.server : env.FNT_SERVER) ?? "";
  const apiKey = (typeof values["api-key"] === "string" ? values["api-key"] : env.FNT_API_KEY) ?? "";
  if (!server) throw usageError("--server URL is needed (or FNT_SERVER), e.g. --server https://fnt.example.com.");
  let url: URL;
  try {
    url = new URL(server);
  } catch {
    throw usageError(`--server must be a URL like https://fnt.example.com (got "${server}").`);
  }
  if (url.protocol !== "https:" && url.protocol !== "http:") throw usageError(`--server must be an http(s) URL (got "${server}").`);
  if (!apiKey) throw usageError("--api-key KEY is needed (or FNT_API_KEY): create one on your account page.");
  return { server: url.origin + url.pathname.replace(/\/+$/, ""), apiKey, quiet: values.quiet === true };
}

export function parseSubmitArgs(args: string[], env: NodeJS.ProcessEnv = process.env): SubmitArgs | null {
  const { values, positionals } = parse(args, { ...COMMON, ...SETTINGS, ...REMOTE, ...SUBMIT });
  if (values.help) return null;
  if (positionals.length !== 1) {
    throw usageError(positionals.length === 0 ? "submit needs a PDF file." : `submit takes one file, got ${positionals.length}.`);
  }
  const { gemini_model: _default, ...settings } = settingsOf(values);
  return {
    ...remoteOf(values, env),
    file: positionals[0]!,
    format: formatOf(values.format),
    settings: values.model ? { ...settings, gemini_model: values.model } : settings,
    webhookUrl: values["webhook-url"],
    wait: !values["no-wait"],
  };
}

export function parseJobsArgs(args: string[], env: NodeJS.ProcessEnv = process.env): JobsArgs | null {
  const { values, positionals } = parse(args, { ...REMOTE, ...JOBS, help: COMMON.help, quiet: COMMON.quiet });
  if (values.help) return null;
  if (positionals.length) throw usageError(`jobs takes no file or id (got ${positionals.join(" ")}).`);
  const limit = values.limit === undefined ? 20 : Number(values.limit);
  if (!Number.isInteger(limit) || limit < 1 || limit > 100)
    throw usageError(`--limit must be a whole number from 1 to 100 (got "${values.limit}").`);
  return { ...remoteOf(values, env), limit };
}

export function parseResultArgs(args: string[], env: NodeJS.ProcessEnv = process.env): ResultArgs | null {
  const { values, positionals } = parse(args, { ...REMOTE, ...COMMON });
  if (values.help) return null;
  if (positionals.length !== 1)
    throw usageError(positionals.length === 0 ? "result needs a job id." : `result takes one job id, got ${positionals.length}.`);
  return { ...remoteOf(values, env), id: positionals[0]!, format: formatOf(values.format) };
}

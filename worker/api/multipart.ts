/**
 * Streaming multipart/form-data parser (RFC 7578 / RFC 2046) over web streams.
 * Pure: runs in Node and workerd. Memory stays bounded by the largest input
 * chunk plus the part-header cap, whatever the size of the parts.
 *
 * Kept over maintained parsers (issue 12; test/unit/multipart.test.ts run against an adapter
 * of each, `npm run bench:memory -- --only upload --parser …`): @remix-run/multipart-parser
 * buffers a part whole before yielding it, and multipasta's web adapter reads the whole body
 * ahead (both hold ~100 MiB for a 100 MiB PDF); multipasta refuses a valid body whose closing
 * "--" arrives split across two chunks and drops a Content-Disposition holding a character
 * beyond Latin-1 (L’Étranger.pdf loses its name); multitars names a part by its filename and
 * decodes backslash escapes in it (C:\dir\f.pdf gets a form feed); @fastify/busboy skips
 * malformed parts silently and truncates over-long header blocks instead of refusing them;
 * none accepts RFC 2046 transport padding.
 */

import { joinBytes } from "../core/bytes";

export class MultipartError extends Error {
  /** "limit" when a configured cap was hit; "malformed" when the body breaks the format. */
  constructor(
    message: string,
    readonly code: "malformed" | "limit" = "malformed",
  ) {
    super(message);
    this.name = "MultipartError";
  }
}

export interface MultipartPart {
  readonly name: string;
  /** Present (possibly "") when the part's Content-Disposition has a filename. */
  readonly filename?: string;
  readonly contentType?: string;
  /** Lower-cased header names. */
  readonly headers: Readonly<Record<string, string>>;
  /** Consume or cancel it before asking the generator for the next part. */
  readonly body: ReadableStream<Uint8Array>;
  /** The body as UTF-8; MultipartError("limit") beyond maxBytes. */
  text(maxBytes?: number): Promise<string>;
}

export interface MultipartLimits {
  maxHeaderBytes?: number;
  maxParts?: number;
}

const encoder = new TextEncoder();
const CRLF = encoder.encode("\r\n");
const HEADER_END = encoder.encode("\r\n\r\n");
const BCHARS = /^[0-9A-Za-z'()+_,\-./:=? ]{0,69}[0-9A-Za-z'()+_,\-./:=?]$/;

/** The boundary of a multipart/form-data Content-Type, or null. */
export function getBoundary(contentType: string | null): string | null {
  if (!contentType || !/^\s*multipart\/form-data\s*(;|$)/i.test(contentType)) return null;
  const m = /;\s*boundary\s*=\s*(?:"([^"]*)"|([^;\s]+))/i.exec(contentType);
  const boundary = m ? (m[1] ?? m[2] ?? "") : "";
  return BCHARS.test(boundary) ? boundary : null;
}

/** A growable byte window over the input reader, so matches can span chunk edges. */
class Scanner {
  private buf = new Uint8Array(64 * 1024);
  private start = 0;
  private end = 0;
  private eof = false;

  constructor(private readonly reader: ReadableStreamDefaultReader<Uint8Array>) {}

  get length(): number {
    return this.end - this.start;
  }

  view(): Uint8Array {
    return this.buf.subarray(this.start, this.end);
  }

  consume(n: number): void {
    this.start += n;
    if (this.start === this.end) this.start = this.end = 0;
  }

  /** A copy, because the window's storage is reused. */
  take(n: number): Uint8Array {
    const out = this.buf.slice(this.start, this.start + n);
    this.consume(n);
    return out;
  }

  push(bytes: Uint8Array): void {
    if (this.end + bytes.length > this.buf.length) {
      const need = this.length + bytes.length;
      if (need > this.buf.length) {
        const grown = new Uint8Array(Math.max(need, this.buf.length * 2));
        grown.set(this.view());
        this.buf = grown;
      } else {
        this.buf.copyWithin(0, this.start, this.end);
      }
      this.end = this.length;
      this.start = 0;
    }
    this.buf.set(bytes, this.end);
    this.end += bytes.length;
  }

  /** Reads one more non-empty chunk; false at end of input. */
  async fill(): Promise<boolean> {
    while (!this.eof) {
      const { done, value } = await this.reader.read();
      if (done) this.eof = true;
      else if (value.length > 0) {
        this.push(value);
        return true;
      }
    }
    return false;
  }

  async ensure(n: number): Promise<boolean> {
    while (this.length < n) if (!(await this.fill())) return false;
    return true;
  }

  indexOf(needle: Uint8Array, from = 0): number {
    const hay = this.view();
    const last = hay.length - needle.length;
    for (let i = hay.indexOf(needle[0]!, from); i !== -1 && i <= last; i = hay.indexOf(needle[0]!, i + 1)) {
      let j = 1;
      while (j < needle.length && hay[i + j] === needle[j]) j++;
      if (j === needle.length) return i;
    }
    return -1;
  }
}

/**
 * Yields the parts of a multipart/form-data body as they arrive. A part body
 * left unread is skipped when the generator resumes; leaving the loop early
 * cancels the input.
 */
export async function* parseMultipart(
  body: ReadableStream<Uint8Array>,
  boundary: string,
  limits: MultipartLimits = {},
): AsyncGenerator<MultipartPart, void, undefined> {
  if (!BCHARS.test(boundary)) throw new MultipartError("The boundary is not valid.");
  const maxHeaderBytes = limits.maxHeaderBytes ?? 16 * 1024;
  const maxParts = limits.maxParts ?? 50;
  const delimiter = encoder.encode(`\r\n--${boundary}`);
  const reader = body.getReader();
  const s = new Scanner(reader);
  // A leading CRLF lets a boundary on the very first line match like every other one.
  s.push(CRLF);
  try {
    await skipPreamble(s, delimiter);
    for (let index = 0; ; index++) {
      s.consume(delimiter.length);
      if (!(await s.ensure(2))) throw new MultipartError("The body ended right after a boundary.");
      const v = s.view();
      if (v[0] === 0x2d && v[1] === 0x2d) return; // closing delimiter; the epilogue is ignored
      if (index >= maxParts) throw new MultipartError(`More than ${maxParts} parts.`, "limit");
      await skipBoundaryLineEnd(s);
      const headers = await readHeaders(s, maxHeaderBytes, index);
      const part = new PartReader(s, delimiter, headers);
      yield part.toPart();
      await part.drain();
    }
  } finally {
    await reader.cancel().catch(() => undefined);
  }
}

/** The most bytes before the first boundary (browsers send none; RFC 2046 says to ignore them). */
export const MAX_PREAMBLE_BYTES = 16 * 1024;
/** The most transport padding (spaces, tabs) after a boundary. */
export const MAX_PADDING_BYTES = 1024;

async function skipPreamble(s: Scanner, delimiter: Uint8Array): Promise<void> {
  let skipped = 0;
  for (;;) {
    const at = s.indexOf(delimiter);
    if (at >= 0) {
      if (skipped + at > MAX_PREAMBLE_BYTES) break;
      return s.consume(at);
    }
    // Keep a possible delimiter prefix; the preamble itself is discarded as it streams.
    const drop = Math.max(0, s.length - (delimiter.length - 1));
    s.consume(drop);
    skipped += drop;
    if (skipped > MAX_PREAMBLE_BYTES) break;
    if (!(await s.fill())) throw new MultipartError("No boundary found in the body.");
  }
  throw new MultipartError(`More than ${MAX_PREAMBLE_BYTES} bytes before the first boundary.`, "limit");
}

async function skipBoundaryLineEnd(s: Scanner): Promise<void> {
  // RFC 2046 allows transport padding (linear whitespace) after a boundary: a little of it.
  for (let padding = 0; ; padding++) {
    if (padding > MAX_PADDING_BYTES) throw new MultipartError(`More than ${MAX_PADDING_BYTES} bytes of padding after a boundary.`, "limit");
    if (!(await s.ensure(2))) throw new MultipartError("The body ended inside a boundary line.");
    const v = s.view();
    if (v[0] === 0x20 || v[0] === 0x09) s.consume(1);
    else if (v[0] === 0x0d && v[1] === 0x0a) return s.consume(2);
    else throw new MultipartError("A boundary is not followed by a line break.");
  }
}

async function readHeaders(s: Scanner, maxBytes: number, index: number): Promise<Record<string, string>> {
  if (!(await s.ensure(2))) throw new MultipartError(`The body ended before the headers of part ${index + 1}.`);
  const v = s.view();
  if (v[0] === 0x0d && v[1] === 0x0a) throw new MultipartError(`Part ${index + 1} has no headers.`);
  let from = 0;
  for (;;) {
    const at = s.indexOf(HEADER_END, from);
    if (at > maxBytes || (at < 0 && s.length > maxBytes)) {
      throw new MultipartError(`The headers of part ${index + 1} exceed ${maxBytes} bytes.`, "limit");
    }
    if (at >= 0) {
      const raw = new TextDecoder().decode(s.take(at));
      s.consume(HEADER_END.length);
      return parseHeaderBlock(raw, index);
    }
    from = Math.max(0, s.length - (HEADER_END.length - 1));
    if (!(await s.fill())) throw new MultipartError(`The body ended inside the headers of part ${index + 1}.`);
  }
}

function parseHeaderBlock(raw: string, index: number): Record<string, string> {
  const headers: Record<string, string> = Object.create(null) as Record<string, string>;
  let last: string | undefined;
  for (const line of raw.split("\r\n")) {
    if ((line.startsWith(" ") || line.startsWith("\t")) && last) {
      headers[last] += ` ${line.trim()}`; // obsolete line folding
      continue;
    }
    const colon = line.indexOf(":");
    const name = line.slice(0, colon).trim().toLowerCase();
    if (colon <= 0 || !/^[!#$%&'*+\-.^_`|~0-9a-z]+$/.test(name)) {
      throw new MultipartError(`Part ${index + 1} has a malformed header line.`);
    }
    if (!(name in headers)) headers[name] = line.slice(colon + 1).trim();
    last = name;
  }
  return headers;
}

/** Parameters of a Content-Disposition value, names lower-cased. */
function parseDisposition(value: string): { type: string; params: Record<string, string> } {
  const params: Record<string, string> = Object.create(null) as Record<string, string>;
  const semi = value.indexOf(";");
  const type = (semi < 0 ? value : value.slice(0, semi)).trim().toLowerCase();
  let i = semi < 0 ? value.length : semi + 1;
  while (i < value.length) {
    const eq = value.indexOf("=", i);
    const nextSemi = value.indexOf(";", i);
    if (eq < 0 || (nextSemi >= 0 && nextSemi < eq)) {
      i = nextSemi < 0 ? value.length : nextSemi + 1; // a parameter without a value
      continue;
    }
    const name = value.slice(i, eq).trim().toLowerCase();
    let j = eq + 1;
    while (value[j] === " " || value[j] === "\t") j++;
    let param = "";
    if (value[j] === '"') {
      // Browsers percent-encode '"', CR and LF (WHATWG); older clients backslash-escape.
      // Other backslashes stay literal so Windows paths survive.
      for (j++; j < value.length && value[j] !== '"'; j++) {
        if (value[j] === "\\" && (value[j + 1] === '"' || value[j + 1] === "\\")) j++;
        param += value[j];
      }
      param = param.replace(/%22/g, '"').replace(/%0D/gi, "\r").replace(/%0A/gi, "\n");
      const end = value.indexOf(";", j);
      i = end < 0 ? value.length : end + 1;
    } else {
      const end = value.indexOf(";", j);
      param = value.slice(j, end < 0 ? value.length : end).trim();
      i = end < 0 ? value.length : end + 1;
    }
    if (name && !(name in params)) params[name] = param;
  }
  return { type, params };
}

/** Streams one part's body out of the shared scanner, stopping at the next delimiter. */
class PartReader {
  private finished = false;
  private failure: unknown;
  private queue: Promise<unknown> = Promise.resolve();
  private readonly name: string;
  private readonly filename: string | undefined;
  private readonly contentType: string | undefined;

  constructor(
    private readonly s: Scanner,
    private readonly delimiter: Uint8Array,
    private readonly headers: Record<string, string>,
  ) {
    const { type, params } = parseDisposition(headers["content-disposition"] ?? "");
    if (type !== "form-data" || params.name === undefined) {
      throw new MultipartError('A part has no "Content-Disposition: form-data; name=…" header.');
    }
    this.name = params.name;
    this.filename = params.filename;
    this.contentType = headers["content-type"];
  }

  /** Serialised, so a pull in flight and the generator's drain never interleave. */
  next(): Promise<Uint8Array | null> {
    const result = this.queue.then(() => this.read());
    this.queue = result.catch(() => undefined);
    return result;
  }

  async drain(): Promise<void> {
    while ((await this.next()) !== null);
  }

  private async read(): Promise<Uint8Array | null> {
    if (this.failure !== undefined) throw this.failure;
    if (this.finished) return null;
    const { s, delimiter } = this;
    try {
      for (;;) {
        const at = s.indexOf(delimiter);
        if (at === 0) {
          this.finished = true;
          return null;
        }
        if (at > 0) return s.take(at);
        const safe = s.length - (delimiter.length - 1);
        if (safe > 0) return s.take(safe);
        if (!(await s.fill())) {
          throw new MultipartError(`The body ended inside part "${this.name}" before its closing boundary.`);
        }
      }
    } catch (err) {
      this.failure = err;
      throw err;
    }
  }

  toPart(): MultipartPart {
    const body = new ReadableStream<Uint8Array>(
      {
        pull: async (controller) => {
          const chunk = await this.next();
          if (chunk) controller.enqueue(chunk);
          else controller.close();
        },
        // Nothing to do on cancel: the generator skips what is left when it resumes.
      },
      { highWaterMark: 0 },
    );
    const text = async (maxBytes = 64 * 1024): Promise<string> => {
      const reader = body.getReader();
      const chunks: Uint8Array[] = [];
      let size = 0;
      for (;;) {
        const { done, value } = await reader.read();
        if (done) break;
        size += value.length;
        if (size > maxBytes) {
          await reader.cancel();
          throw new MultipartError(`The field "${this.name}" is longer than ${maxBytes} bytes.`, "limit");
        }
        chunks.push(value);
      }
      return new TextDecoder().decode(joinBytes(chunks, size));
    };
    const part: MultipartPart = {
      name: this.name,
      headers: this.headers,
      body,
      text,
      ...(this.filename !== undefined && { filename: this.filename }),
      ...(this.contentType !== undefined && { contentType: this.contentType }),
    };
    return part;
  }
}

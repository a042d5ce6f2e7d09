/**
 * The upload path's memory and throughput, run by bench/memory.ts in a fresh
 * `node --expose-gc` process:
 *
 *   upload-child.ts memory <MiB> [parser module]
 *   upload-child.ts throughput <MiB> <runs> <parser module>...
 *
 * The body is a multipart/form-data form (a short text field, then a PDF of <MiB> in
 * `pdf_file`) generated as it is read, in 64 KiB chunks, so the input itself is never held.
 * `memory` consumes it as worker/api/upload.ts does: fields read with text(16 KiB), the file
 * hashed with SHA-256 and gathered into 8 MiB parts sent to a fake R2 bucket that only counts
 * bytes and takes PART_DELAY_MS per part (a stand-in for the network, so a parser that reads
 * ahead of its consumer shows it). It samples heap used + external every ~5 ms and after every
 * input chunk (garbage not yet collected included: what the isolate carries); the live peak,
 * measured after a full GC as each part goes out (what parser and consumer really hold); and
 * the read-ahead: bytes pulled from the body minus bytes the file consumer had been given.
 * `throughput` parses the same body, generated beforehand, with each parser in turn (no
 * hashing, no delay: the parser alone), median of <runs>, in MiB/s.
 *
 * A parser module exports `parseMultipart` with the signature of worker/api/multipart.ts;
 * the default is that file. Prints one `RESULT {json}` line on stdout.
 */
import { createHash } from "node:crypto";
import path from "node:path";
import { pathToFileURL } from "node:url";
import { sha256 } from "@noble/hashes/sha2.js";
import { bytesToHex } from "@noble/hashes/utils.js";
import type { MultipartPart } from "../worker/api/multipart";

type Parse = (body: ReadableStream<Uint8Array>, boundary: string) => AsyncIterable<MultipartPart>;

const MIB = 1024 * 1024;
const CHUNK = 64 * 1024;
/** As worker/api/upload.ts: R2 parts of 8 MiB, fields of at most 16 KiB. */
const PART_SIZE = 8 * MIB;
const MAX_FIELD_BYTES = 16 * 1024;
/** MAX_UPLOAD_BYTES in wrangler.toml: a bigger file is refused as it streams. */
const MAX_FILE_BYTES = 100 * MIB;
const PART_DELAY_MS = 20;
const BOUNDARY = "----formdata-undici-031415926535";
const DEFAULT_PARSER = path.resolve(path.dirname(new URL(import.meta.url).pathname), "../worker/api/multipart.ts");

const enc = new TextEncoder();

/** Block `k` of the file: xorshift noise with one boundary near-miss, "%PDF-1.7" at the start. */
function fileBlock(k: number): Uint8Array {
  const out = new Uint8Array(CHUNK);
  const words = new Uint32Array(out.buffer);
  let x = k + 1;
  for (let i = 0; i < words.length; i++) {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    words[i] = x;
  }
  out.set(TRAP, (k * 7919) % (CHUNK - TRAP.length));
  if (k === 0) out.set(enc.encode("%PDF-1.7\n%\xe2\xe3\xcf\xd3\n"));
  return out;
}
const TRAP = enc.encode(`\r\n--${BOUNDARY.slice(0, -1)}\r\n\r\n`);

let lastBlock: { k: number; bytes: Uint8Array } = { k: -1, bytes: new Uint8Array(0) };
/** Writes the file's bytes at [from, from+n) into `out` at `to`, the same whatever the chunking. */
function fileBytes(out: Uint8Array, to: number, from: number, n: number): void {
  for (let at = from; at < from + n; ) {
    const k = Math.floor(at / CHUNK);
    if (lastBlock.k !== k) lastBlock = { k, bytes: fileBlock(k) };
    const inBlock = at - k * CHUNK;
    const len = Math.min(CHUNK - inBlock, from + n - at);
    out.set(lastBlock.bytes.subarray(inBlock, inBlock + len), to + at - from);
    at += len;
  }
}

interface Body {
  stream: ReadableStream<Uint8Array>;
  boundary: string;
  fileSize: number;
  /** Bytes handed out so far. */
  readonly pulled: number;
}

/** The whole form as a pull stream of CHUNK-sized chunks, generated on demand. */
function formBody(fileSize: number, onPull: () => void = () => undefined): Body {
  const head = enc.encode(
    `--${BOUNDARY}\r\nContent-Disposition: form-data; name="title"\r\n\r\nLe Tour du monde en quatre-vingts jours\r\n` +
      `--${BOUNDARY}\r\nContent-Disposition: form-data; name="pdf_file"; filename="livre.pdf"\r\nContent-Type: application/pdf\r\n\r\n`,
  );
  const tail = enc.encode(`\r\n--${BOUNDARY}--\r\n`);
  const total = head.length + fileSize + tail.length;
  let off = 0;
  const body: Body = {
    boundary: BOUNDARY,
    fileSize,
    get pulled() {
      return off;
    },
    stream: new ReadableStream<Uint8Array>({
      pull(c) {
        if (off >= total) return c.close();
        const n = Math.min(CHUNK, total - off);
        const chunk = new Uint8Array(n);
        // Header, file and tail regions of [off, off+n).
        for (let at = off; at < off + n; ) {
          if (at < head.length) {
            const k = Math.min(head.length - at, off + n - at);
            chunk.set(head.subarray(at, at + k), at - off);
            at += k;
          } else if (at < head.length + fileSize) {
            const from = at - head.length;
            const k = Math.min(fileSize - from, off + n - at);
            fileBytes(chunk, at - off, from, k);
            at += k;
          } else {
            const from = at - head.length - fileSize;
            const k = Math.min(tail.length - from, off + n - at);
            chunk.set(tail.subarray(from, from + k), at - off);
            at += k;
          }
        }
        off += n;
        c.enqueue(chunk);
        onPull();
      },
    }),
  };
  return body;
}

/** A bucket that counts what it is sent, taking `delayMs` per part as a network would. */
class FakeUpload {
  bytes = 0;
  parts = 0;
  constructor(
    private readonly delayMs: number,
    private readonly onPart: () => void = () => undefined,
  ) {}
  async uploadPart(bytes: Uint8Array): Promise<void> {
    this.bytes += bytes.length;
    this.parts++;
    this.onPart();
    await new Promise((r) => setTimeout(r, this.delayMs));
  }
}

/** worker/api/upload.ts's PdfSink, less R2: SHA-256 as it streams, 8 MiB parts, one part held at a time. */
async function consumeFile(body: ReadableStream<Uint8Array>, upload: FakeUpload, maxBytes: number, onChunk: (n: number) => void) {
  const hash = sha256.create();
  let buf = new Uint8Array(0);
  let used = 0;
  let size = 0;
  const reader = body.getReader();
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    onChunk(value.length);
    hash.update(value);
    size += value.length;
    if (size > maxBytes) throw new Error(`file_too_large: refused after ${size} bytes`);
    for (let off = 0; off < value.length; ) {
      if (used === PART_SIZE) {
        await upload.uploadPart(buf.subarray(0, used));
        used = 0;
      }
      const n = Math.min(PART_SIZE - used, value.length - off);
      if (used + n > buf.length) {
        let cap = Math.max(buf.length, 256 * 1024);
        while (cap < used + n) cap *= 2;
        const grown = new Uint8Array(Math.min(cap, PART_SIZE));
        grown.set(buf.subarray(0, used));
        buf = grown;
      }
      buf.set(value.subarray(off, off + n), used);
      used += n;
      off += n;
    }
  }
  await upload.uploadPart(buf.subarray(0, used));
  return { size, sha256: bytesToHex(hash.digest()) };
}

/** The file's SHA-256 computed straight from the generator, to check the parser was byte-exact. */
function expectedSha256(fileSize: number): string {
  const h = createHash("sha256");
  const chunk = new Uint8Array(CHUNK);
  for (let from = 0; from < fileSize; from += CHUNK) {
    const n = Math.min(CHUNK, fileSize - from);
    fileBytes(chunk, 0, from, n);
    h.update(chunk.subarray(0, n));
  }
  return h.digest("hex");
}

async function loadParser(module: string | undefined): Promise<Parse> {
  const url = pathToFileURL(path.resolve(module ?? DEFAULT_PARSER)).href;
  const mod = (await import(url)) as { parseMultipart: Parse };
  return mod.parseMultipart;
}

interface Pass {
  outcome: string;
  ms: number;
  peak: number;
  heapAtPeak: number;
  externalAtPeak: number;
  peakRss: number;
  peakLive: number;
  maxLead: number;
  samples: number;
}

/**
 * One upload through `parse`. With `live`, a full GC runs as each part goes out and `peakLive`
 * is what is left then: what the parser and the consumer really hold. Without, the GC runs
 * when V8 decides, and the sampled peak includes the garbage not yet collected.
 */
async function pass(parse: Parse, fileSize: number, expected: string, gc: () => void, live: boolean): Promise<Pass> {
  const p: Pass = { outcome: "ok", ms: 0, peak: 0, heapAtPeak: 0, externalAtPeak: 0, peakRss: 0, peakLive: 0, maxLead: 0, samples: 0 };
  const sample = () => {
    const m = process.memoryUsage();
    p.samples++;
    if (m.heapUsed + m.external > p.peak) {
      p.peak = m.heapUsed + m.external;
      p.heapAtPeak = m.heapUsed;
      p.externalAtPeak = m.external;
    }
    p.peakRss = Math.max(p.peakRss, m.rss);
  };
  let delivered = 0;
  const body = formBody(fileSize, () => {
    // What the parser has taken from the body beyond what the file's consumer has been given.
    p.maxLead = Math.max(p.maxLead, body.pulled - delivered);
    sample();
  });
  const upload = new FakeUpload(PART_DELAY_MS, () => {
    if (!live) return;
    // Twice: Node updates `external` for freed ArrayBuffers only on the next collection.
    gc();
    gc();
    const m = process.memoryUsage();
    p.peakLive = Math.max(p.peakLive, m.heapUsed + m.external);
  });
  const timer = setInterval(sample, 5);
  const start = performance.now();
  try {
    const fields: Record<string, string> = {};
    let file: { size: number; sha256: string } | undefined;
    for await (const part of parse(body.stream, body.boundary)) {
      if (part.name === "pdf_file") file = await consumeFile(part.body, upload, MAX_FILE_BYTES, (n) => (delivered += n));
      else fields[part.name] = await part.text(MAX_FIELD_BYTES);
    }
    if (!file) p.outcome = "error: no file part";
    else if (file.size !== fileSize || file.sha256 !== expected)
      p.outcome = `**not byte-exact** (${file.size} bytes, sha256 ${file.sha256.slice(0, 12)}…)`;
    else if (upload.bytes !== fileSize) p.outcome = `error: ${upload.bytes} bytes uploaded`;
    else if (fields.title !== "Le Tour du monde en quatre-vingts jours") p.outcome = "error: wrong title field";
    else p.outcome = `ok: byte-exact, ${upload.parts} parts`;
  } catch (err) {
    p.outcome = `error: ${String(err)}`;
  }
  p.ms = performance.now() - start;
  clearInterval(timer);
  sample();
  return p;
}

async function memory(mib: number, module: string | undefined) {
  const parse = await loadParser(module);
  const gc = (globalThis as { gc?: () => void }).gc;
  if (!gc) throw new Error("run with node --expose-gc");
  const fileSize = Math.round(mib * MIB);
  const expected = expectedSha256(fileSize);
  gc();
  gc();
  const base = process.memoryUsage();
  const natural = await pass(parse, fileSize, expected, gc, false);
  gc();
  gc();
  const live = await pass(parse, fileSize, expected, gc, true);
  const r = (n: number) => Math.round((n / MIB) * 10) / 10;
  return {
    parser: module ? path.basename(module) : "ours",
    fileMiB: r(fileSize),
    outcome: natural.outcome === live.outcome ? natural.outcome : `${natural.outcome}; then ${live.outcome}`,
    seconds: Math.round(natural.ms) / 1000,
    peakHeapExternalMiB: r(natural.peak),
    heapAtPeakMiB: r(natural.heapAtPeak),
    externalAtPeakMiB: r(natural.externalAtPeak),
    peakRssMiB: r(natural.peakRss),
    baselineMiB: r(base.heapUsed + base.external),
    peakLiveMiB: r(live.peakLive),
    maxReadAheadMiB: r(Math.max(natural.maxLead, live.maxLead)),
    samples: natural.samples,
  };
}

/**
 * Parse-only MiB/s of each parser on the same pre-generated chunks (so generating them is not
 * timed), interleaved so the parsers share the machine's state, median of `runs`.
 */
async function throughput(mib: number, runs: number, modules: string[]) {
  const parsers = await Promise.all(modules.map(loadParser));
  const fileSize = Math.round(mib * MIB);
  const chunks: Uint8Array[] = [];
  const source = formBody(fileSize).stream.getReader();
  for (let r = await source.read(); !r.done; r = await source.read()) chunks.push(r.value);
  const replay = () => {
    let i = 0;
    return new ReadableStream<Uint8Array>({
      pull(c) {
        if (i < chunks.length) c.enqueue(chunks[i++]!);
        else c.close();
      },
    });
  };
  const times: number[][] = modules.map(() => []);
  const once = async (parse: Parse) => {
    const t = performance.now();
    let n = 0;
    for await (const part of parse(replay(), BOUNDARY)) {
      const reader = part.body.getReader();
      for (let r = await reader.read(); !r.done; r = await reader.read()) n += r.value.length;
    }
    if (n < fileSize) throw new Error(`parsed ${n} bytes of ${fileSize}`);
    return performance.now() - t;
  };
  // The stream machinery alone: what any parser pays to be handed the chunks.
  const readOnly = async () => {
    const t = performance.now();
    const reader = replay().getReader();
    while (!(await reader.read()).done);
    return performance.now() - t;
  };
  const readTimes: number[] = [];
  for (const parse of parsers) await once(parse); // warm-up
  for (let i = 0; i < runs; i++) {
    readTimes.push(await readOnly());
    for (let p = 0; p < parsers.length; p++) times[p]!.push(await once(parsers[p]!));
  }
  const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
  return {
    fileMiB: mib,
    runs,
    readOnlyMs: Math.round(median(readTimes)),
    parsers: modules.map((m, p) => ({
      parser: path.resolve(m) === DEFAULT_PARSER ? "ours" : path.basename(m),
      ms: Math.round(median(times[p]!)),
      mibPerSecond: Math.round((mib / (median(times[p]!) / 1000)) * 10) / 10,
    })),
  };
}

const [mode, ...rest] = process.argv.slice(2);
let result: unknown;
if (mode === "memory" && rest[0]) result = await memory(Number(rest[0]), rest[1]);
else if (mode === "throughput" && rest[0] && rest[1])
  result = await throughput(Number(rest[0]), Number(rest[1]), rest.length > 2 ? rest.slice(2) : [DEFAULT_PARSER]);
else {
  process.stderr.write("usage: upload-child.ts memory <MiB> [parser module] | throughput <MiB> <runs> <parser module>...\n");
  process.exit(2);
}
process.stdout.write(`RESULT ${JSON.stringify(result)}\n`);

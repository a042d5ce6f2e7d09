import { describe, expect, it } from "vitest";
import {
  getBoundary,
  MAX_PADDING_BYTES,
  MAX_PREAMBLE_BYTES,
  MultipartError,
  parseMultipart,
  type MultipartPart,
} from "../../worker/api/multipart";

const enc = new TextEncoder();

/** Real encoder output: what undici's FormData serialisation sends. */
async function encode(form: FormData): Promise<{ bytes: Uint8Array; boundary: string }> {
  const req = new Request("http://x/upload", { method: "POST", body: form });
  const boundary = getBoundary(req.headers.get("content-type"));
  if (!boundary) throw new Error("no boundary");
  return { bytes: new Uint8Array(await req.arrayBuffer()), boundary };
}

/** Re-chunks bytes; `size` picks each chunk's length. */
function streamOf(bytes: Uint8Array, size: () => number): ReadableStream<Uint8Array> {
  let off = 0;
  return new ReadableStream<Uint8Array>({
    pull(c) {
      if (off >= bytes.length) return c.close();
      const n = Math.max(1, size());
      c.enqueue(bytes.slice(off, off + n));
      off += n;
    },
  });
}

/** Deterministic PRNG so a failing chunking can be replayed. */
function rng(seed: number): () => number {
  let x = seed >>> 0 || 1;
  return () => {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    return (x >>> 0) / 2 ** 32;
  };
}

function indexOfBytes(hay: Uint8Array, needle: Uint8Array): number {
  outer: for (let i = 0; i + needle.length <= hay.length; i++) {
    for (let j = 0; j < needle.length; j++) if (hay[i + j] !== needle[j]) continue outer;
    return i;
  }
  return -1;
}

async function bytesOf(stream: ReadableStream<Uint8Array>): Promise<Uint8Array> {
  return new Uint8Array(await new Response(stream).arrayBuffer());
}

interface Collected {
  name: string;
  filename?: string;
  contentType?: string;
  data: Uint8Array;
}

async function collect(body: ReadableStream<Uint8Array>, boundary: string): Promise<Collected[]> {
  const out: Collected[] = [];
  for await (const p of parseMultipart(body, boundary)) {
    out.push({ name: p.name, filename: p.filename, contentType: p.contentType, data: await bytesOf(p.body) });
  }
  return out;
}

/** Binary content full of near-boundaries: CRLF, "--", "\r\n--" and the boundary's own prefix. */
function trickyBinary(boundary: string, size: number): Uint8Array {
  const rand = rng(42);
  const out = new Uint8Array(size);
  for (let i = 0; i < size; i++) out[i] = Math.floor(rand() * 256);
  const traps = ["\r\n--", "\r\n-", "\r\n\r\n", `--${boundary}`, `\r\n--${boundary.slice(0, -1)}`, "\r", "\n--"];
  for (let pos = 7, t = 0; pos < size - 80; pos += 97, t++) out.set(enc.encode(traps[t % traps.length]!), pos);
  out.set(enc.encode("%PDF-1.7\n"), 0);
  out.set(enc.encode(`\r\n--${boundary.slice(0, -1)}`), size - boundary.length - 3); // ends on a near-miss
  return out;
}

async function sampleForm(): Promise<{ bytes: Uint8Array; boundary: string; file: Uint8Array }> {
  // The boundary is unknown until encoding, so encode twice: the second file embeds it.
  const first = await encode(new FormData());
  const file = trickyBinary(first.boundary, 50_000);
  const form = new FormData();
  form.append("title", "Le Petit Prince — édition");
  form.append("pdf_file", new Blob([file as Uint8Array<ArrayBuffer>], { type: "application/pdf" }), "petit prince.pdf");
  form.append("notes", "line1\r\nline2");
  form.append("empty", "");
  const encoded = await encode(form);
  // undici boundaries share a 21-char prefix, so the traps are near-misses of the real one.
  expect(indexOfBytes(file, enc.encode(`\r\n--${encoded.boundary.slice(0, 21)}`))).toBeGreaterThan(0);
  return { ...encoded, file };
}

function expectSample(parts: Collected[], file: Uint8Array): void {
  expect(parts.map((p) => p.name)).toEqual(["title", "pdf_file", "notes", "empty"]);
  expect(new TextDecoder().decode(parts[0]!.data)).toBe("Le Petit Prince — édition");
  expect(parts[0]!.filename).toBeUndefined();
  expect(parts[1]!.filename).toBe("petit prince.pdf");
  expect(parts[1]!.contentType).toBe("application/pdf");
  expect(parts[1]!.data.length).toBe(file.length);
  expect(indexOfBytes(parts[1]!.data, file)).toBe(0); // same length, so equal
  expect(new TextDecoder().decode(parts[2]!.data)).toBe("line1\r\nline2");
  expect(parts[3]!.data.length).toBe(0);
}

describe("getBoundary", () => {
  it("reads quoted and unquoted boundaries, case-insensitively", () => {
    expect(getBoundary("multipart/form-data; boundary=abc123")).toBe("abc123");
    expect(getBoundary('Multipart/Form-Data; charset=utf-8; BOUNDARY="a b:c"')).toBe("a b:c");
    expect(getBoundary("multipart/form-data;boundary=----WebKitFormBoundaryX")).toBe("----WebKitFormBoundaryX");
  });

  it("rejects other types and bad boundaries", () => {
    expect(getBoundary(null)).toBeNull();
    expect(getBoundary("application/pdf")).toBeNull();
    expect(getBoundary("multipart/mixed; boundary=abc")).toBeNull();
    expect(getBoundary("multipart/form-data")).toBeNull();
    expect(getBoundary('multipart/form-data; boundary=""')).toBeNull();
    expect(getBoundary(`multipart/form-data; boundary=${"x".repeat(71)}`)).toBeNull();
    expect(getBoundary("multipart/form-data; xboundary=abc")).toBeNull();
  });
});

describe("parseMultipart", () => {
  it("parses FormData output delivered in one chunk", async () => {
    const { bytes, boundary, file } = await sampleForm();
    expectSample(
      await collect(
        streamOf(bytes, () => bytes.length),
        boundary,
      ),
      file,
    );
  });

  it("parses FormData output delivered one byte at a time", async () => {
    const { bytes, boundary, file } = await sampleForm();
    expectSample(
      await collect(
        streamOf(bytes, () => 1),
        boundary,
      ),
      file,
    );
  });

  it.each([1, 2, 3, 4, 5, 6, 7, 8])("parses random chunk sizes (seed %i)", async (seed) => {
    const { bytes, boundary, file } = await sampleForm();
    const rand = rng(seed);
    const max = seed % 2 ? 7 : 5000; // tiny chunks stress edges, larger ones the fast path
    expectSample(
      await collect(
        streamOf(bytes, () => Math.ceil(rand() * max)),
        boundary,
      ),
      file,
    );
  });

  it("splits at every possible position of a two-chunk body", async () => {
    const { bytes, boundary } = await encode(
      (() => {
        const f = new FormData();
        f.append("a", "x\r\n-");
        f.append("b", new Blob([enc.encode("\r\n--")]), "b.bin");
        return f;
      })(),
    );
    for (let cut = 1; cut < bytes.length; cut++) {
      const sizes = [cut, bytes.length];
      let i = 0;
      const parts = await collect(
        streamOf(bytes, () => sizes[i++]!),
        boundary,
      );
      expect(parts.map((p) => new TextDecoder().decode(p.data))).toEqual(["x\r\n-", "\r\n--"]);
    }
  });

  it("keeps content that is one byte short of the delimiter", async () => {
    const content = "a\r\n--BOUNDAR\r\n--BOUNDAR-ish is not it\r\n--BOUNDAR";
    const raw = `--BOUNDARY\r\nContent-Disposition: form-data; name="f"; filename="f"\r\n\r\n${content}\r\n--BOUNDARY--\r\n`;
    for (const size of [1, 2, 3, 11, 1000]) {
      const parts = await collect(
        streamOf(enc.encode(raw), () => size),
        "BOUNDARY",
      );
      expect(new TextDecoder().decode(parts[0]!.data)).toBe(content);
    }
  });

  it("accepts a preamble, transport padding and an epilogue", async () => {
    const raw = "preamble\r\n--B  \t\r\nContent-Disposition: form-data; name=x\r\n\r\nhello\r\n--B--\r\nepilogue";
    const parts = await collect(
      streamOf(enc.encode(raw), () => 3),
      "B",
    );
    expect(parts).toHaveLength(1);
    expect(parts[0]!.name).toBe("x");
    expect(new TextDecoder().decode(parts[0]!.data)).toBe("hello");
  });

  it("bounds the preamble and the padding: a body made of either is refused, not read to its end", async () => {
    const body = "\r\nContent-Disposition: form-data; name=x\r\n\r\nhello\r\n--B--";
    // Up to the caps they are accepted.
    const fits = `${"p".repeat(MAX_PREAMBLE_BYTES - 2)}\r\n--B${" ".repeat(MAX_PADDING_BYTES)}${body}`;
    expect(
      await collect(
        streamOf(enc.encode(fits), () => 4096),
        "B",
      ),
    ).toHaveLength(1);
    for (const raw of [`${"p".repeat(MAX_PREAMBLE_BYTES + 10)}\r\n--B${body}`, `--B${" ".repeat(MAX_PADDING_BYTES + 1)}${body}`]) {
      // The rest of the stream (a gigabyte, say) is never asked for once the cap is passed.
      let pulled = 0;
      const bytes = enc.encode(raw);
      const endless = new ReadableStream<Uint8Array>({
        pull(controller) {
          controller.enqueue(
            pulled * 4096 < bytes.length ? bytes.subarray(pulled * 4096, (pulled + 1) * 4096) : enc.encode(" ".repeat(4096)),
          );
          pulled++;
        },
      });
      const err = await collect(endless, "B").catch((e: unknown) => e);
      expect(err).toBeInstanceOf(MultipartError);
      expect((err as MultipartError).code).toBe("limit");
      expect(pulled).toBeLessThan(10);
    }
  });

  it("decodes escaped names and keeps Windows paths", async () => {
    const raw =
      '--B\r\nContent-Disposition: form-data; name="a%22b"; filename="C:\\dir\\f.pdf"\r\n\r\n1\r\n' +
      '--B\r\ncontent-disposition: form-data; name="q\\"t"\r\nX-Extra: 1\r\n\r\n2\r\n--B--';
    const parts: MultipartPart[] = [];
    for await (const p of parseMultipart(
      streamOf(enc.encode(raw), () => 5),
      "B",
    )) {
      parts.push(p);
      await p.text();
    }
    expect(parts[0]!.name).toBe('a"b');
    expect(parts[0]!.filename).toBe("C:\\dir\\f.pdf");
    expect(parts[1]!.name).toBe('q"t');
    expect(parts[1]!.headers["x-extra"]).toBe("1");
  });

  it("reads names and filenames beyond Latin-1 as the browser sent them (UTF-8)", async () => {
    // French titles use ’ (U+2019) and — (U+2014); a parser that only accepts Latin-1 in a
    // quoted parameter loses the whole Content-Disposition, and the file with it.
    const form = new FormData();
    form.append("pdf_file", new Blob(["%PDF-1.4"], { type: "application/pdf" }), "L’Étranger — Camus 📖.pdf");
    form.append("titre_œuvre", "x");
    const { bytes, boundary } = await encode(form);
    const parts = await collect(
      streamOf(bytes, () => 7),
      boundary,
    );
    expect(parts.map((p) => [p.name, p.filename])).toEqual([
      ["pdf_file", "L’Étranger — Camus 📖.pdf"],
      ["titre_œuvre", undefined],
    ]);
  });

  it("does not read the body ahead of a slow consumer", async () => {
    // Backpressure: a Worker streams 100 MiB through 128 MB only if the parser waits for
    // the part's reader (which waits for R2) instead of queueing the body in memory.
    const CHUNK = 16 * 1024;
    const file = new Uint8Array(2 * 1024 * 1024).fill(0x41);
    const { bytes, boundary } = await encode(
      (() => {
        const f = new FormData();
        f.append("pdf_file", new Blob([file]), "a.pdf");
        return f;
      })(),
    );
    let pulled = 0;
    const body = new ReadableStream<Uint8Array>(
      {
        pull(c) {
          if (pulled >= bytes.length) return c.close();
          c.enqueue(bytes.slice(pulled, pulled + CHUNK));
          pulled += CHUNK;
        },
      },
      { highWaterMark: 0 },
    );
    let delivered = 0;
    let lead = 0;
    for await (const p of parseMultipart(body, boundary)) {
      const reader = p.body.getReader();
      for (let r = await reader.read(); !r.done; r = await reader.read()) {
        delivered += r.value.length;
        // A slow consumer: the parser gets many turns to read ahead if it would.
        for (let i = 0; i < 20; i++) await new Promise((resolve) => setImmediate(resolve));
        lead = Math.max(lead, pulled - delivered);
      }
    }
    expect(delivered).toBe(file.length);
    // A few chunks at most (ours: the one being parsed); without backpressure, most of the 2 MiB.
    expect(lead).toBeLessThanOrEqual(256 * 1024);
  });

  it("skips a part body that was cancelled or left unread", async () => {
    const { bytes, boundary } = await sampleForm();
    const names: string[] = [];
    let notes = "";
    for await (const p of parseMultipart(
      streamOf(bytes, () => 1000),
      boundary,
    )) {
      names.push(p.name);
      if (p.name === "pdf_file") await p.body.cancel();
      if (p.name === "notes") notes = await p.text();
    }
    expect(names).toEqual(["title", "pdf_file", "notes", "empty"]);
    expect(notes).toBe("line1\r\nline2");
  });

  it("text() enforces its size limit", async () => {
    const raw = `--B\r\nContent-Disposition: form-data; name=x\r\n\r\n${"y".repeat(100)}\r\n--B--`;
    const run = async () => {
      for await (const p of parseMultipart(
        streamOf(enc.encode(raw), () => 10),
        "B",
      ))
        await p.text(50);
    };
    await expect(run()).rejects.toMatchObject({ name: "MultipartError", code: "limit" });
  });
});

describe("parseMultipart on malformed bodies", () => {
  const cases: Array<[string, string, RegExp]> = [
    ["empty body", "", /No boundary/],
    ["no boundary at all", "just some text", /No boundary/],
    ["missing closing boundary", "--B\r\nContent-Disposition: form-data; name=x\r\n\r\nhello", /ended inside part "x"/],
    ["ends after a boundary", "--B\r\nContent-Disposition: form-data; name=x\r\n\r\nhi\r\n--B", /right after a boundary/],
    ["part without headers", "--B\r\n\r\nhello\r\n--B--", /no headers/],
    ["ends inside headers", "--B\r\nContent-Disposition: form-data; na", /inside the headers/],
    ["no content-disposition", "--B\r\nContent-Type: text/plain\r\n\r\nx\r\n--B--", /Content-Disposition/],
    ["disposition without name", "--B\r\nContent-Disposition: form-data\r\n\r\nx\r\n--B--", /Content-Disposition/],
    ["header line without colon", "--B\r\nContent-Disposition form-data\r\n\r\nx\r\n--B--", /malformed header/],
    ["garbage after boundary", "--B\r\nContent-Disposition: form-data; name=x\r\n\r\nx\r\n--Bzz\r\n", /line break/],
  ];

  it.each(cases)("%s", async (_label, raw, message) => {
    for (const size of [1, 4, 1000]) {
      const run = collect(
        streamOf(enc.encode(raw), () => size),
        "B",
      );
      await expect(run).rejects.toBeInstanceOf(MultipartError);
      await expect(
        collect(
          streamOf(enc.encode(raw), () => size),
          "B",
        ),
      ).rejects.toThrow(message);
    }
  });

  it("surfaces a truncated body through the part's stream", async () => {
    const { bytes, boundary } = await sampleForm();
    const cut = bytes.slice(0, Math.floor(bytes.length * 0.6));
    await expect(
      collect(
        streamOf(cut, () => 333),
        boundary,
      ),
    ).rejects.toBeInstanceOf(MultipartError);
  });

  it("caps the part-header size", async () => {
    const raw = `--B\r\nContent-Disposition: form-data; name=x\r\nX-Big: ${"a".repeat(20_000)}\r\n\r\nx\r\n--B--`;
    await expect(
      collect(
        streamOf(enc.encode(raw), () => 64),
        "B",
      ),
    ).rejects.toThrow(/exceed 16384 bytes/);
  });

  it("caps the header size even when the header block never ends", async () => {
    let sent = 0;
    const endless = new ReadableStream<Uint8Array>({
      pull(c) {
        c.enqueue(enc.encode(sent++ === 0 ? "--B\r\nX: " : "aaaaaaaa"));
      },
    });
    await expect(collect(endless, "B")).rejects.toThrow(/exceed/);
  });

  it("caps the number of parts", async () => {
    const part = "--B\r\nContent-Disposition: form-data; name=x\r\n\r\nv\r\n";
    const ok = `${part.repeat(50)}--B--`;
    expect(
      await collect(
        streamOf(enc.encode(ok), () => 100),
        "B",
      ),
    ).toHaveLength(50);
    const tooMany = `${part.repeat(51)}--B--`;
    await expect(
      collect(
        streamOf(enc.encode(tooMany), () => 100),
        "B",
      ),
    ).rejects.toThrow(/More than 50 parts/);
  });

  it("rejects an invalid boundary argument", async () => {
    await expect(
      collect(
        streamOf(enc.encode("x"), () => 1),
        "",
      ),
    ).rejects.toBeInstanceOf(MultipartError);
  });

  it("cancels the input when the consumer stops early", async () => {
    let cancelled = false;
    const { bytes, boundary } = await sampleForm();
    let off = 0;
    const body = new ReadableStream<Uint8Array>({
      pull(c) {
        if (off >= bytes.length) return c.close();
        c.enqueue(bytes.slice(off, off + 100));
        off += 100;
      },
      cancel() {
        cancelled = true;
      },
    });
    for await (const p of parseMultipart(body, boundary)) {
      if (p.name === "title") break;
    }
    expect(cancelled).toBe(true);
  });
});

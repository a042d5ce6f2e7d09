// Bounds what pdf.js may decompress: run by `postinstall` (npm install, npm ci) on the pdf.js
// build that unpdf ships (node_modules/unpdf/dist/pdfjs.mjs), which the Worker, the CLI, the
// tests and the web app all load.
//
// pdf.js decodes a PDF's streams (page contents, fonts, CMaps, object streams) lazily, into a
// buffer that doubles as it grows and holds the whole decoded stream: a 10 MB FlateDecode
// stream of zeros grows it to gigabytes, inside one synchronous call, out of anyone's reach.
// No option of pdf.js bounds it, and its stream classes are not exported, so the three places
// where decoded bytes are allocated call a guard first: `globalThis.__fntDecodeGuard(stream,
// bytes)` (worker/pipeline/decode-guard.ts), which throws once a stream or a page has decoded
// more than the server allows, before the bytes are allocated:
//   - DecodeStream.ensureBuffer: every filter pdf.js decodes synchronously (Flate, LZW,
//     RunLength, ASCII85, ASCIIHex, predictors, CCITT) and a page's array of content streams;
//   - DecodeStream.asyncGetBytesFromDecompressionStream: the platform's DecompressionStream,
//     which pdf.js uses for Flate and Brotli where it can (CMaps, images);
//   - the Brotli decoder's output loop (BrotliDecode, PDF 2.0), which decodes a stream whole.
// Without a guard installed the patched code behaves as before. Idempotent; fails the install
// loudly when the build it expects is not there (a new unpdf: redo the patch against it).
import { readFileSync, writeFileSync } from "node:fs";
import { fileURLToPath } from "node:url";

const MARK = "/* fnt:decode-guard v1 */";
const G = "globalThis.__fntDecodeGuard";

const PATCHES = [
  {
    what: "DecodeStream.ensureBuffer",
    from: "let s=this.minBufferLength;for(;s<e;)s*=2;const i=new Uint8Array(s);return i.set(n),this.buffer=i}",
    to: `let s=this.minBufferLength;for(;s<e;)s*=2;${G}?.(this,s-n.byteLength);const i=new Uint8Array(s);return i.set(n),this.buffer=i}`,
  },
  {
    what: "DecodeStream.asyncGetBytesFromDecompressionStream",
    from: "for await(const c of s)r.push(c),o+=c.byteLength;",
    to: `for await(const c of s){${G}?.(this,c.byteLength);r.push(c),o+=c.byteLength}`,
  },
  {
    what: "BrotliDecode's output loop",
    from: "if(U.push(ke),D.output=ke,D.outputOffset=0,D.outputLength=16384,D.outputUsed=0,Te(D),$+=D.outputUsed,",
    to: "if(B?.onOutput?.(16384),U.push(ke),D.output=ke,D.outputOffset=0,D.outputLength=16384,D.outputUsed=0,Te(D),$+=D.outputUsed,",
  },
  {
    what: "BrotliStream.readBlock",
    from: "readBlock(){const e=this.stream.getBytes(),n=rb(new Int8Array(e.buffer,e.byteOffset,e.length));",
    to: `readBlock(){const e=this.stream.getBytes(),n=rb(new Int8Array(e.buffer,e.byteOffset,e.length),{onOutput:k=>${G}?.(this,k)});`,
  },
];

const file = fileURLToPath(import.meta.resolve("unpdf/pdfjs"));
let src = readFileSync(file, "utf8");
if (src.startsWith(MARK)) {
  console.log(`patch-pdfjs: ${file} already patched`);
  process.exit(0);
}
if (src.startsWith("/* fnt:decode-guard")) {
  console.error(`patch-pdfjs: ${file} carries an older patch: reinstall unpdf (npm ci), which runs this again`);
  process.exit(1);
}
for (const p of PATCHES) {
  const count = p.count ?? 1;
  const found = typeof p.from === "string" ? src.split(p.from).length - 1 : (src.match(p.from) ?? []).length;
  if (found !== count) {
    console.error(
      `patch-pdfjs: ${p.what} found ${found} times (expected ${count}) in ${file}: unpdf's pdf.js build changed, redo scripts/patch-pdfjs.mjs`,
    );
    process.exit(1);
  }
  src = typeof p.from === "string" ? src.replace(p.from, () => p.to) : src.replace(p.from, p.to);
}
writeFileSync(file, `${MARK}\n${src}`);
console.log(`patch-pdfjs: ${file} patched (${PATCHES.length} places)`);

/** The first `size` bytes of `chunks` as one array (the chunk itself when there is just one of that size). */
export function joinBytes(chunks: readonly Uint8Array[], size = chunks.reduce((n, c) => n + c.byteLength, 0)): Uint8Array {
  if (chunks.length === 1 && chunks[0]!.length === size) return chunks[0]!;
  const out = new Uint8Array(size);
  let at = 0;
  for (const c of chunks) {
    if (at >= size) break;
    const n = Math.min(c.length, size - at);
    out.set(c.subarray(0, n), at);
    at += n;
  }
  return out;
}

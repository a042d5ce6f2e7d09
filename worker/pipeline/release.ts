/**
 * Frees the memory of bytes the caller is done with now, instead of at V8's next garbage
 * collection: detaches their buffer (every view of it is empty afterwards).
 *
 * V8 collects a dead ArrayBuffer's memory only once some tens of MiB of such external
 * memory have piled up, so a step that reads PDFs one after another (the parts of a book, a
 * scan's page ranges) would otherwise hold the dead ones beside the live one: a scan sent in
 * 3 parts of 24 MiB peaked at 97–110 MiB that way, 80 MiB with its parts released
 * (`npm run bench:memory`). Only bytes that own their whole buffer are released; a view
 * into a larger buffer (shared with something else) and a buffer that cannot be detached are
 * left alone. Where the runtime lacks `ArrayBuffer.prototype.transfer` it does nothing.
 */
export function release(bytes: Uint8Array): void {
  const buf = bytes.buffer as ArrayBuffer & { transfer?: (length?: number) => ArrayBuffer; detached?: boolean };
  if (typeof buf.transfer !== "function" || buf.detached) return;
  if (bytes.byteOffset !== 0 || bytes.byteLength !== buf.byteLength) return;
  try {
    buf.transfer(0);
  } catch {
    // Not detachable (a WebAssembly memory, a buffer the runtime pinned): the GC frees it.
  }
}

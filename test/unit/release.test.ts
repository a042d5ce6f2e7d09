import { describe, expect, it } from "vitest";
import { release } from "../../worker/pipeline/release";

describe("release", () => {
  it("empties bytes that own their whole buffer, at once", () => {
    const bytes = new Uint8Array(1 << 20).fill(7);
    const buffer = bytes.buffer;
    release(bytes);
    expect(bytes.byteLength).toBe(0);
    expect(buffer.byteLength).toBe(0);
    expect((buffer as ArrayBuffer & { detached: boolean }).detached).toBe(true);
    release(bytes); // twice: nothing more to do, no error
    expect(bytes.byteLength).toBe(0);
  });

  it("leaves a view into a larger buffer alone: the rest of it belongs to somebody else", () => {
    const whole = new Uint8Array(1024).fill(1);
    const view = whole.subarray(100, 200);
    release(view);
    expect(view.byteLength).toBe(100);
    expect(whole.byteLength).toBe(1024);
    expect(whole[150]).toBe(1);
  });

  it("leaves a buffer alone where it cannot be detached", () => {
    const memory = new WebAssembly.Memory({ initial: 1 });
    const bytes = new Uint8Array(memory.buffer);
    release(bytes);
    expect(bytes.byteLength).toBe(65536);
    const shared = new Uint8Array(new SharedArrayBuffer(64));
    release(shared);
    expect(shared.byteLength).toBe(64);
  });
});

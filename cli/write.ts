import { once } from "node:events";

/** Writes with backpressure, so a slow reader does not make us buffer a whole book twice. */
export async function write(stream: NodeJS.WritableStream, text: string): Promise<void> {
  if (!stream.write(text)) await once(stream, "drain");
}

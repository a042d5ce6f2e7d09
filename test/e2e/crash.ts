import type { FakeGemini } from "../fake-gemini/server";
import { finalJob, getJson, signIn, startStack, upload, waitFor, type Stack } from "./stack";

/** What a crash mid-job left and how the job ended once the stack was back. */
export interface Crash {
  /** The job when the stack was killed. */
  before: any;
  /** The job at its end, after the restart. */
  done: any;
  /** The restarted stack (stop() it). */
  stack: Stack;
  token: string;
  /** ms from the kill to the stack answering again. */
  upMs: number;
  /** ms from the stack answering again to the first model call after the restart (the chunks sent again). */
  resentMs: number | null;
  /** ms from the stack answering again to the job's end. */
  endMs: number;
  /** Model calls made after the kill. */
  callsAfter: number;
}

/**
 * Starts a stack on the fake Gemini, uploads `pdf`, kills the stack (SIGKILL, as a crash would:
 * its queue messages and model calls lost with it) once `ready` says the job is under way, starts
 * it again on the same state, and waits for the job to end.
 */
export async function crashMidJob(
  fake: FakeGemini,
  env: Record<string, string>,
  pdf: Uint8Array,
  ready: (job: any) => boolean,
  timeoutMs: number,
): Promise<Crash> {
  let stack = await startStack(env);
  const state = stack.state;
  try {
    const token = await signIn(stack.url, "crash@example.com");
    const res = await upload(stack.url, token, pdf, "book.pdf");
    if (res.status !== 202) throw new Error(`upload answered ${res.status}`);
    const id = ((await res.json()) as { id: string }).id;
    let last: unknown;
    const before = await waitFor(
      async () => {
        const { body } = await getJson(`${stack.url}/api/v1/jobs/${id}`, token);
        last = body;
        return body.status === "processing" && ready(body) ? body : undefined;
      },
      timeoutMs,
      "the job to be under way",
    ).catch((err) => {
      throw new Error(`${err.message}: ${JSON.stringify(last)}`);
    });
    await stack.kill();
    const callsBefore = fake.stats().total;
    const killed = Date.now();
    stack = await startStack(env, { state });
    const up = Date.now();
    const done = await finalJob(stack, token, id, timeoutMs, "the job to end after the restart");
    const endMs = Date.now() - up;
    // The first model call after the restart: when the lost chunks were sent again (to the second).
    const resent = fake.stats().windows.find((w) => w.start_ms >= killed)?.start_ms;
    return {
      before,
      done,
      stack,
      token,
      upMs: up - killed,
      resentMs: resent === undefined ? null : Math.max(0, resent - up),
      endMs,
      callsAfter: fake.stats().total - callsBefore,
    };
  } catch (err) {
    await stack.stop();
    throw err;
  }
}

import { afterAll, beforeAll, beforeEach } from "vitest";
import { startFakeGemini, type FakeGemini } from "../fake-gemini/server";

/** The fake Gemini server for one test file: started once, reset before each test, closed after. */
export function useFakeGemini(): FakeGemini {
  let current: FakeGemini | undefined;
  beforeAll(async () => {
    current = await startFakeGemini();
  });
  afterAll(async () => {
    await current?.close();
  });
  beforeEach(() => current!.control({ reset: true }));
  // Read through to the running server, which exists only once beforeAll has run.
  return new Proxy({} as FakeGemini, { get: (_target, key) => current![key as keyof FakeGemini] });
}

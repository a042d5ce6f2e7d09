/**
 * A job's stored result, written once it ends completed or partial: its sentences (with their
 * facts) and their lemmas in R2; the inputs of its done chunks deleted (failed ones stay for a retry).
 */
import type { JobResult } from "../../../schema/api";
import { AnalysisWriter } from "../../learning/stored";
import { withFacts, type StoredResult } from "../../pipeline/facts";
import { deleteKeys } from "../files";
import { analysisKey, chunkKey, resultKey, scanPagesKey } from "../keys";
import type { DoneChunk } from "./result";

const JSON_TYPE = { httpMetadata: { contentType: "application/json" } };

/** Writes the result `merge` gives (its sentences' lemmas go to the writer it is handed); returns it. */
export async function storeResult(
  env: Env,
  jobId: string,
  done: DoneChunk[],
  merge: (analysis: AnalysisWriter) => StoredResult,
): Promise<JobResult> {
  // Each sentence's word count and verb, once, for every reader of the stored result; its
  // lemmas beside it, for learning runs (none kept: a run tags the job, as for an older one).
  const writer = new AnalysisWriter();
  const merged = merge(writer);
  const result: JobResult = { ...merged, sentences: merged.sentences.map(withFacts) };
  const analysis = writer.done();
  await Promise.all([
    env.FILES.put(resultKey(jobId), JSON.stringify(result), JSON_TYPE),
    analysis ? env.FILES.put(analysisKey(jobId), JSON.stringify(analysis), JSON_TYPE) : env.FILES.delete(analysisKey(jobId)),
  ]);
  await deleteKeys(
    env.FILES,
    done.flatMap(({ n }) => [chunkKey(jobId, n), scanPagesKey(jobId, n)]),
  );
  return result;
}

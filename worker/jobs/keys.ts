/** Where a job's files live in R2; everything of a job sits under one of two prefixes. */
export const sourceKey = (jobId: string) => `uploads/${jobId}/source.pdf`;
/** Page `page` (1-based) of a job uploaded as page images. */
export const pageImageKey = (jobId: string, page: number, ext: string) => `uploads/${jobId}/pages/${page}.${ext}`;
/** The list of a job's page images, in order: its presence is what makes the job an image job. */
export const pageImagesKey = (jobId: string) => `uploads/${jobId}/pages.json`;
export const chunkKey = (jobId: string, n: number) => `jobs/${jobId}/chunks/${n}.json`;
/** The page range of a scan that one chunk reads, as a small PDF of its own. */
export const scanPagesKey = (jobId: string, n: number) => `jobs/${jobId}/chunks/${n}.pdf`;
export const resultKey = (jobId: string) => `jobs/${jobId}/result.json`;
/** Written when a plan attempt begins, deleted when it ends however it ends: found by the next attempt, the earlier one died (worker/jobs/queues/plan.ts). */
export const planAttemptKey = (jobId: string) => `jobs/${jobId}/plan-attempt.json`;
/** Its sentences' lemmas for learning runs (worker/learning/stored.ts), written with the result. */
export const analysisKey = (jobId: string) => `jobs/${jobId}/analysis.json`;
/** What a finished job's tracker leaves when it lets go (worker/jobs/release.ts): enough to retry its failed pages. */
export const trackerStateKey = (jobId: string) => `jobs/${jobId}/tracker.json`;
/** What the reader uploaded; expired by the cron a while after the job ends. */
export const uploadsPrefix = (jobId: string) => `uploads/${jobId}/`;
/** What the job made (chunks, the result); its upload is under `uploadsPrefix`, which jobs processed again share. */
export const jobPrefix = (jobId: string) => `jobs/${jobId}/`;
/** Where a job's files are: its book (the upload it came with, for a job processed again) and what it made. */
export const jobPrefixes = (jobId: string, sourceJobId?: string | null) => [uploadsPrefix(sourceJobId ?? jobId), jobPrefix(jobId)];
/**
 * Part `n` of a book sent in parts. One request per part: each sending gets its own `tag`, so
 * a part sent again never overwrites the file the job's record still points to.
 */
export const partKey = (jobId: string, n: number, tag?: string) => `uploads/${jobId}/parts/${n}${tag ? `-${tag}` : ""}.pdf`;

/** Where a job's files live in R2; everything of a job sits under one of two prefixes. */
export const sourceKey = (jobId: string) => `uploads/${jobId}/source.pdf`;
export const chunkKey = (jobId: string, n: number) => `jobs/${jobId}/chunks/${n}.json`;
/** The page range of a scan that one chunk reads, as a small PDF of its own. */
export const scanPagesKey = (jobId: string, n: number) => `jobs/${jobId}/chunks/${n}.pdf`;
export const resultKey = (jobId: string) => `jobs/${jobId}/result.json`;
export const jobPrefixes = (jobId: string) => [`uploads/${jobId}/`, `jobs/${jobId}/`];

/** The migration file names wrangler would apply, in order. */
export function migrationNames(root: string): string[];
/** Whether the local D1 database under `persist` has every migration applied. */
export function migrationsUpToDate(root: string, persist: string): Promise<boolean>;

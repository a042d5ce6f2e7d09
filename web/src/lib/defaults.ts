// My defaults (/api/v1/settings) through the typed client: what the upload form starts from,
// the word list the learning page preselects. Only the contract's types come from schema/.
import type { Defaults, DefaultsUpdate } from "../../../schema/defaults";
import { api, ok } from "./api";

export type { Defaults };

export const getDefaults = (): Promise<Defaults> => ok(api.GET("/api/v1/settings"));

/** Saves my defaults (what is saved is replaced: send what should stay). */
export const saveDefaults = (body: DefaultsUpdate): Promise<Defaults> => ok(api.PUT("/api/v1/settings", { body }));

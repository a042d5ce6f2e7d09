/** What the tracker's parts share: its state, its storage and environment, and how it reports a change. */
import type { ProgressEvent } from "../../../schema/api";
import type { StoredResult } from "../../pipeline/facts";
import { config } from "../../core/config";
import { nowIso } from "../../core/db";
import { progressEvent, snapshot, type Snapshot } from "./progress";
import { failedPages, mergeResult, type LemmaSink } from "./result";
import { type RowValues, type StatusRow, writeRow } from "./row";
import { broadcast, closeAll } from "./sockets";
import type { TrackerStore } from "./store";
import type { Counts, Meta } from "./types";

export class Tracked {
  constructor(
    readonly ctx: DurableObjectState,
    readonly env: Env,
    readonly store: TrackerStore,
  ) {}

  meta(): Meta | null {
    return this.store.meta();
  }

  requireMeta(): Meta {
    const m = this.store.meta();
    if (!m) throw new Error("job tracker used before register()");
    return m;
  }

  save = (m: Meta): void => this.store.saveMeta(m);

  /** The job as it now stands, from one count of its chunks; a Gemini job's ETA from its pace (./progress.ts). */
  snap(m: Meta, c: Counts): Snapshot {
    const now = Date.now();
    if (!this.env.GEMINI_API_KEY || m.status !== "processing") return snapshot(m, c, now);
    const { GEMINI_RPM: rpm, GEMINI_TPM: tpm } = config(this.env);
    return snapshot(m, c, now, { ...this.store.pace(now), rpm, tpm });
  }

  /** Updates the job's D1 row (a status change through the lifecycle's table). */
  row(values: RowValues | StatusRow): Promise<void> {
    return writeRow(this.env, this.requireMeta().job_id, values);
  }

  /** Logs an event and sends it to every socket; figures from the counts given (one count per change), or the snapshot already made of them. */
  emit(
    type: ProgressEvent["type"],
    step?: string,
    extra: Partial<ProgressEvent> = {},
    c = this.store.counts(),
    s = this.snap(this.requireMeta(), c),
  ): void {
    const body = progressEvent(type, s, nowIso(), step, extra);
    const seq = this.store.addEvent(body);
    broadcast(this.ctx, this.env, JSON.stringify({ seq, ...body }), Date.now());
  }

  /** The finished chunks' sentences in order; `analysis`, when given, gets each one's lemmas. */
  merge(m: Meta, analysis?: LemmaSink): StoredResult {
    return mergeResult(m, this.store.doneChunks(), failedPages(this.store.failedRanges()), analysis);
  }

  /** Closes every socket, deletes the alarm and all the storage: the tracker is empty again. */
  async clear(reason: string): Promise<void> {
    await closeAll(this.ctx, this.env, reason);
    await this.ctx.storage.deleteAlarm();
    await this.ctx.storage.deleteAll();
    this.store.ready = false;
  }
}

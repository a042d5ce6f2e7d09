import { env, SELF } from "cloudflare:test";
import { unzipSync } from "fflate";
import { describe, expect, it } from "vitest";
import { sessionFor } from "./http";
import { result, startedJob } from "./jobs";

const call = (token: string, path: string, init: RequestInit = {}) =>
  SELF.fetch(`http://localhost/api/v1/${path}`, {
    ...init,
    headers: { authorization: `Bearer ${token}`, ...(typeof init.body === "string" ? { "content-type": "application/json" } : {}) },
  });

async function finishedJob(owner: string, sentences: string[]) {
  const { id, t } = await startedJob([[1, 1]], owner);
  await t.chunkDone(0, result(...sentences));
  return id;
}

/** The anki file's notes: column → value, the `#` headers left out. */
function ankiRows(text: string) {
  const lines = text.trimEnd().split("\n");
  const columns = lines
    .find((l) => l.startsWith("#columns:"))!
    .slice("#columns:".length)
    .split("\t");
  return lines.filter((l) => !l.startsWith("#")).map((l) => Object.fromEntries(l.split("\t").map((v, i) => [columns[i], v])));
}

const ZIP = [0x50, 0x4b, 0x03, 0x04];

describe("Anki and Excel exports", () => {
  it("anki: headers, deck and tags after the book, GUIDs that stay through an edit", async () => {
    const id = await finishedJob("ex1", ["Le chat dort.", "Il pleut\tdehors.", "=1+1 fait deux."]);
    await env.DB.prepare("UPDATE jobs SET original_filename = 'Le Petit Prince.pdf' WHERE id = ?").bind(id).run();
    const token = await sessionFor("ex1");
    const r = await call(token, `jobs/${id}/result?format=anki`);
    expect(r.status).toBe(200);
    expect(r.headers.get("content-type")).toBe("text/plain; charset=utf-8");
    expect(r.headers.get("content-disposition")).toContain('filename="Le Petit Prince.anki.txt"');
    const before = await r.text();
    expect(before.split("\n").slice(0, 3)).toEqual(["#separator:tab", "#html:false", "#notetype:French Novel Tool"]);
    const rows = ankiRows(before);
    expect(rows.map((row) => row.Sentence)).toEqual(["Le chat dort.", "Il pleut dehors.", "=1+1 fait deux."]);
    expect(rows[0]).toMatchObject({ Page: "1", Deck: "Le Petit Prince", Tags: "fnt Le_Petit_Prince", Original: "" });
    expect(new Set(rows.map((row) => row.GUID)).size).toBe(3);

    expect(
      (await call(token, `jobs/${id}/sentences/0`, { method: "PATCH", body: JSON.stringify({ text: "Le chat dort bien." }) })).status,
    ).toBe(200);
    const after = ankiRows(await (await call(token, `jobs/${id}/result?format=anki`)).text());
    expect(after[0]!.Sentence).toBe("Le chat dort bien.");
    expect(after.map((row) => row.GUID)).toEqual(rows.map((row) => row.GUID));
  });

  it("xlsx and apkg: their content types, names and zip bytes", async () => {
    const id = await finishedJob("ex2", ["Une phrase.", "Deux phrases."]);
    const token = await sessionFor("ex2");
    const xlsx = await call(token, `jobs/${id}/result?format=xlsx`);
    expect(xlsx.status).toBe(200);
    expect(xlsx.headers.get("content-type")).toBe("application/vnd.openxmlformats-officedocument.spreadsheetml.sheet");
    expect(xlsx.headers.get("content-disposition")).toMatch(/\.xlsx"/);
    const xbytes = new Uint8Array(await xlsx.arrayBuffer());
    expect([...xbytes.subarray(0, 4)]).toEqual(ZIP);
    expect(new TextDecoder().decode(unzipSync(xbytes)["xl/worksheets/sheet1.xml"])).toContain("Deux phrases.");

    const apkg = await call(token, `jobs/${id}/result?format=apkg`);
    expect(apkg.status, await apkg.clone().text()).toBe(200);
    expect(apkg.headers.get("content-type")).toBe("application/vnd.anki");
    expect(apkg.headers.get("content-disposition")).toMatch(/\.apkg"/);
    const abytes = new Uint8Array(await apkg.arrayBuffer());
    expect([...abytes.subarray(0, 4)]).toEqual(ZIP);
    const files = unzipSync(abytes);
    expect(Object.keys(files).sort()).toEqual(["collection.anki2", "media"]);
    expect(new TextDecoder().decode(files["collection.anki2"]!.subarray(0, 15))).toBe("SQLite format 3");
    // The notes hold the anki file's GUIDs (the database stores them as plain text).
    const db = new TextDecoder("latin1").decode(files["collection.anki2"]);
    for (const row of ankiRows(await (await call(token, `jobs/${id}/result?format=anki`)).text())) expect(db).toContain(row.GUID);
  });

  it("apkg over MAX_APKG_NOTES: 413 export_too_large, pointing to the anki file and the CLI", async () => {
    const id = await finishedJob(
      "ex4",
      Array.from({ length: 30_001 }, (_, i) => `P${i}.`),
    );
    const token = await sessionFor("ex4");
    const r = await call(token, `jobs/${id}/result?format=apkg`);
    expect(r.status).toBe(413);
    const body = (await r.json()) as any;
    expect(body.error.code).toBe("export_too_large");
    expect(body.error.message).toMatch(/format=anki.*--format apkg/);
  }, 120_000);

  it("a learning set's anki export has its sentences' job GUIDs; xlsx and apkg are zips", async () => {
    const job = await finishedJob("ex3", ["Le chat mange la souris.", "Le petit chat dort dans la maison.", "Il mange une pomme rouge."]);
    await env.DB.prepare("UPDATE jobs SET original_filename = 'Contes.pdf' WHERE id = ?").bind(job).run();
    const token = await sessionFor("ex3");
    const list = (await (
      await call(token, "wordlists", {
        method: "POST",
        body: JSON.stringify({ name: "l", words: ["chat", "souris", "maison", "pomme", "rouge"] }),
      })
    ).json()) as any;
    const created = (await (
      await call(token, "learning-sets", { method: "POST", body: JSON.stringify({ job_ids: [job], wordlist_id: list.id }) })
    ).json()) as any;
    let set: any;
    for (let i = 0; i < 200 && set?.status !== "completed"; i++) {
      await new Promise((r) => setTimeout(r, 50));
      set = await (await call(token, `learning-sets/${created.id}`)).json();
    }
    expect(set.status).toBe("completed");
    const { sentences } = (await (await call(token, `learning-sets/${set.id}/sentences`)).json()) as any;
    expect(sentences.length).toBeGreaterThan(0);

    const jobRows = ankiRows(await (await call(token, `jobs/${job}/result?format=anki`)).text());
    const r = await call(token, `learning-sets/${set.id}/export?format=anki`);
    expect(r.headers.get("content-type")).toBe("text/plain; charset=utf-8");
    const rows = ankiRows(await r.text());
    expect(rows).toHaveLength(sentences.length);
    rows.forEach((row, i) => {
      const s = sentences[i];
      expect(row).toMatchObject({
        Sentence: s.text,
        "New words": s.new_words.join(" "),
        Deck: "Learning set — Contes",
        Tags: "fnt Contes",
      });
      expect(row.GUID).toBe(jobRows[s.index]!.GUID);
    });
    for (const format of ["xlsx", "apkg"]) {
      const file = await call(token, `learning-sets/${set.id}/export?format=${format}`);
      expect(file.status).toBe(200);
      expect([...new Uint8Array(await file.arrayBuffer()).subarray(0, 4)]).toEqual(ZIP);
    }
  });
});

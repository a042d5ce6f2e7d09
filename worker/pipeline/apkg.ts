/**
 * An Anki package (.apkg): a zip of `collection.anki2`, an SQLite database in the legacy schema
 * 11 that every Anki since 2.1 imports, and `media` (`{}`: no media). One note a sentence in the
 * export's deck, of the note type "French Novel Tool" (ANKI_FIELDS; the card shows the sentence,
 * its back the original, new words and page), the GUIDs of the text export (worker/pipeline/anki.ts).
 *
 * The database is written with sql.js (SQLite compiled to wasm, MIT); each caller passes the
 * sql.js it loaded its own way (the Worker from a wasm module, the CLI from node_modules), and
 * the zip is made by fflate (MIT).
 */
import { sha1 } from "@noble/hashes/legacy.js";
import { zipSync } from "fflate";

export const APKG_TYPE = "application/vnd.anki";
import type { SqlJsStatic } from "sql.js";
import { ANKI_FIELDS, ANKI_NOTETYPE, deckName, type AnkiDeck, bookTag } from "./anki";

/** Anki's ids are milliseconds; a stable one (from a name) keeps the same note type and deck on every import. */
function stableId(name: string): number {
  const h = sha1(new TextEncoder().encode(name));
  // 40 bits above 2^40 (~2004 in milliseconds): never 1 (the default deck), always a safe integer.
  return 2 ** 40 + ((h[0]! * 2 ** 32 + ((h[1]! << 24) >>> 0) + (h[2]! << 16) + (h[3]! << 8) + h[4]!) % 2 ** 40);
}

/** The note type's id: the same in every package, so Anki keeps one note type for all the imports. */
export const NOTETYPE_ID = stableId(`notetype:${ANKI_NOTETYPE}:${ANKI_FIELDS.join("|")}`);

/** What Anki stores: HTML. The text file says `#html:false`, which makes Anki escape the same way. */
const escapeHtml = (s: string) => s.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;");

/** The sort field's checksum: the first 8 hex digits of SHA-1 of the first field, as Anki computes it. */
function checksum(field: string): number {
  const h = sha1(new TextEncoder().encode(field));
  return ((h[0]! << 24) >>> 0) + (h[1]! << 16) + (h[2]! << 8) + h[3]!;
}

const SCHEMA = `
CREATE TABLE col (id integer primary key, crt integer not null, mod integer not null, scm integer not null, ver integer not null,
  dty integer not null, usn integer not null, ls integer not null, conf text not null, models text not null, decks text not null,
  dconf text not null, tags text not null);
CREATE TABLE notes (id integer primary key, guid text not null, mid integer not null, mod integer not null, usn integer not null,
  tags text not null, flds text not null, sfld integer not null, csum integer not null, flags integer not null, data text not null);
CREATE TABLE cards (id integer primary key, nid integer not null, did integer not null, ord integer not null, mod integer not null,
  usn integer not null, type integer not null, queue integer not null, due integer not null, ivl integer not null, factor integer not null,
  reps integer not null, lapses integer not null, left integer not null, odue integer not null, odid integer not null, flags integer not null,
  data text not null);
CREATE TABLE revlog (id integer primary key, cid integer not null, usn integer not null, ease integer not null, ivl integer not null,
  lastIvl integer not null, factor integer not null, time integer not null, type integer not null);
CREATE TABLE graves (usn integer not null, oid integer not null, type integer not null);
CREATE INDEX ix_notes_usn on notes (usn);
CREATE INDEX ix_cards_usn on cards (usn);
CREATE INDEX ix_revlog_usn on revlog (usn);
CREATE INDEX ix_cards_nid on cards (nid);
CREATE INDEX ix_cards_sched on cards (did, queue, due);
CREATE INDEX ix_revlog_cid on revlog (cid);
CREATE INDEX ix_notes_csum on notes (csum);
`;

const CSS =
  ".card { font-family: Georgia, serif; font-size: 24px; text-align: center; color: black; background-color: white; }\n.meta { font-size: 16px; color: #666; }";
const FRONT = "{{Sentence}}";
const BACK =
  '{{FrontSide}}\n<hr id=answer>\n{{#Original}}<div class="meta">{{Original}}</div>{{/Original}}\n' +
  '{{#New words}}<div class="meta">{{New words}}</div>{{/New words}}\n<div class="meta">p. {{Page}}</div>';

function collectionJson(deckId: number, name: string, nowSecs: number) {
  const deck = (id: number, deckName: string) => ({
    id,
    name: deckName,
    mod: nowSecs,
    usn: -1,
    desc: "",
    dyn: 0,
    conf: 1,
    collapsed: false,
    browserCollapsed: false,
    extendNew: 0,
    extendRev: 0,
    newToday: [0, 0],
    revToday: [0, 0],
    lrnToday: [0, 0],
    timeToday: [0, 0],
  });
  const model = {
    id: NOTETYPE_ID,
    name: ANKI_NOTETYPE,
    type: 0,
    mod: nowSecs,
    usn: -1,
    sortf: 0,
    did: deckId,
    tags: [],
    vers: [],
    css: CSS,
    latexPre:
      "\\documentclass[12pt]{article}\n\\special{papersize=3in,5in}\n\\usepackage[utf8]{inputenc}\n\\usepackage{amssymb,amsmath}\n\\pagestyle{empty}\n\\setlength{\\parindent}{0in}\n\\begin{document}\n",
    latexPost: "\\end{document}",
    latexsvg: false,
    flds: ANKI_FIELDS.map((f, ord) => ({ name: f, ord, sticky: false, rtl: false, font: "Arial", size: 20, media: [] })),
    tmpls: [{ name: "Reading", ord: 0, qfmt: FRONT, afmt: BACK, bqfmt: "", bafmt: "", did: null }],
    req: [[0, "any", [0]]],
  };
  const dconf = {
    id: 1,
    name: "Default",
    mod: 0,
    usn: 0,
    maxTaken: 60,
    autoplay: true,
    timer: 0,
    replayq: true,
    dyn: false,
    new: { bury: true, delays: [1, 10], initialFactor: 2500, ints: [1, 4, 7], order: 1, perDay: 20, separate: true },
    lapse: { delays: [10], leechAction: 0, leechFails: 8, minInt: 1, mult: 0 },
    rev: { bury: true, ease4: 1.3, fuzz: 0.05, ivlFct: 1, maxIvl: 36500, minSpace: 1, perDay: 200 },
  };
  const conf = {
    activeDecks: [1],
    curDeck: 1,
    newSpread: 0,
    collapseTime: 1200,
    timeLim: 0,
    estTimes: true,
    dueCounts: true,
    curModel: String(NOTETYPE_ID),
    nextPos: 1,
    sortType: "noteFld",
    sortBackwards: false,
    addToCur: true,
  };
  return {
    conf: JSON.stringify(conf),
    models: JSON.stringify({ [NOTETYPE_ID]: model }),
    decks: JSON.stringify({ 1: deck(1, "Default"), [deckId]: deck(deckId, name) }),
    dconf: JSON.stringify({ 1: dconf }),
  };
}

/**
 * The package's bytes. `now` (milliseconds) dates the notes: Anki updates an existing note of the
 * same GUID when the imported one is newer, so a later export replaces an earlier one's text.
 */
export function buildApkg(SQL: SqlJsStatic, deck: AnkiDeck, now = Date.now()): Uint8Array<ArrayBuffer> {
  const name = deckName(deck.name);
  const deckId = stableId(`deck:${name}`);
  const nowSecs = Math.floor(now / 1000);
  const db = new SQL.Database();
  try {
    db.exec(SCHEMA);
    const j = collectionJson(deckId, name, nowSecs);
    db.run("INSERT INTO col VALUES (1, ?, ?, ?, 11, 0, 0, 0, ?, ?, ?, ?, '{}')", [nowSecs, now, now, j.conf, j.models, j.decks, j.dconf]);
    const note = db.prepare("INSERT INTO notes VALUES (?, ?, ?, ?, -1, ?, ?, ?, ?, 0, '')");
    const card = db.prepare("INSERT INTO cards VALUES (?, ?, ?, 0, ?, -1, 0, 0, ?, 0, 0, 0, 0, 0, 0, 0, 0, '')");
    db.exec("BEGIN");
    deck.notes.forEach((n, i) => {
      const fields = ANKI_FIELDS.map((f) => escapeHtml(n.fields[f] ?? ""));
      const tags = ` ${n.tags.map(bookTag).join(" ")} `;
      // Ids: milliseconds, one apart (Anki gives an imported note a new id when one is taken).
      note.run([now + i, n.guid, NOTETYPE_ID, nowSecs, tags, fields.join("\x1f"), fields[0]!, checksum(fields[0]!)]);
      card.run([now + i, now + i, deckId, nowSecs, i + 1]);
    });
    db.exec("COMMIT");
    note.free();
    card.free();
    const collection = db.export();
    return zipSync({ "collection.anki2": collection, media: new TextEncoder().encode("{}") }, { level: 6 }) as Uint8Array<ArrayBuffer>;
  } finally {
    db.close();
  }
}

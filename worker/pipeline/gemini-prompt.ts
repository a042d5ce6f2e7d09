import { Type, type Schema } from "@google/genai";
import type { JobSettings } from "../../schema/settings";

/**
 * What Gemini is asked, and in which shape it must answer. Paragraphs go in and come out
 * with their index, so each sentence keeps the page and paragraph it came from even when
 * the model rewrites it.
 */

export interface PromptParagraph {
  index: number;
  text: string;
}

/** The request: the chunk as JSON, so the text is never confused with instructions. */
export function userText(paragraphs: readonly PromptParagraph[]): string {
  return JSON.stringify({ paragraphs });
}

/** {"paragraphs": [{<key>, "sentences"}]}: each paragraph tagged by its index (text) or page (scan). */
function paragraphsSchema(key: "index" | "page"): Schema {
  return {
    type: Type.OBJECT,
    properties: {
      paragraphs: {
        type: Type.ARRAY,
        items: {
          type: Type.OBJECT,
          properties: {
            [key]: { type: Type.INTEGER },
            sentences: { type: Type.ARRAY, items: { type: Type.STRING } },
          },
          required: [key, "sentences"],
          propertyOrdering: [key, "sentences"],
        },
      },
    },
    required: ["paragraphs"],
  };
}

export const RESPONSE_SCHEMA = paragraphsSchema("index");

/** The `paragraphs` list of an answer, or null when the answer is not JSON of that shape. */
export function paragraphList(text: string): Array<Record<string, unknown>> | null {
  let data: unknown;
  try {
    data = JSON.parse(text);
  } catch {
    return null;
  }
  const list = (data as { paragraphs?: unknown })?.paragraphs;
  return Array.isArray(list) ? (list as Array<Record<string, unknown>>) : null;
}

const TEXT_TASK = `You cut the text of a French novel into sentences for readers learning French.

Input: JSON {"paragraphs": [{"index", "text"}]}, consecutive paragraphs of the book, in order.
Output: JSON {"paragraphs": [{"index", "sentences"}]} with exactly one entry per input paragraph, with the same index, in the same order; "sentences" lists that paragraph's sentences in reading order.`;

const SENTENCES = `How French sentences end:
- A sentence ends at « . », « ! », « ? » or « … » (also written « ... ») when a new sentence follows.
- No sentence ends after a title or an abbreviation (M., MM., Mme, Mlle, Dr, Mgr, St-, cf., etc. before a lowercase word, p., chap.), after an initial (V. Hugo, J.-J. Rousseau) or inside a number (3.5).
- « ? » or « ! » followed by a lowercase incise does not end the sentence: « Tu viens ? » demanda-t-il. is one sentence; so is « Ah ! que c'est beau ! ».
- Closing guillemets « » », quotation marks and brackets stay with the sentence they close.
- A line of dialogue introduced by a dash (« — » or « -- ») starts a new sentence; keep the dash.
- Keep every word of the text, in order. Never translate, summarize, modernize the spelling, correct the grammar or add words, except where a rule below asks for a rewrite.`;

/** The system instruction for one job's settings: every setting is a rule. */
export function systemInstruction(s: JobSettings): string {
  return `${TEXT_TASK}\n\n${SENTENCES}\n\nRules for this book:\n${rules(s).join("\n")}`;
}

function rules(s: JobSettings): string[] {
  const out: string[] = [];
  const limit = s.sentence_length_limit;
  if (limit > 0) {
    out.push(
      `- Length: a sentence of more than ${limit} words must be rewritten as several shorter, grammatical French sentences of at most ${limit} words each. Cut at clause boundaries (after « ; » or « : », before « et », « mais », « car », « puis », a relative pronoun), repeat the subject or restore a verb when a piece needs one, and keep every idea, the tense, the tone and the order. Do not drop information and do not summarize. Sentences of ${limit} words or fewer are copied unchanged.`,
    );
    if (s.ignore_dialogue) {
      out.push(
        "- Dialogue (words inside « » or a line introduced by « — » or « -- ») is never rewritten or shortened, whatever its length: copy it unchanged.",
      );
    }
  } else {
    out.push("- Do not rewrite: copy each sentence exactly as it appears; your only task is to cut the text into sentences.");
    if (s.ignore_dialogue) out.push("- Dialogue (inside « » or after « — ») is copied unchanged.");
  }
  if (s.min_sentence_length > 0) {
    out.push(
      `- Minimum length: a sentence of fewer than ${s.min_sentence_length} words is joined to the previous sentence of the same paragraph (to the next one when it comes first), keeping its punctuation. Never join across paragraphs.`,
    );
  }
  out.push(
    s.preserve_formatting
      ? "- Formatting: keep the layout inside a sentence as it is, line breaks (\\n) of verse or letters included; never move a sentence to another paragraph."
      : "- Formatting: inside a sentence, write line breaks and runs of spaces as one space.",
  );
  out.push(
    s.fix_hyphenation
      ? "- Hyphenation: a word cut at a line end by a hyphen and a space (« impor- tant », « pas- ser ») is written whole (« important », « passer »); real compounds keep their hyphen (« peut-être », « c'est-à-dire », « dit-il »)."
      : "- Hyphens: keep every hyphen exactly as in the text, even in a word cut at a line end.",
  );
  return out;
}

// ---- scans: pages as images, read by the model -------------------------------------

const SCAN_TASK = `You read scanned pages of a French novel and cut their text into sentences for readers learning French.

Input: a PDF of consecutive pages of the book (images, no text layer) and JSON {"first_page", "last_page"}: the book's page numbers of the PDF's first and last page.
Output: JSON {"paragraphs": [{"page", "sentences"}]}: the book's paragraphs in reading order, each with the book page it starts on and its sentences in reading order.
- Transcribe the book's text exactly as printed. Leave out running headers and footers, page numbers, chapter titles and anything that is not the text of the book (stamps, library marks).
- A paragraph that goes on from the previous page or on to the next one is given as it appears on these pages; do not guess the missing part.`;

export const SCAN_RESPONSE_SCHEMA = paragraphsSchema("page");

export function scanInstruction(s: JobSettings): string {
  return `${SCAN_TASK}\n\n${SENTENCES}\n\nRules for this book:\n${rules(s).join("\n")}`;
}

// Accent- and case-insensitive search: "ete" finds "été", as a French reader expects.
const foldChar = (c: string) =>
  c
    .normalize("NFD")
    .replace(/\p{Diacritic}/gu, "")
    .toLowerCase();

export const fold = (s: string) => Array.from(s, foldChar).join("");

/** Splits `text` into plain and matching parts, matching on folded text but keeping the original letters. */
export function highlight(text: string, query: string): { text: string; match: boolean }[] {
  const q = fold(query.trim());
  if (!q) return [{ text, match: false }];
  const chars = Array.from(text);
  // folded position → index of the original character it came from
  const origin: number[] = [];
  let folded = "";
  chars.forEach((c, i) => {
    const f = foldChar(c);
    folded += f;
    for (let k = 0; k < f.length; k++) origin.push(i);
  });
  const parts: { text: string; match: boolean }[] = [];
  let from = 0;
  for (let at = folded.indexOf(q); at >= 0; at = folded.indexOf(q, at + q.length)) {
    const start = origin[at];
    const end = origin[at + q.length - 1] + 1;
    if (start < from) continue;
    if (start > from) parts.push({ text: chars.slice(from, start).join(""), match: false });
    parts.push({ text: chars.slice(start, end).join(""), match: true });
    from = end;
  }
  if (from < chars.length) parts.push({ text: chars.slice(from).join(""), match: false });
  return parts;
}

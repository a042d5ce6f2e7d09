/** Page progress on stderr: a redrawn bar on a terminal, a line per 10% in logs. */
export interface Progress {
  page(done: number, total: number): void;
  end(summary: string): void;
}

const BAR = 30;
// Short books finish before a progress line could help anyone reading a log.
const LOG_MIN_PAGES = 20;

/** `unit` names what is counted ("pages" while reading a PDF, "chunks" while a server works). */
export function makeProgress(stream: NodeJS.WriteStream, quiet: boolean, unit = "pages"): Progress {
  if (quiet) return { page() {}, end() {} };
  const started = performance.now();
  if (!stream.isTTY) {
    let lastTenth = 0;
    return {
      page(done, total) {
        const tenth = Math.floor((10 * done) / total);
        if (total < LOG_MIN_PAGES || tenth === lastTenth || done === total) return;
        lastTenth = tenth;
        stream.write(`${unit === "pages" ? "reading pages" : unit}: ${done}/${total} (${tenth * 10}%)\n`);
      },
      end: (summary) => stream.write(`${summary}\n`),
    };
  }
  let lastDraw = 0;
  let drawn = false;
  return {
    page(done, total) {
      const now = performance.now();
      // Redrawing a terminal line for each of 500 fast pages costs more than the pages.
      if (done < total && now - lastDraw < 80) return;
      lastDraw = now;
      drawn = true;
      const filled = Math.round((BAR * done) / total);
      const secs = ((now - started) / 1000).toFixed(1);
      stream.write(`\r[${"#".repeat(filled)}${"-".repeat(BAR - filled)}] ${done}/${total} ${unit} ${secs}s`);
    },
    end(summary) {
      stream.write(`${drawn ? "\r\x1b[K" : ""}${summary}\n`);
    },
  };
}

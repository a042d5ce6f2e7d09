import { execFileSync, spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { PDFDocument } from "pdf-lib";
import { describe, expect, it } from "vitest";
import { PipelineError } from "../../worker/pipeline/errors";
import { imageDimensions, imagesToPdf, MAX_IMAGE_PIXELS, pngAsPdfImage, sniffImage } from "../../worker/pipeline/images";
import { JPEG_18x25, makePng, type PngKind } from "../fixtures/images";

const hasPdftoppm = spawnSync("pdftoppm", ["-v"]).status === 0;

/** Page `page` of `pdf` rendered at 72 dpi by poppler, as raw grey pixels (PGM body). */
function renderGray(pdf: Uint8Array, page: number): { width: number; height: number; pixels: Uint8Array } {
  const dir = mkdtempSync(path.join(tmpdir(), "fnt-render-"));
  try {
    writeFileSync(path.join(dir, "in.pdf"), pdf);
    execFileSync("pdftoppm", [
      "-gray",
      "-r",
      "72",
      "-f",
      String(page),
      "-l",
      String(page),
      "-singlefile",
      path.join(dir, "in.pdf"),
      path.join(dir, "out"),
    ]);
    const pgm = readFileSync(path.join(dir, "out.pgm"));
    const m = /^P5\s+(\d+)\s+(\d+)\s+255\s/.exec(pgm.subarray(0, 40).toString("latin1"))!;
    return { width: Number(m[1]), height: Number(m[2]), pixels: new Uint8Array(pgm.subarray(m[0].length)) };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

describe("page images", () => {
  it("are told apart by content", async () => {
    expect(sniffImage(await makePng(2, 2))).toBe("png");
    expect(sniffImage(JPEG_18x25)).toBe("jpg");
    expect(sniffImage(new TextEncoder().encode("GIF89a"))).toBeNull();
    expect(sniffImage(new TextEncoder().encode("%PDF-1.7"))).toBeNull();
    expect(sniffImage(new Uint8Array([0xff, 0xd8]))).toBeNull();
  });

  it("grey, RGB and palette PNGs go into the PDF as they are; transparency is decoded", async () => {
    expect(pngAsPdfImage(await makePng(3, 3, "gray"))).not.toBeNull();
    expect(pngAsPdfImage(await makePng(3, 3, "rgb"))).not.toBeNull();
    expect(pngAsPdfImage(await makePng(3, 3, "palette"))).not.toBeNull();
    expect(pngAsPdfImage(await makePng(3, 3, "rgba"))).toBeNull();
  });

  it("make one PDF page per image, in order, each the size of its image", async () => {
    const kinds: PngKind[] = ["gray", "rgb", "palette", "rgba"];
    const images = [
      ...(await Promise.all(kinds.map(async (k, i) => ({ bytes: await makePng(40 + i, 30, k, i), type: "png" as const, page: i + 1 })))),
      { bytes: JPEG_18x25, type: "jpg" as const, page: 5 },
    ];
    const doc = await PDFDocument.load(await imagesToPdf(images));
    expect(doc.getPages().map((p) => [p.getWidth(), p.getHeight()])).toEqual([
      [40, 30],
      [41, 30],
      [42, 30],
      [43, 30],
      [18, 25],
    ]);
  });

  it("a damaged image is a PipelineError naming its page and file", async () => {
    const png = await makePng(10, 10);
    await expect(imagesToPdf([{ bytes: png.subarray(0, 30), type: "png", page: 7, filename: "p7.png" }])).rejects.toThrow(
      new PipelineError("invalid_image", "Page 7 (p7.png) could not be read as a PNG image. It may be damaged."),
    );
    await expect(imagesToPdf([{ bytes: Uint8Array.of(0xff, 0xd8, 0xff, 0, 1, 2), type: "jpg", page: 2 }])).rejects.toThrow(
      "Page 2 could not be read as a JPEG image. It may be damaged.",
    );
  });

  it.skipIf(!hasPdftoppm)("pages render to the pixels of their images (poppler)", async () => {
    // Each generated page is light with a 3-row dark band from row (seed * 7) % height: 14 to 16
    // here (poppler's smoothing blurs its edges, so the middle row is checked).
    for (const [i, kind] of (["gray", "rgb", "palette", "rgba"] as const).entries()) {
      const pdf = await imagesToPdf([{ bytes: await makePng(40, 30, kind, 2), type: "png", page: 1 }]);
      const { width, height, pixels } = renderGray(pdf, 1);
      expect([width, height], kind).toEqual([40, 30]);
      const row = (y: number) => pixels[y * width + 20]!;
      expect(row(15), `${kind} band`).toBeLessThan(60);
      expect(row(0), `${kind} page`).toBeGreaterThan(180);
      expect(row(29), `${kind} page ${i}`).toBeGreaterThan(180);
    }
  });
});

describe("imageDimensions reads the size from the header, without decoding", () => {
  it("PNG (IHDR) and JPEG (the first frame marker, past APPn segments)", async () => {
    expect(imageDimensions(await makePng(31, 17), "png")).toEqual({ width: 31, height: 17 });
    expect(imageDimensions(await makePng(3, 200, "rgba"), "png")).toEqual({ width: 3, height: 200 });
    expect(imageDimensions(JPEG_18x25, "jpg")).toEqual({ width: 18, height: 25 });
    // An APP1 segment (say EXIF) before the frame is skipped by its length.
    const app1 = Uint8Array.from([0xff, 0xe1, 0x00, 0x06, 0x45, 0x78, 0x69, 0x66]);
    const withExif = new Uint8Array([...JPEG_18x25.subarray(0, 2), ...app1, ...JPEG_18x25.subarray(2)]);
    expect(imageDimensions(withExif, "jpg")).toEqual({ width: 18, height: 25 });
    expect(imageDimensions(new Uint8Array([0xff, 0xd8, 0xff, 0xe0, 0x00]), "jpg")).toBeNull();
    expect(imageDimensions(new Uint8Array(12), "png")).toBeNull();
    expect(MAX_IMAGE_PIXELS).toBe(50_000_000);
  });
});

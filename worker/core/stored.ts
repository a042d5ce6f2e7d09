/** What an upload stored in R2, as the jobs that read it know it. */
import type { ImageType } from "../pipeline/images";

export interface StoredImage {
  page: number;
  key: string;
  type: ImageType;
  /** As uploaded, cleaned; "" when the part had none. */
  filename: string;
  size: number;
  /** Hex SHA-256 of the image's bytes. */
  sha256: string;
}

/** A PDF stored from an upload: a whole book, or part `n` of one. */
export interface StoredFile {
  n: number;
  key: string;
  /** As uploaded, cleaned ("document.pdf" when it had none). */
  filename: string;
  size: number;
  /** Hex SHA-256 of the file's bytes. */
  sha256: string;
}

/** Error codes a reader can be shown; each has a plain-words message. */
export type PipelineErrorCode =
  | "encrypted_pdf"
  | "invalid_pdf"
  | "no_text_layer"
  | "empty_document"
  | "too_many_pages"
  | "too_much_text"
  | "sentence_too_long"
  | "invalid_image"
  | "pages_outside_book"
  | "pdf_stream_too_large"
  | "too_many_text_items"
  | "cpu_time_exceeded";

/** A failure caused by the document itself: retrying will not help. */
export class PipelineError extends Error {
  constructor(
    readonly code: PipelineErrorCode,
    message: string,
  ) {
    super(message);
    this.name = "PipelineError";
  }
}

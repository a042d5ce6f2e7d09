/** The UD French gold files of the shared corpus (../shared/corpus/lemmas), by role. */
export const GOLD_FILES = {
  train: "fr_sequoia-ud-train.conllu",
  heldOut: ["fr_sequoia-ud-dev.conllu", "fr_sequoia-ud-test.conllu", "fr_gsd-ud-dev.conllu"],
} as const;

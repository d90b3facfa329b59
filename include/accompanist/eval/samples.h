// Reading generated samples (SPEC section 9): DIR/samples.jsonl, one JSON
// object a line with "index" (the pair's index in the split), "source",
// "reference" and "generated" (BPE token id lists), as `accompanist generate`
// writes them. A line may also carry "tokenizer_sha256", and DIR/meta.json
// may hold {"tokenizer_sha256": ...}; when present it must match the corpus's
// tokenizer (check_samples).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "accompanist/tokenizer/vocabulary.h"

namespace acc::eval {

struct Sample {
  int64_t index = 0;  // pair index in the split
  tokenizer::TokenSeq source, reference, generated;
  std::string tokenizer_sha256;  // from the line, or empty
  int64_t line = 0;              // 1-based line in samples.jsonl (0 when not read from a file)
};

struct SampleSet {
  std::string path;              // the samples.jsonl read
  std::string meta_path;         // DIR/meta.json when it exists, else empty
  std::string tokenizer_sha256;  // from meta.json, or empty
  std::vector<Sample> samples;
};

// Reads DIR/samples.jsonl (and DIR/meta.json when it exists). Blank lines are
// skipped. Throws acc::Error("<path>[:<line>]", reason) for a missing
// directory or file, a line that is not a JSON object with the four keys, ids
// that are not integers in 0..65535, and a file without samples.
SampleSet read_samples(const std::string& dir);

// Checks every id against the vocabulary and the recorded tokenizer hashes
// against the corpus's. Throws acc::Error("<path>:<line>", reason).
void check_samples(const SampleSet& set, size_t vocab_size, const std::string& corpus_tokenizer_sha256);

// The part of a sequence the decoder sees: a leading BOS is dropped, the
// sequence ends at the first EOS, and PAD ids are removed.
tokenizer::TokenSeq strip_special(const tokenizer::TokenSeq& ids);

}  // namespace acc::eval

// What generation writes (SPEC section 9): per sample a MIDI file with the
// source, generated and reference parts as named tracks with their family's
// program, and a samples.jsonl line with the token ids; the counts of grammar
// errors and unrepairable sequences (thesis 4) over the generated parts as
// tokenizer::decode_part decodes them (malformed note groups dropped).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "accompanist/midi/families.h"
#include "accompanist/midi/song.h"
#include "accompanist/tokenizer/tokenizer.h"

namespace acc::generate {

// Totals over a run, written to meta.json and logged.
struct GenerationCounts {
  int64_t samples = 0;
  int64_t generated_tokens = 0;  // BPE ids (primed ones included), EOS not counted
  int64_t primed_tokens = 0;
  int64_t ended_eos = 0;  // stopped at EOS rather than the token limit
  int64_t grammar_errors = 0;
  int64_t unrepairable = 0;  // samples (or windows) whose generated part decodes to no note
  int64_t generated_notes = 0;
  double grammar_error_rate() const {
    return generated_tokens > 0 ? double(grammar_errors) / double(generated_tokens) : 0.0;
  }
  nlohmann::ordered_json to_json() const;
};

// One track of an output file.
struct TrackSpec {
  std::string name;  // "source (piano)", ...
  int program = 0;
  int channel = 0;
  std::vector<midi::Note> notes;  // at the song's resolution
};

// The first program of family in families (0 for an unknown family).
int family_program(const std::string& family, const midi::FamilyPrograms& families);

// A format-1 song at tpq 384 with one part per track, in order (the writer
// puts part i in track i + 1, after the conductor track).
midi::Song make_output_song(const std::vector<TrackSpec>& tracks, const std::vector<midi::TempoChange>& tempos = {},
                            const std::vector<midi::TimeSignature>& time_signatures = {});

// One samples.jsonl line: {"index", "source", "reference", "generated",
// "tokenizer_sha256"} (no trailing newline).
std::string sample_line(int64_t index, const tokenizer::TokenSeq& source, const tokenizer::TokenSeq& reference,
                        const tokenizer::TokenSeq& generated, const std::string& tokenizer_sha256);

// "0007.mid" style names (at least 4 digits).
std::string sample_file_name(int64_t index, const std::string& extension);

}  // namespace acc::generate

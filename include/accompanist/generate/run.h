// `accompanist generate` as a library call: checks the checkpoint and the
// corpus against each other, picks the sources (corpus pairs or a MIDI file),
// generates, and writes DIR/NNNN.mid, DIR/samples.jsonl and DIR/meta.json
// (SPEC section 9), optionally rendering for listening (--render wav):
// NNNN.generated.wav (source + generated part) and NNNN.reference.wav (source +
// reference), 44100 Hz 16-bit stereo, peak normalised to -1 dBFS.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "accompanist/generate/generator.h"
#include "accompanist/generate/output.h"

namespace acc::generate {

struct GenerateRunOptions {
  std::string checkpoint;  // complete checkpoint directory (model.pt, model.yaml, tokenizer.json, COMPLETE)
  std::string out;         // output directory (created)
  // Corpus pairs: --corpus with --split and one of --count (random, from the seed) or --indices.
  std::string corpus;
  std::string split = "valid";
  int64_t count = 0;
  std::string indices;  // "3,7,9"
  // A MIDI file: its source part (the direction's source family, or --part TRACK:CHANNEL).
  std::string midi;
  std::string part;
  std::string direction;  // default: the checkpoint's (corpus.json), else the corpus's
  GenerationOptions generation;
  // -1: from the checkpoint (1 when its training targets play one note at a
  // time, see run_defaults.h); else generation.max_notes_per_onset is this.
  int max_notes_per_onset = -1;
  std::string render;  // "" or "wav"
  std::string fluidsynth = "/usr/bin/fluidsynth";
  std::string soundfont = "/usr/share/sounds/sf2/FluidR3_GM.sf2";
  bool progress = true;
};

struct GenerateRunSummary {
  GenerationCounts counts;
  double seconds = 0;       // generation only (model load and file writing excluded)
  double tokens_per_s = 0;  // generated tokens (primed ones excluded) per second
  std::vector<std::string> midi_files;
  std::vector<std::string> wav_files;  // the mixes rendered (empty when the renderer is missing)
  std::string meta_path;
};

// Throws acc::Error("<what>", why) on bad options or input; files are written
// atomically and meta.json last.
GenerateRunSummary run_generate(const GenerateRunOptions& options);

// The checkpoint's tokenizer.json text after checking that the checkpoint is
// complete; throws acc::Error for a missing or incomplete checkpoint.
std::string read_checkpoint_tokenizer(const std::string& checkpoint);

}  // namespace acc::generate

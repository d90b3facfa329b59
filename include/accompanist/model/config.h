// The shape of the seq2seq Transformer (SPEC section 5, thesis Table 1).
// No LibTorch here: the trainer, the apps and the FLOP estimates include it.
#pragma once

#include <cstdint>
#include <string>

#include "accompanist/util/config.h"

namespace acc::model {

// Special token ids shared with the tokenizer (SPEC section 4).
constexpr int64_t kPad = 0;
constexpr int64_t kBos = 1;
constexpr int64_t kEos = 2;

// Bar alignment between the part being written and the part it accompanies
// (docs/model.md, "Bar alignment"). Every token carries the index of the bar
// it is in (from its base REMI expansion, see bar_indices() in batch.h); these
// options use it. All off by default: the model of SPEC section 5 is unchanged.
struct BarAlignment {
  // Learned bar-index embeddings added to the source and target token
  // embeddings (src_bar_embed, tgt_bar_embed; bars past max_bars - 1 share the last row).
  bool embeddings = false;
  int64_t max_bars = 64;
  // Cross-attention of a target token in bar b sees only the source tokens of
  // bars b - window_before .. b + window_after (a hard mask). A token whose
  // window holds no source token sees the whole source.
  bool window = false;
  int64_t window_before = 0;
  int64_t window_after = 1;
  // A learned per-head cross-attention bias by bar distance (source bar minus
  // target bar, clamped to +-bias_distance): cross_attn.bar_bias [H, 2D+1].
  bool bias = false;
  int64_t bias_distance = 4;

  bool enabled() const { return embeddings || window || bias; }
  void visit(acc::util::ConfigVisitor& v);
};

// Chord ids of chord conditioning: 0 = no chord, 1 + root * 8 + quality
// (midi::kNumChordIds; the model knows no MIDI, the equality is checked where
// both are seen, in the trainer).
constexpr int64_t kChordIds = 97;

// Conditioning on the harmony of the part being accompanied (docs/model.md,
// "Chord conditioning"): the chord of every source bar, estimated from the
// source notes by the same template matching that the evaluation's harmony
// measures use, as learned embeddings (kChordIds rows) added to the token
// embeddings. Off by default: the model of SPEC section 5 is unchanged.
struct ChordConditioning {
  // src_chord_embed: every source token gets the chord of its own bar.
  bool source = false;
  // tgt_chord_embed: every decoder input position gets the chord of the
  // source bar with its bar index (0 past the source's last bar).
  bool target = false;

  bool enabled() const { return source || target; }
  void visit(acc::util::ConfigVisitor& v);
};

struct ModelConfig {
  int64_t d_model = 256;
  int64_t enc_layers = 6;
  int64_t dec_layers = 6;
  int64_t heads = 4;
  int64_t ff = 128;
  double dropout = 0.1;
  int64_t max_len = 1500;                // longest source and decoder input (truncation)
  int64_t max_relative_distance = 1500;  // R: relative embeddings cover distances -(R-1)..R-1
  int64_t vocab_size = 500;
  BarAlignment bar_alignment;
  ChordConditioning chord_conditioning;
  // Bar indices are needed by bar alignment and by chord conditioning (chords are per bar).
  bool needs_bars() const { return bar_alignment.enabled() || chord_conditioning.enabled(); }

  int64_t head_dim() const { return d_model / heads; }

  // Ranges of each key; cross-key rules are in validate().
  void visit(acc::util::ConfigVisitor& v);

  // Throws acc::Error("model config", why) when the keys do not fit together
  // (d_model not divisible by heads, vocabulary without the special ids, ...).
  void validate() const;

  // A JSON object with every key (the `config` attribute of exported weights;
  // bar_alignment and chord_conditioning only when enabled), by visit().
  std::string to_json() const;
  // Parses to_json()'s output (acc::util::from_json), then validate(); unknown
  // or missing keys and bad values are errors that name `source` and the key.
  static ModelConfig from_json(const std::string& text, const std::string& source);

  // Every key of visit() (acc::util::configs_equal).
  bool operator==(const ModelConfig& o) const;
  bool operator!=(const ModelConfig& o) const { return !(*this == o); }
};

}  // namespace acc::model

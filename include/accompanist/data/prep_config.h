// The configuration of `accompanist prep` (SPEC sections 3 and 9). Every key
// can be set in YAML or with --set; validate() checks what visit() cannot
// (cross-field rules) and names the key.
#pragma once

#include <map>
#include <string>
#include <vector>

#include "accompanist/util/config.h"

namespace acc::data {

struct PrepConfig {
  // "<source family>-><target family>"; both must be keys of families.
  std::string direction = "piano->bass";
  // Family name -> General MIDI programs (0..127). Drum channels never count.
  std::map<std::string, std::vector<int>> families = {{"piano", {0, 1, 2, 3, 4, 5, 6, 7}},
                                                      {"bass", {32, 33, 34, 35, 36, 37, 38, 39}}};
  int window_beats = 96;
  int min_notes = 1;            // per part and window (notes with pitch in [21, 108])
  std::string merge = "merge";  // several parts of a family: "merge" them or keep the "largest"

  struct Split {
    double valid = 0.05;
    double test = 0.05;
    int64_t seed = 1;
    void visit(util::ConfigVisitor& v);
  } split;

  struct Bpe {
    int vocab_size = 500;   // base ids included
    std::string tokenizer;  // reuse this tokenizer JSON instead of training one
    // false: no merged token holds a Bar followed by a Pitch (BpeTrainOptions)
    bool merge_bar_with_notes = true;
    void visit(util::ConfigVisitor& v);
  } bpe;

  struct Augment {
    std::vector<int> transpose;  // semitone shifts of the training split; empty = off
    void visit(util::ConfigVisitor& v);
  } augment;

  int threads = 0;  // 0 = all cores

  // Optional filters (off by default; the thesis used none).
  struct Filter {
    double min_notes_per_bar = 0;  // per part, averaged over the window's bars; 0 = off
    double max_notes_per_bar = 0;  // 0 = off
    int max_len = 0;               // drop pairs whose BPE source or target is longer; 0 = off
    void visit(util::ConfigVisitor& v);
  } filter;

  void visit(util::ConfigVisitor& v);

  // Throws acc::Error(source, "<key>: reason").
  void validate(const std::string& source) const;

  std::string source_family() const;
  std::string target_family() const;
};

// Loads a prep config file (empty path: defaults) with --set overrides, then validates.
PrepConfig load_prep_config(const std::string& path, const std::vector<std::string>& overrides = {});

}  // namespace acc::data

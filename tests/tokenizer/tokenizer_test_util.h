// Helpers shared by the tokenizer tests: golden JSON files and random notes.
#pragma once

#include <nlohmann/json.hpp>

#include <cstdint>
#include <fstream>
#include <random>
#include <sstream>
#include <string>
#include <vector>

#include "accompanist/midi/song.h"
#include "accompanist/tokenizer/vocabulary.h"

namespace acc::tokenizer::testing {

inline nlohmann::json load_json(const std::string& path) {
  std::ifstream in(path);
  if (!in) throw std::runtime_error("cannot open " + path);
  std::stringstream ss;
  ss << in.rdbuf();
  return nlohmann::json::parse(ss.str());
}

inline nlohmann::json load_golden(const std::string& name) {
  return load_json(std::string(ACC_SOURCE_DIR) + "/tests/reference/golden/tokenizer/" + name);
}

inline std::vector<midi::Note> notes_from_json(const nlohmann::json& j) {
  std::vector<midi::Note> notes;
  for (const auto& n : j) notes.push_back({n[0].get<int>(), n[1].get<int>(), n[2].get<int64_t>(), n[3].get<int64_t>()});
  return notes;
}

inline TokenSeq ids_from_json(const nlohmann::json& j) {
  return j.get<TokenSeq>();
}

// Random notes at tpq: onsets anywhere on 40 bars, lengths up to 16 beats,
// pitches a little past both ends of the range, chords and duplicates.
inline std::vector<midi::Note> random_notes(std::mt19937_64& rng, int tpq, int count) {
  std::uniform_int_distribution<int64_t> onset(0, int64_t(160) * tpq);
  std::uniform_int_distribution<int64_t> length(0, int64_t(2) * tpq);
  std::uniform_int_distribution<int64_t> long_length(0, int64_t(16) * tpq);
  std::uniform_int_distribution<int> pitch(15, 115), velocity(1, 127), coin(0, 9);
  std::vector<midi::Note> notes;
  for (int i = 0; i < count; ++i) {
    int64_t start = onset(rng);
    int64_t len = coin(rng) == 0 ? long_length(rng) : length(rng);
    notes.push_back({pitch(rng), velocity(rng), start, start + len});
    if (coin(rng) < 3) notes.push_back({pitch(rng), velocity(rng), start, start + len / 2});  // chord
    if (coin(rng) == 0) notes.push_back(notes.back());                                        // duplicate
  }
  return notes;
}

}  // namespace acc::tokenizer::testing

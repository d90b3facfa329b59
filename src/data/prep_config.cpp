#include "accompanist/data/prep_config.h"

#include <set>

#include "accompanist/util/error.h"

namespace acc::data {

void PrepConfig::Split::visit(util::ConfigVisitor& v) {
  v.field("valid", valid, 0.0, 1.0);
  v.field("test", test, 0.0, 1.0);
  v.field("seed", seed);
}

void PrepConfig::Bpe::visit(util::ConfigVisitor& v) {
  v.field("vocab_size", vocab_size, 197, 65536);
  v.field("tokenizer", tokenizer);
  v.field("merge_bar_with_notes", merge_bar_with_notes);
}

void PrepConfig::Augment::visit(util::ConfigVisitor& v) {
  v.field("transpose", transpose);
}

void PrepConfig::Filter::visit(util::ConfigVisitor& v) {
  v.field("min_notes_per_bar", min_notes_per_bar, 0.0, 1e6);
  v.field("max_notes_per_bar", max_notes_per_bar, 0.0, 1e6);
  v.field("max_len", max_len, 0, 1 << 30);
}

void PrepConfig::visit(util::ConfigVisitor& v) {
  v.field("direction", direction);
  v.field("families", families);
  v.field("window_beats", window_beats, 1, 1 << 20);
  v.field("min_notes", min_notes, 1, 1 << 30);
  v.field("merge", merge, {"merge", "largest"});
  v.section("split", [&] { split.visit(v); });
  v.section("bpe", [&] { bpe.visit(v); });
  v.section("augment", [&] { augment.visit(v); });
  v.field("threads", threads, 0, 4096);
  v.section("filter", [&] { filter.visit(v); });
}

std::string PrepConfig::source_family() const {
  return direction.substr(0, direction.find("->"));
}

std::string PrepConfig::target_family() const {
  size_t arrow = direction.find("->");
  return arrow == std::string::npos ? std::string() : direction.substr(arrow + 2);
}

void PrepConfig::validate(const std::string& source) const {
  auto fail = [&](const std::string& key, const std::string& why) { throw Error(source, key + ": " + why); };
  size_t arrow = direction.find("->");
  if (arrow == std::string::npos || direction.find("->", arrow + 2) != std::string::npos)
    fail("direction", "expected \"<source family>-><target family>\", got \"" + direction + "\"");
  std::string src = source_family(), tgt = target_family();
  if (src.empty() || tgt.empty()) fail("direction", "empty family name in \"" + direction + "\"");
  if (src == tgt) fail("direction", "source and target are the same family \"" + src + "\"");
  for (const std::string& f : {src, tgt})
    if (!families.count(f)) fail("direction", "family \"" + f + "\" is not defined in families");
  for (const auto& [name, programs] : families) {
    if (programs.empty()) fail("families." + name, "empty program list");
    for (int p : programs)
      if (p < 0 || p > 127) fail("families." + name, "program " + std::to_string(p) + " is outside 0..127");
  }
  std::set<int> src_programs(families.at(src).begin(), families.at(src).end());
  for (int p : families.at(tgt))
    if (src_programs.count(p))
      fail("families", "program " + std::to_string(p) + " belongs to both " + src + " and " + tgt);
  if (split.valid + split.test >= 1.0) fail("split", "valid + test must leave something for training");
  for (int t : augment.transpose)
    if (t == 0 || t < -87 || t > 87)
      fail("augment.transpose", "shift " + std::to_string(t) + " must be a non-zero number of semitones in -87..87");
  if (std::set<int>(augment.transpose.begin(), augment.transpose.end()).size() != augment.transpose.size())
    fail("augment.transpose", "repeated shift");
  if (filter.max_notes_per_bar > 0 && filter.max_notes_per_bar < filter.min_notes_per_bar)
    fail("filter", "max_notes_per_bar is below min_notes_per_bar");
}

PrepConfig load_prep_config(const std::string& path, const std::vector<std::string>& overrides) {
  PrepConfig cfg;
  util::load_config_file(cfg, path, overrides);
  cfg.validate(path.empty() ? "<defaults>" : path);
  return cfg;
}

}  // namespace acc::data

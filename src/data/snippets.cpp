#include "accompanist/data/snippets.h"

#include <algorithm>

#include "accompanist/midi/families.h"
#include "accompanist/midi/meter.h"
#include "accompanist/tokenizer/vocabulary.h"

namespace acc::data {
namespace {

bool in_remi_range(int pitch) {
  return pitch >= tokenizer::kMinPitch && pitch <= tokenizer::kMaxPitch;
}

size_t count_in_range(const std::vector<midi::Note>& notes) {
  return size_t(std::count_if(notes.begin(), notes.end(), [](const midi::Note& n) { return in_remi_range(n.pitch); }));
}

}  // namespace

std::optional<midi::Part> select_family_part(const midi::Song& song, const std::string& family,
                                             const std::map<std::string, std::vector<int>>& families,
                                             const std::string& merge) {
  std::vector<const midi::Part*> parts = midi::family_parts(song, family, families);
  // A part without notes (a program change on an unused channel) is no part.
  parts.erase(std::remove_if(parts.begin(), parts.end(), [](const midi::Part* p) { return p->notes.empty(); }),
              parts.end());
  if (parts.empty()) return std::nullopt;
  if (parts.size() == 1) return *parts[0];
  if (merge == "largest") return *midi::largest_part(parts);
  return midi::merge_parts(parts);
}

std::vector<SnippetPair> cut_windows(const std::vector<midi::Note>& source, const std::vector<midi::Note>& target,
                                     int64_t window_ticks, const PrepConfig& config, WindowStats* stats) {
  int64_t last_onset = -1;
  for (const auto* notes : {&source, &target})
    for (const midi::Note& n : *notes) last_onset = std::max(last_onset, n.start);
  if (last_onset < 0) return {};
  const size_t n_windows = size_t(last_onset / window_ticks) + 1;

  std::vector<SnippetPair> windows(n_windows);
  for (size_t w = 0; w < n_windows; ++w) windows[w].window = uint32_t(w);
  auto distribute = [&](const std::vector<midi::Note>& notes, std::vector<midi::Note> SnippetPair::*side) {
    for (const midi::Note& n : notes) {
      if (n.start < 0) continue;  // cannot happen in a file; stay safe
      size_t w = size_t(n.start / window_ticks);
      int64_t begin = int64_t(w) * window_ticks;
      midi::Note m = n;
      m.end = std::min(n.end, begin + window_ticks);
      m.start -= begin;
      m.end -= begin;
      (windows[w].*side).push_back(m);
    }
  };
  distribute(source, &SnippetPair::source);
  distribute(target, &SnippetPair::target);

  const double bars = double(config.window_beats) / midi::kBeatsPerBar;
  std::vector<SnippetPair> kept;
  WindowStats local;
  local.windows = n_windows;
  for (SnippetPair& p : windows) {
    size_t ns = count_in_range(p.source), nt = count_in_range(p.target);
    if (ns < size_t(config.min_notes) || nt < size_t(config.min_notes)) {
      ++local.dropped_sparse;
      continue;
    }
    const auto& f = config.filter;
    auto outside = [&](size_t notes) {
      double per_bar = double(notes) / bars;
      return (f.min_notes_per_bar > 0 && per_bar < f.min_notes_per_bar) ||
             (f.max_notes_per_bar > 0 && per_bar > f.max_notes_per_bar);
    };
    if (outside(ns) || outside(nt)) {
      ++local.dropped_density;
      continue;
    }
    kept.push_back(std::move(p));
  }
  if (stats) *stats = local;
  return kept;
}

SongSnippets extract_snippets(const midi::Song& song, const PrepConfig& config) {
  SongSnippets out;
  const std::string src_family = config.source_family(), tgt_family = config.target_family();
  std::optional<midi::Part> src = select_family_part(song, src_family, config.families, config.merge);
  std::optional<midi::Part> tgt = select_family_part(song, tgt_family, config.families, config.merge);
  if (!src || !tgt) {
    out.skip_reason = !src ? "no " + src_family + " part" : "no " + tgt_family + " part";
    return out;
  }
  const int64_t window_ticks = int64_t(config.window_beats) * song.ticks_per_quarter;
  out.pairs = cut_windows(src->notes, tgt->notes, window_ticks, config, &out.stats);
  if (out.pairs.empty()) out.skip_reason = "no window with both parts";
  return out;
}

std::optional<std::vector<midi::Note>> transpose_notes(const std::vector<midi::Note>& notes, int semitones) {
  std::vector<midi::Note> out;
  out.reserve(notes.size());
  for (const midi::Note& n : notes) {
    if (!in_remi_range(n.pitch)) continue;  // the tokenizer drops it anyway; do not shift it into range
    if (!in_remi_range(n.pitch + semitones)) return std::nullopt;
    out.push_back(n);
    out.back().pitch += semitones;
  }
  return out;
}

}  // namespace acc::data

#include "accompanist/generate/sources.h"

#include <fmt/format.h>

#include <algorithm>
#include <numeric>
#include <random>
#include <set>

#include "accompanist/util/error.h"

namespace acc::generate {

std::vector<size_t> choose_indices(size_t split_size, size_t count, uint64_t seed) {
  ACC_CHECK(count > 0, "--count", "must be at least 1");
  ACC_CHECK(count <= split_size, "--count",
            fmt::format("{} samples asked for, but the split has only {} pairs", count, split_size));
  std::mt19937_64 rng(seed);
  std::vector<size_t> all(split_size);
  std::iota(all.begin(), all.end(), size_t(0));
  for (size_t i = 0; i < count; ++i) {
    // Uniform in [i, split_size) by rejection (no modulo bias, same on every platform).
    const uint64_t range = uint64_t(split_size - i);
    const uint64_t limit = UINT64_MAX - UINT64_MAX % range;
    uint64_t x;
    do x = rng();
    while (x >= limit);
    std::swap(all[i], all[i + size_t(x % range)]);
  }
  all.resize(count);
  std::sort(all.begin(), all.end());
  return all;
}

std::vector<size_t> parse_indices(const std::string& text, size_t split_size) {
  std::vector<size_t> out;
  std::set<size_t> seen;
  size_t pos = 0;
  ACC_CHECK(!text.empty(), "--indices", "empty list");
  while (pos <= text.size()) {
    const size_t comma = std::min(text.find(',', pos), text.size());
    const std::string item = text.substr(pos, comma - pos);
    ACC_CHECK(!item.empty() && item.size() <= 18 && item.find_first_not_of("0123456789") == std::string::npos,
              "--indices", fmt::format("'{}' is not a non-negative integer", item));
    const size_t index = size_t(std::stoull(item));
    ACC_CHECK(index < split_size, "--indices",
              fmt::format("index {} is outside the split (it has {} pairs)", index, split_size));
    ACC_CHECK(seen.insert(index).second, "--indices", fmt::format("index {} is repeated", index));
    out.push_back(index);
    pos = comma + 1;
  }
  return out;
}

midi::Part choose_source_part(const midi::Song& song, const std::string& part_spec, const std::string& family,
                              const midi::FamilyPrograms& families, const std::string& what) {
  std::vector<const midi::Part*> parts;
  std::string description;
  if (!part_spec.empty()) {
    const size_t colon = part_spec.find(':');
    auto number = [&](const std::string& s) {
      ACC_CHECK(!s.empty() && s.size() <= 6 && s.find_first_not_of("0123456789") == std::string::npos, "--part",
                fmt::format("'{}' is not TRACK:CHANNEL (two non-negative integers)", part_spec));
      return std::stoi(s);
    };
    ACC_CHECK(colon != std::string::npos, "--part", fmt::format("'{}' is not TRACK:CHANNEL", part_spec));
    const int track = number(part_spec.substr(0, colon)), channel = number(part_spec.substr(colon + 1));
    ACC_CHECK(channel <= 15, "--part", fmt::format("channel {} is outside 0..15", channel));
    for (const midi::Part& p : song.parts)
      if (p.track == track && p.channel == channel) parts.push_back(&p);
    description = fmt::format("part {}:{}", track, channel);
  } else {
    parts = midi::family_parts(song, family, families);
    description = fmt::format("{} part", family);
  }
  ACC_CHECK(!parts.empty(), what, fmt::format("no {}", description));
  midi::Part part = midi::merge_parts(parts);
  ACC_CHECK(!part.notes.empty(), what, fmt::format("the {} has no notes", description));
  return part;
}

std::vector<std::vector<midi::Note>> cut_into_windows(const std::vector<midi::Note>& notes, int64_t window_ticks) {
  ACC_CHECK(window_ticks > 0, "windows", "window length must be positive");
  int64_t last = -1;
  for (const midi::Note& n : notes) last = std::max(last, n.start);
  if (last < 0) return {};
  std::vector<std::vector<midi::Note>> windows(static_cast<size_t>(last / window_ticks + 1));
  for (const midi::Note& n : notes) {
    if (n.start < 0) continue;
    const int64_t w = n.start / window_ticks, origin = w * window_ticks;
    midi::Note r = n;
    r.start = n.start - origin;
    r.end = std::min(n.end, origin + window_ticks) - origin;
    windows[size_t(w)].push_back(r);
  }
  return windows;
}

std::vector<midi::Note> stitch_windows(const std::vector<std::vector<midi::Note>>& windows, int64_t window_ticks) {
  std::vector<midi::Note> out;
  for (size_t w = 0; w < windows.size(); ++w) {
    const int64_t origin = int64_t(w) * window_ticks;
    for (const midi::Note& n : windows[w]) {
      if (n.start < 0 || n.start >= window_ticks) continue;  // a decoded note past the window (too many bars)
      midi::Note s = n;
      s.start = origin + n.start;
      s.end = origin + std::min(n.end, window_ticks);
      out.push_back(s);
    }
  }
  std::sort(out.begin(), out.end(), [](const midi::Note& a, const midi::Note& b) {
    return std::tie(a.start, a.pitch, a.end) < std::tie(b.start, b.pitch, b.end);
  });
  return out;
}

int64_t rescale_tick(int64_t tick, int from_tpq, int to_tpq) {
  if (from_tpq == to_tpq) return tick;
  // Rounded to nearest without overflow for any tick a MIDI file holds.
  const __int128 num = __int128(tick) * to_tpq;
  return int64_t((num * 2 + from_tpq) / (2 * __int128(from_tpq)));
}

std::vector<midi::Note> rescale_notes(const std::vector<midi::Note>& notes, int from_tpq, int to_tpq) {
  std::vector<midi::Note> out = notes;
  for (midi::Note& n : out) {
    n.start = rescale_tick(n.start, from_tpq, to_tpq);
    n.end = std::max(n.start, rescale_tick(n.end, from_tpq, to_tpq));
  }
  return out;
}

}  // namespace acc::generate

#include "accompanist/midi/families.h"

#include <algorithm>
#include <tuple>

#include "accompanist/util/error.h"

namespace acc::midi {

FamilyPrograms default_family_programs() {
  FamilyPrograms families;
  for (int p = 0; p < 8; ++p) families["piano"].push_back(p);
  for (int p = 32; p < 40; ++p) families["bass"].push_back(p);
  return families;
}

bool in_family(const Part& part, const std::vector<int>& programs) {
  if (part.is_drum || part.channel == 9) return false;
  return std::find(programs.begin(), programs.end(), part.program) != programs.end();
}

std::optional<std::string> family_of(const Part& part, const FamilyPrograms& families) {
  for (const auto& [name, programs] : families) {
    if (in_family(part, programs)) return name;
  }
  return std::nullopt;
}

std::vector<size_t> family_part_indices(const Song& song, const std::string& family, const FamilyPrograms& families) {
  const auto it = families.find(family);
  if (it == families.end()) throw Error("family", "unknown instrument family '" + family + "'");
  std::vector<size_t> indices;
  for (size_t i = 0; i < song.parts.size(); ++i) {
    if (in_family(song.parts[i], it->second)) indices.push_back(i);
  }
  return indices;
}

std::vector<const Part*> family_parts(const Song& song, const std::string& family, const FamilyPrograms& families) {
  std::vector<const Part*> parts;
  for (size_t i : family_part_indices(song, family, families)) parts.push_back(&song.parts[i]);
  return parts;
}

const Part* largest_part(const std::vector<const Part*>& parts) {
  const Part* best = nullptr;
  for (const Part* p : parts) {
    if (best == nullptr || p->notes.size() > best->notes.size()) best = p;
  }
  return best;
}

Part merge_parts(const std::vector<const Part*>& parts) {
  const Part* largest = largest_part(parts);
  if (largest == nullptr) return Part{};
  Part merged = *largest;
  merged.notes.clear();
  size_t total = 0;
  for (const Part* p : parts) total += p->notes.size();
  merged.notes.reserve(total);
  for (const Part* p : parts) merged.notes.insert(merged.notes.end(), p->notes.begin(), p->notes.end());
  std::sort(merged.notes.begin(), merged.notes.end(), [](const Note& a, const Note& b) {
    return std::tie(a.start, a.pitch, a.end, a.velocity) < std::tie(b.start, b.pitch, b.end, b.velocity);
  });
  return merged;
}

}  // namespace acc::midi

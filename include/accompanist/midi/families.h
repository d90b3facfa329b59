// Instrument families by General MIDI program (SPEC section 2) and the two
// ways of reducing several parts of a family to one (SPEC section 3).
#pragma once

#include <map>
#include <optional>
#include <string>
#include <vector>

#include "accompanist/midi/song.h"

namespace acc::midi {

// Family name -> GM programs (0..127) that belong to it.
using FamilyPrograms = std::map<std::string, std::vector<int>>;

// piano = 0-7, bass = 32-39.
FamilyPrograms default_family_programs();

// True when the part's program is in programs; drum parts belong to no family.
bool in_family(const Part& part, const std::vector<int>& programs);

// The first family (in name order) whose programs hold the part's program;
// nullopt for drums and for programs of no family.
std::optional<std::string> family_of(const Part& part, const FamilyPrograms& families);

// Indices into song.parts of the parts of `family`, in song order. Throws
// acc::Error("family", ...) when families has no such name.
std::vector<size_t> family_part_indices(const Song& song, const std::string& family, const FamilyPrograms& families);

// The parts themselves (pointers into song.parts).
std::vector<const Part*> family_parts(const Song& song, const std::string& family, const FamilyPrograms& families);

// All notes of the parts in one part, sorted by (start, pitch, end, velocity).
// Track, channel, program, is_drum and name come from the part with the most
// notes (the first on ties). An empty list gives an empty Part.
Part merge_parts(const std::vector<const Part*>& parts);

// The part with the most notes (the first on ties); nullptr for an empty list.
const Part* largest_part(const std::vector<const Part*>& parts);

}  // namespace acc::midi

// Instrument families by GM program, and merging several parts into one.
#include <gtest/gtest.h>

#include "accompanist/midi/families.h"
#include "accompanist/util/error.h"
#include "midi/smf_bytes.h"

namespace acc::midi {
namespace {

using testing::note;

Part make_part(int track, int channel, int program, std::vector<Note> notes) {
  Part p;
  p.track = track;
  p.channel = channel;
  p.program = program;
  p.is_drum = channel == 9;
  p.name = "t" + std::to_string(track);
  p.notes = std::move(notes);
  return p;
}

TEST(MidiFamilies, Defaults) {
  const FamilyPrograms f = default_family_programs();
  ASSERT_EQ(f.size(), 2u);
  EXPECT_EQ(f.at("piano"), (std::vector<int>{0, 1, 2, 3, 4, 5, 6, 7}));
  EXPECT_EQ(f.at("bass"), (std::vector<int>{32, 33, 34, 35, 36, 37, 38, 39}));
}

TEST(MidiFamilies, FamilyOfAPart) {
  const FamilyPrograms f = default_family_programs();
  EXPECT_EQ(family_of(make_part(0, 0, 0, {}), f), "piano");
  EXPECT_EQ(family_of(make_part(0, 3, 7, {}), f), "piano");
  EXPECT_EQ(family_of(make_part(0, 1, 8, {}), f), std::nullopt);
  EXPECT_EQ(family_of(make_part(0, 1, 31, {}), f), std::nullopt);
  EXPECT_EQ(family_of(make_part(0, 1, 32, {}), f), "bass");
  EXPECT_EQ(family_of(make_part(0, 1, 39, {}), f), "bass");
  EXPECT_EQ(family_of(make_part(0, 1, 40, {}), f), std::nullopt);
  // Drums are never piano or bass, whatever their program.
  EXPECT_EQ(family_of(make_part(0, 9, 0, {}), f), std::nullopt);
  EXPECT_EQ(family_of(make_part(0, 9, 33, {}), f), std::nullopt);
  Part flagged = make_part(0, 2, 0, {});
  flagged.is_drum = true;
  EXPECT_FALSE(in_family(flagged, f.at("piano")));
  // Configured lists replace the defaults.
  const FamilyPrograms custom = {{"guitar", {24, 25}}, {"strings", {48}}};
  EXPECT_EQ(family_of(make_part(0, 0, 25, {}), custom), "guitar");
  EXPECT_EQ(family_of(make_part(0, 0, 0, {}), custom), std::nullopt);
}

TEST(MidiFamilies, CollectsThePartsOfAFamily) {
  Song song;
  song.parts = {make_part(0, 0, 0, {note(60, 1, 0, 1)}), make_part(1, 1, 33, {note(40, 1, 0, 1)}),
                make_part(2, 9, 0, {note(36, 1, 0, 1)}), make_part(3, 2, 4, {note(62, 1, 0, 1)}),
                make_part(4, 3, 80, {note(70, 1, 0, 1)})};
  const FamilyPrograms f = default_family_programs();
  EXPECT_EQ(family_part_indices(song, "piano", f), (std::vector<size_t>{0, 3}));
  EXPECT_EQ(family_part_indices(song, "bass", f), (std::vector<size_t>{1}));
  const auto bass = family_parts(song, "bass", f);
  ASSERT_EQ(bass.size(), 1u);
  EXPECT_EQ(bass[0], &song.parts[1]);
  EXPECT_THROW(family_part_indices(song, "organ", f), Error);
}

TEST(MidiFamilies, MergeAndLargest) {
  const Part a = make_part(1, 0, 0, {note(60, 10, 0, 10), note(64, 11, 20, 30)});
  const Part b = make_part(2, 1, 4, {note(60, 12, 0, 5), note(48, 13, 10, 20), note(72, 14, 0, 10)});
  const Part c = make_part(3, 2, 2, {note(50, 15, 5, 6), note(51, 16, 6, 7), note(52, 17, 7, 8)});

  EXPECT_EQ(largest_part({}), nullptr);
  EXPECT_EQ(largest_part({&a, &b}), &b);
  EXPECT_EQ(largest_part({&b, &c}), &b);  // tie: the first
  EXPECT_EQ(largest_part({&c, &b}), &c);

  const Part merged = merge_parts({&a, &b});
  EXPECT_EQ(merged.track, 2);  // metadata of the largest part
  EXPECT_EQ(merged.channel, 1);
  EXPECT_EQ(merged.program, 4);
  EXPECT_EQ(merged.name, "t2");
  EXPECT_EQ(merged.notes, (std::vector<Note>{note(60, 12, 0, 5), note(60, 10, 0, 10), note(72, 14, 0, 10),
                                             note(48, 13, 10, 20), note(64, 11, 20, 30)}));
  EXPECT_TRUE(merge_parts({}).notes.empty());
  EXPECT_EQ(merge_parts({&a}).notes, a.notes);
}

}  // namespace
}  // namespace acc::midi

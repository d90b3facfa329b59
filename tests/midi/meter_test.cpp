// The bars a part's notes span (midi::bar_count): 4-beat bars from bar 0 up
// to the bar of the last onset, whatever the resolution.
#include <gtest/gtest.h>

#include "accompanist/midi/meter.h"
#include "accompanist/util/error.h"

namespace acc::midi {
namespace {

Note note(int64_t start) {
  return {60, 100, start, start + 10};
}

TEST(Meter, BarsUpToTheLastOnset) {
  EXPECT_EQ(bar_count({note(1536 * 3)}, 384), 4);  // one note in bar 3: bars 0..3
  EXPECT_EQ(bar_count({note(1536 * 3 - 1)}, 384), 3);
  EXPECT_EQ(bar_count({note(0)}, 384), 1);
  // Not the last note but the latest onset; tpq 480: a bar is 1920 ticks.
  EXPECT_EQ(bar_count({note(2 * 1920 + 720), note(60)}, 480), 3);
}

TEST(Meter, NoNotesNoBars) {
  EXPECT_EQ(bar_count({}, 384), 0);
  EXPECT_EQ(bar_count({note(-10)}, 384), 0);  // a negative onset is skipped
  EXPECT_EQ(bar_count({}, 0), 0);             // nothing to place: the resolution is not used
}

TEST(Meter, RejectsABadResolution) {
  EXPECT_THROW(bar_count({note(0)}, 0), acc::Error);
}

}  // namespace
}  // namespace acc::midi

#include <gtest/gtest.h>

#include <map>

#include "accompanist/data/song_split.h"

using acc::data::assign_split;
using acc::data::song_split_value;
using acc::data::SplitId;

namespace {

TEST(SongSplit, DeterministicAndIndependentOfOtherSongs) {
  EXPECT_EQ(song_split_value("Artist/Song.mid", 1), song_split_value("Artist/Song.mid", 1));
  EXPECT_NE(song_split_value("Artist/Song.mid", 1), song_split_value("Artist/Song.mid", 2));
  EXPECT_NE(song_split_value("Artist/Song.mid", 1), song_split_value("Artist/Song2.mid", 1));
  // Known value: sha256("1:Artist/Song.mid"), first 8 bytes, top 53 bits / 2^53
  // (Python: hashlib.sha256(b'1:Artist/Song.mid'), int.from_bytes(h[:8], 'big') >> 11) / 2**53).
  EXPECT_DOUBLE_EQ(song_split_value("Artist/Song.mid", 1), 0.7502738039578773);
}

TEST(SongSplit, FractionsAreRespected) {
  std::map<SplitId, int> count;
  const int n = 20000;
  for (int i = 0; i < n; ++i) ++count[assign_split("artist/song_" + std::to_string(i) + ".mid", 42, 0.05, 0.05)];
  EXPECT_NEAR(count[SplitId::Valid] / double(n), 0.05, 0.01);
  EXPECT_NEAR(count[SplitId::Test] / double(n), 0.05, 0.01);
  EXPECT_NEAR(count[SplitId::Train] / double(n), 0.90, 0.015);
  // Fractions 0 put everything in train; valid 1 - epsilon nearly everything in valid.
  EXPECT_EQ(assign_split("x.mid", 1, 0.0, 0.0), SplitId::Train);
}

TEST(SongSplit, GrowingValidNeverMovesValidSongs) {
  // u < 0.05 implies u < 0.10: a valid song stays valid when the fraction grows.
  for (int i = 0; i < 2000; ++i) {
    std::string p = "s" + std::to_string(i);
    if (assign_split(p, 3, 0.05, 0.0) == SplitId::Valid) {
      EXPECT_EQ(assign_split(p, 3, 0.10, 0.0), SplitId::Valid);
    }
  }
}

}  // namespace

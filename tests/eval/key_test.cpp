#include "accompanist/eval/key.h"

#include <gtest/gtest.h>

namespace acc::eval {
namespace {

// Chords of quarter notes at tpq 384, one chord a beat, each pitch list a chord.
std::vector<midi::Note> chords(const std::vector<std::vector<int>>& pitches, int repeats = 1) {
  std::vector<midi::Note> notes;
  int64_t t = 0;
  for (int r = 0; r < repeats; ++r) {
    for (const auto& chord : pitches) {
      for (int p : chord) notes.push_back({p, 90, t, t + 384});
      t += 384;
    }
  }
  return notes;
}

TEST(Key, NamesAreSharpsOnly) {
  EXPECT_EQ(key_name(0), "C major");
  EXPECT_EQ(key_name(10), "A# major");
  EXPECT_EQ(key_name(12), "C minor");
  EXPECT_EQ(key_name(21), "A minor");
  EXPECT_EQ(key_name(23), "B minor");
  EXPECT_EQ(key_index("G# minor"), 20);
  EXPECT_EQ(key_index("Bb major"), -1);
}

TEST(Key, CMajorScale) {
  // C D E F G A B C, one quarter note each.
  const auto notes = chords({{60}, {62}, {64}, {65}, {67}, {69}, {71}, {72}});
  const auto ranking = rank_keys(notes);
  ASSERT_EQ(ranking.size(), 24u);
  EXPECT_EQ(key_name(ranking[0]), "C major");
  EXPECT_EQ(key_name(ranking[1]), "A minor");  // the relative minor comes next
  const KeyCorrelations r = key_correlations(pitch_class_durations(notes));
  EXPECT_NEAR(r[0], 0.9014, 1e-4);  // numpy.corrcoef on the same histogram
}

TEST(Key, AMinorTriads) {
  const auto notes = chords({{57, 60, 64}, {45}, {57, 60, 64}, {69, 72, 76}}, 4);
  EXPECT_EQ(key_name(rank_keys(notes)[0]), "A minor");
}

TEST(Key, BbMajorFourChordProgression) {
  // Thesis 4.3.3: I V vi IV in Bb major = Bb, F, Gm, Eb; a bar each.
  const std::vector<std::vector<int>> progression = {
      {58, 62, 65}, {58, 62, 65}, {58, 62, 65}, {58, 62, 65}, {53, 57, 60}, {53, 57, 60}, {53, 57, 60}, {53, 57, 60},
      {55, 58, 62}, {55, 58, 62}, {55, 58, 62}, {55, 58, 62}, {51, 55, 58}, {51, 55, 58}, {51, 55, 58}, {51, 55, 58}};
  const auto ranking = rank_keys(chords(progression, 6));
  EXPECT_EQ(key_name(ranking[0]), "A# major");
  EXPECT_EQ(key_name(ranking[1]), "G minor");
}

TEST(Key, DurationsWeighTheHistogram) {
  // The same pitch classes, but a long E and B make E minor win over C major.
  std::vector<midi::Note> notes = chords({{60}, {62}, {65}, {67}, {69}});
  notes.push_back({64, 90, 0, 384 * 8});
  notes.push_back({71, 90, 0, 384 * 6});
  const PitchClassHistogram h = pitch_class_durations(notes);
  EXPECT_DOUBLE_EQ(h[4], 384.0 * 8);
  EXPECT_DOUBLE_EQ(h[0], 384.0);
  EXPECT_EQ(key_name(rank_keys(h)[0]), "E minor");
}

TEST(Key, NoKeyForSilenceOrAFlatHistogram) {
  EXPECT_TRUE(rank_keys(std::vector<midi::Note>{}).empty());
  PitchClassHistogram flat;
  flat.fill(3.0);
  EXPECT_TRUE(rank_keys(flat).empty());
  // Zero-length notes weigh nothing.
  EXPECT_TRUE(rank_keys(std::vector<midi::Note>{{60, 90, 10, 10}}).empty());
}

TEST(TopK, HandComputedCurve) {
  // Case 0: reference key 0 ranked first; case 1: key 5 ranked third; case 2:
  // nothing generated (a miss everywhere); case 3: no reference key (left out).
  std::vector<int> ranking0(24);
  for (int i = 0; i < 24; ++i) ranking0[size_t(i)] = i;
  std::vector<int> ranking1 = {1, 2, 5, 0, 3, 4};  // key 5 third
  for (int i = 6; i < 24; ++i) ranking1.push_back(i);
  const std::vector<int> refs = {0, 5, 7, -1};
  const std::vector<std::vector<int>> rankings = {ranking0, ranking1, {}, ranking0};
  const TopKCurve curve = topk_match(refs, rankings);
  EXPECT_DOUBLE_EQ(curve[0], 1.0 / 3.0);
  EXPECT_DOUBLE_EQ(curve[1], 1.0 / 3.0);
  EXPECT_DOUBLE_EQ(curve[2], 2.0 / 3.0);
  EXPECT_DOUBLE_EQ(curve[23], 2.0 / 3.0);
}

TEST(TopK, BaselinesAreSeededAndBehave) {
  // 240 cases with the reference key always ranked first: perfect model.
  std::vector<int> refs;
  std::vector<std::vector<int>> rankings;
  for (int i = 0; i < 240; ++i) {
    const int key = i % 24;
    std::vector<int> r = {key};
    for (int k = 0; k < 24; ++k)
      if (k != key) r.push_back(k);
    refs.push_back(key);
    rankings.push_back(r);
  }
  EXPECT_DOUBLE_EQ(topk_match(refs, rankings)[0], 1.0);
  const TopKCurve shuffled = shuffled_topk_match(refs, rankings, 50, 1);
  const TopKCurve random = random_order_topk_match(refs, rankings, 50, 1);
  EXPECT_EQ(shuffled, shuffled_topk_match(refs, rankings, 50, 1));
  for (int k = 1; k <= 24; ++k) {
    // With uniformly spread keys both baselines are close to k / 24.
    EXPECT_NEAR(shuffled[size_t(k - 1)], k / 24.0, 0.03) << k;
    EXPECT_NEAR(random[size_t(k - 1)], k / 24.0, 0.03) << k;
  }
  EXPECT_DOUBLE_EQ(shuffled[23], 1.0);
  // Every case in one key: pairing at random still matches at k = 1.
  std::vector<int> same(240, 0);
  std::vector<std::vector<int>> same_rankings(240, rankings[0]);
  EXPECT_DOUBLE_EQ(shuffled_topk_match(same, same_rankings, 5, 2)[0], 1.0);
}

}  // namespace
}  // namespace acc::eval

// Token histograms before and after BPE.
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "accompanist/tokenizer/statistics.h"
#include "accompanist/util/error.h"

namespace acc::tokenizer {
namespace {

TEST(TokenStatistics, CountsBaseAndBpeIds) {
  Bpe bpe({{4, 4}, {165, 44}});  // 197 = Bar Bar, 198 = Position_0 Pitch_60
  TokenStatistics stats(bpe);
  stats.add_base_sequence({4, 4, 4, 165, 44, 96, 101});  // -> 197 4 198 96 101
  stats.add_bpe_sequence({197, 198, 96, 101});           // base: 4 4 165 44 96 101
  EXPECT_EQ(stats.sequences(), 2u);
  EXPECT_EQ(stats.base_tokens(), 13u);
  EXPECT_EQ(stats.bpe_tokens(), 9u);
  EXPECT_DOUBLE_EQ(stats.compression(), 13.0 / 9.0);
  EXPECT_EQ(stats.base_counts().size(), 197u);
  EXPECT_EQ(stats.bpe_counts().size(), 199u);
  EXPECT_EQ(stats.base_counts()[4], 5u);
  EXPECT_EQ(stats.base_counts()[165], 2u);
  EXPECT_EQ(stats.bpe_counts()[197], 2u);
  EXPECT_EQ(stats.bpe_counts()[198], 2u);
  EXPECT_EQ(stats.bpe_counts()[4], 1u);
  EXPECT_EQ(stats.bpe_counts()[165], 0u);
  EXPECT_EQ(stats.bpe_ids_used(), 2u);
  auto types = stats.base_type_counts();
  EXPECT_EQ(types[size_t(TokenType::Bar)], 5u);
  EXPECT_EQ(types[size_t(TokenType::Pitch)], 2u);

  TokenStatistics other(bpe);
  other.add_base_sequence({4});
  stats.merge(other);
  EXPECT_EQ(stats.base_counts()[4], 6u);
  EXPECT_EQ(stats.sequences(), 3u);

  auto j = nlohmann::json::parse(stats.to_json());
  EXPECT_EQ(j["base_tokens"], 14);
  EXPECT_EQ(j["base_type_counts"]["Bar"], 6);
  EXPECT_EQ(j["bpe_counts"].size(), 199u);

  EXPECT_THROW(stats.add_bpe_sequence({4, 199}), Error);
  EXPECT_EQ(stats.bpe_tokens(), 10u);  // nothing counted from the bad sequence
  TokenStatistics plain{Bpe()};
  EXPECT_THROW(stats.merge(plain), Error);
}

}  // namespace
}  // namespace acc::tokenizer

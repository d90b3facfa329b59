#include "accompanist/train/lr_schedule.h"

#include <gtest/gtest.h>

namespace acc::train {
namespace {

TEST(LrSchedule, Constant) {
  LrSchedule s{"constant", 1e-4, 0, 100, 0};
  EXPECT_DOUBLE_EQ(s.at(1), 1e-4);
  EXPECT_DOUBLE_EQ(s.at(1000), 1e-4);
}

TEST(LrSchedule, WarmupIsLinear) {
  LrSchedule s{"constant", 1e-3, 10, 100, 0};
  EXPECT_DOUBLE_EQ(s.at(1), 1e-4);
  EXPECT_DOUBLE_EQ(s.at(5), 5e-4);
  EXPECT_DOUBLE_EQ(s.at(10), 1e-3);
  EXPECT_DOUBLE_EQ(s.at(11), 1e-3);
}

TEST(LrSchedule, CosineEndsAtFloor) {
  LrSchedule s{"cosine", 1.0, 10, 110, 0.1};
  EXPECT_NEAR(s.at(10), 1.0, 1e-12);
  EXPECT_NEAR(s.at(60), 0.55, 1e-12);  // halfway: floor + (1 - floor) / 2
  EXPECT_NEAR(s.at(110), 0.1, 1e-12);
  EXPECT_NEAR(s.at(500), 0.1, 1e-12);
}

TEST(LrSchedule, InverseSqrtIsContinuousAfterWarmup) {
  LrSchedule s{"inverse_sqrt", 1.0, 100, 0, 0};
  EXPECT_DOUBLE_EQ(s.at(100), 1.0);
  EXPECT_DOUBLE_EQ(s.at(400), 0.5);
}

}  // namespace
}  // namespace acc::train

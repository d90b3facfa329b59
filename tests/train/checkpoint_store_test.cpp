#include "accompanist/train/checkpoint_store.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>

#include "accompanist/train/metrics_log.h"
#include "accompanist/util/file.h"
#include "common/scratch_dir.h"

namespace fs = std::filesystem;

namespace acc::train {
namespace {

void write_checkpoint(const CheckpointStore& store, int64_t step, bool best, int keep) {
  std::string staging = store.begin(step);
  util::write_file_atomic(staging + "/model.pt", "weights " + std::to_string(step));
  store.commit(step, best, keep);
}

TEST(CheckpointStore, CommitPruneAndBest) {
  CheckpointStore store(acc::testing::scratch_dir("ckpt_commit"));
  write_checkpoint(store, 10, true, 2);
  write_checkpoint(store, 20, false, 2);
  write_checkpoint(store, 30, false, 2);
  EXPECT_EQ(store.complete_steps(), (std::vector<int64_t>{20, 30}));
  EXPECT_EQ(*store.latest_complete(), store.final_dir(30));
  EXPECT_TRUE(fs::path(store.final_dir(30)).filename() == "step-00000030");
  // best survives the pruning of step 10
  EXPECT_EQ(util::read_file_text(store.best_dir() + "/model.pt"), "weights 10");
  EXPECT_TRUE(CheckpointStore::is_complete(store.best_dir()));
  write_checkpoint(store, 40, true, 2);
  EXPECT_EQ(util::read_file_text(store.best_dir() + "/model.pt"), "weights 40");
}

TEST(CheckpointStore, IncompleteIsNeverLatest) {
  CheckpointStore store(acc::testing::scratch_dir("ckpt_incomplete"));
  write_checkpoint(store, 10, false, 3);
  // A run killed while writing step 20: staging exists, no marker.
  std::string staging = store.begin(20);
  util::write_file_atomic(staging + "/model.pt", "half");
  // And a final-looking folder without its marker.
  fs::create_directories(store.final_dir(30));
  EXPECT_EQ(*store.latest_complete(), store.final_dir(10));
  store.remove_stale_staging();
  EXPECT_FALSE(fs::exists(staging));
}

TEST(CheckpointStore, EmptyRunHasNoCheckpoint) {
  CheckpointStore store(acc::testing::scratch_dir("ckpt_empty"));
  EXPECT_FALSE(store.latest_complete().has_value());
}

TEST(MetricsLog, ResumeDropsLaterSteps) {
  std::string path = acc::testing::scratch_dir("ckpt_metrics") + "/metrics.jsonl";
  {
    MetricsLog log(path, -1);
    for (int s = 1; s <= 5; ++s) log.append({{"step", s}, {"split", "train"}, {"loss", 1.0 / s}});
  }
  util::write_file_atomic(path, util::read_file_text(path) + "{\"step\": 6, \"spl");  // torn line
  MetricsLog resumed(path, 3);
  resumed.append({{"step", 4}, {"split", "train"}, {"loss", 0.5}});
  std::string text = util::read_file_text(path);
  EXPECT_EQ(std::count(text.begin(), text.end(), '\n'), 4);
  EXPECT_EQ(text.find("\"step\":5"), std::string::npos);
}

}  // namespace
}  // namespace acc::train

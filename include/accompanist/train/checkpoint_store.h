// The checkpoints/ folder of a run directory:
//   checkpoints/step-NNNNNNNN/   one complete checkpoint (COMPLETE written last)
//   checkpoints/best/            a hard-linked copy of the best by validation loss
//   checkpoints/.staging-step-NNNNNNNN/  being written; never loaded
// A checkpoint is written into its staging folder, gets its COMPLETE marker,
// then is renamed into place, so a crash at any moment leaves the previous
// checkpoint intact and no complete-looking partial one.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace acc::train {

class CheckpointStore {
 public:
  explicit CheckpointStore(std::string run_dir);

  static constexpr const char* kCompleteMarker = "COMPLETE";
  static bool is_complete(const std::string& dir);

  std::string dir() const { return dir_; }
  std::string final_dir(int64_t step) const;
  std::string staging_dir(int64_t step) const;
  std::string best_dir() const;

  // Rank 0, at start: removes staging folders left by killed runs.
  void remove_stale_staging() const;
  // Rank 0: a fresh, empty staging folder for step.
  std::string begin(int64_t step) const;
  // Rank 0, after every rank wrote its files: marker, rename, best, pruning
  // (keeps the newest keep_last complete checkpoints; best is separate).
  void commit(int64_t step, bool is_best, int keep_last) const;

  std::vector<int64_t> complete_steps() const;  // ascending
  std::optional<std::string> latest_complete() const;

 private:
  std::string dir_;
};

}  // namespace acc::train

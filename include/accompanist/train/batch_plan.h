// Which examples make up each global batch: a deterministic function of
// (seed, epoch, batch index), identical on every rank, so that a resumed run
// (or a run with another rank count but the same global batch) sees the same
// data. No LibTorch here.
#pragma once

#include <cstdint>
#include <vector>

namespace acc::train {

// Where the data stream stands: the next global batch is batch `cursor` of
// epoch `epoch`. Saved in checkpoints.
struct DataPosition {
  int64_t epoch = 0;
  int64_t cursor = 0;
};

class BatchPlan {
 public:
  // lengths[i]: the cost of example i (source + target tokens); used only when
  // group_by_length. A partial last batch of an epoch is dropped.
  BatchPlan(std::vector<uint32_t> lengths, int64_t global_batch, uint64_t seed, bool group_by_length);

  int64_t batches_per_epoch() const { return int64_t(lengths_.size()) / global_batch_; }
  int64_t global_batch_size() const { return global_batch_; }

  // The example indices of global batch `cursor` of `epoch` (global_batch of them).
  std::vector<uint32_t> global_batch(int64_t epoch, int64_t cursor) const;

  // Advances a position by one batch, rolling over to the next epoch.
  DataPosition next(DataPosition p) const;

 private:
  void build_epoch(int64_t epoch) const;

  std::vector<uint32_t> lengths_;
  int64_t global_batch_;
  uint64_t seed_;
  bool group_by_length_;
  mutable int64_t cached_epoch_ = -1;
  mutable std::vector<uint32_t> order_;  // the epoch's examples, batch after batch
};

// The slice of a global batch one rank trains on in one micro-step: the global
// batch is laid out as [accumulation][world][batch_size].
std::vector<uint32_t> rank_slice(const std::vector<uint32_t>& global_batch, int micro_step, int rank, int world,
                                 int batch_size);

// `count` distinct example indices drawn from n (all of them, shuffled, when
// count >= n), a function of (seed, draw) only: random validation batches and
// sample sources that do not disturb the training stream.
std::vector<uint32_t> random_examples(uint64_t n, uint64_t count, uint64_t seed, uint64_t draw);

// A 64-bit mix (splitmix64) for deriving independent seeds.
uint64_t mix_seed(uint64_t a, uint64_t b);

}  // namespace acc::train

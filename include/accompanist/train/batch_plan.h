// Which examples make up each global batch: a deterministic function of
// (seed, epoch, batch index), identical on every rank, so that a resumed run
// (or a run with another rank count but the same global batch) sees the same
// data. No LibTorch here.
#pragma once

#include <cstddef>
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

  // Token budgets (fairseq's max_tokens): sizes[i] is example i's
  // max(source, decoder input) length; each batch holds n examples with
  // n x (its longest size) <= max_tokens, filled greedily from the epoch's
  // examples sorted by size (shuffled first, so ties differ per epoch), and
  // the batches are shuffled. One global batch (step) is `slots` consecutive
  // batches (ranks x accumulation): rank r, micro-step m takes slot m x world + r,
  // so 2 ranks equal 1 rank with accumulation 2. The leftover batches of an
  // epoch (fewer than `slots`) are dropped. Every size must be <= max_tokens.
  static BatchPlan token_budget(std::vector<uint32_t> sizes, int64_t max_tokens, int64_t slots, uint64_t seed);

  // Global batches (steps) per epoch.
  int64_t batches_per_epoch() const;
  int64_t global_batch_size() const { return global_batch_; }  // fixed-size plans; 0 with token budgets
  bool has_token_budget() const { return max_tokens_ > 0; }

  // The example indices of global batch `cursor` of `epoch`.
  std::vector<uint32_t> global_batch(int64_t epoch, int64_t cursor) const;
  // Token budgets: the examples of slot `slot` (0 <= slot < slots) of global batch `cursor`.
  std::vector<uint32_t> slot(int64_t epoch, int64_t cursor, int64_t slot) const;

  // Advances a position by one batch, rolling over to the next epoch.
  DataPosition next(DataPosition p) const;

 private:
  void build_epoch(int64_t epoch) const;

  BatchPlan() = default;
  void build_budget_epoch(int64_t epoch) const;

  std::vector<uint32_t> lengths_;  // costs, or the budget sizes
  int64_t global_batch_ = 0;
  uint64_t seed_ = 0;
  bool group_by_length_ = false;
  int64_t max_tokens_ = 0;  // > 0: token budgets
  int64_t slots_ = 1;
  int64_t budget_steps_ = 0;
  mutable int64_t cached_epoch_ = -1;
  mutable std::vector<uint32_t> order_;      // the epoch's examples, batch after batch
  mutable std::vector<std::size_t> starts_;  // token budgets: batch k is order_[starts_[k], starts_[k+1])
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

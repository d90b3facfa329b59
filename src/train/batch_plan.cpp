#include "accompanist/train/batch_plan.h"

#include <algorithm>
#include <numeric>
#include <random>

#include "accompanist/util/error.h"
#include "accompanist/util/splitmix64.h"

namespace acc::train {
namespace {

// Uniform in [0, n) without modulo bias (Lemire); the same on every platform,
// unlike std::uniform_int_distribution.
uint64_t uniform_below(std::mt19937_64& rng, uint64_t n) {
  unsigned __int128 m = (unsigned __int128)rng() * n;
  uint64_t low = uint64_t(m);
  if (low < n) {
    const uint64_t threshold = (0 - n) % n;
    while (low < threshold) {
      m = (unsigned __int128)rng() * n;
      low = uint64_t(m);
    }
  }
  return uint64_t(m >> 64);
}

template <class T>
void fisher_yates(std::vector<T>& v, std::mt19937_64& rng) {
  for (size_t i = v.size(); i > 1; --i) std::swap(v[i - 1], v[uniform_below(rng, i)]);
}

constexpr int64_t kGroupChunkBatches = 32;  // length grouping sorts within chunks of this many batches

}  // namespace

uint64_t mix_seed(uint64_t a, uint64_t b) {
  return util::splitmix64_mix(a + util::kSplitmix64Gamma * (b + 1));
}

BatchPlan::BatchPlan(std::vector<uint32_t> lengths, int64_t global_batch, uint64_t seed, bool group_by_length)
    : lengths_(std::move(lengths)), global_batch_(global_batch), seed_(seed), group_by_length_(group_by_length) {
  if (global_batch_ < 1) throw Error("batch plan", "global batch must be positive");
  if (int64_t(lengths_.size()) < global_batch_)
    throw Error("training data", std::to_string(lengths_.size()) + " examples, fewer than one global batch of " +
                                     std::to_string(global_batch_) + " (lower train.batch_size or use more data)");
}

BatchPlan BatchPlan::token_budget(std::vector<uint32_t> sizes, int64_t max_tokens, int64_t slots, uint64_t seed) {
  if (max_tokens < 1 || slots < 1) throw Error("batch plan", "token budget and slots must be positive");
  for (size_t i = 0; i < sizes.size(); ++i)
    if (int64_t(sizes[i]) > max_tokens)
      throw Error("batch plan", "example " + std::to_string(i) + " has " + std::to_string(sizes[i]) +
                                    " tokens, more than train.max_tokens " + std::to_string(max_tokens));
  BatchPlan plan;
  plan.lengths_ = std::move(sizes);
  plan.seed_ = seed;
  plan.max_tokens_ = max_tokens;
  plan.slots_ = slots;
  // The cut depends only on the sorted sizes, so every epoch has as many batches.
  plan.build_budget_epoch(0);
  plan.budget_steps_ = int64_t(plan.starts_.size() - 1) / slots;
  if (plan.budget_steps_ < 1)
    throw Error("training data", std::to_string(plan.lengths_.size()) + " examples make fewer than " +
                                     std::to_string(slots) + " batches of train.max_tokens " +
                                     std::to_string(max_tokens) + " (lower it or use more data)");
  return plan;
}

int64_t BatchPlan::batches_per_epoch() const {
  if (max_tokens_ == 0) return int64_t(lengths_.size()) / global_batch_;
  return budget_steps_;
}

void BatchPlan::build_budget_epoch(int64_t epoch) const {
  if (cached_epoch_ == epoch) return;
  std::mt19937_64 rng(mix_seed(seed_, uint64_t(epoch)));
  std::vector<uint32_t> perm(lengths_.size());
  std::iota(perm.begin(), perm.end(), 0u);
  fisher_yates(perm, rng);
  std::stable_sort(perm.begin(), perm.end(), [&](uint32_t a, uint32_t b) { return lengths_[a] < lengths_[b]; });
  // Greedy cut: sorted ascending, so the newest example is the batch's longest.
  std::vector<size_t> starts{0};
  for (size_t i = 0; i < perm.size(); ++i) {
    const size_t n = i - starts.back() + 1;
    if (n > 1 && int64_t(n) * int64_t(lengths_[perm[i]]) > max_tokens_) starts.push_back(i);
  }
  starts.push_back(perm.size());
  const size_t n_batches = starts.size() - 1;
  std::vector<size_t> batch_order(n_batches);
  std::iota(batch_order.begin(), batch_order.end(), size_t(0));
  fisher_yates(batch_order, rng);
  order_.clear();
  order_.reserve(perm.size());
  starts_.assign(1, 0);
  for (size_t b : batch_order) {
    order_.insert(order_.end(), perm.begin() + long(starts[b]), perm.begin() + long(starts[b + 1]));
    starts_.push_back(order_.size());
  }
  cached_epoch_ = epoch;
}

std::vector<uint32_t> BatchPlan::slot(int64_t epoch, int64_t cursor, int64_t slot) const {
  if (max_tokens_ == 0) throw Error("batch plan", "slots need a token budget");
  if (cursor < 0 || cursor >= batches_per_epoch() || slot < 0 || slot >= slots_)
    throw Error("batch plan", "cursor or slot out of range");
  build_budget_epoch(epoch);
  const size_t k = size_t(cursor * slots_ + slot);
  return std::vector<uint32_t>(order_.begin() + long(starts_[k]), order_.begin() + long(starts_[k + 1]));
}

void BatchPlan::build_epoch(int64_t epoch) const {
  if (cached_epoch_ == epoch) return;
  std::mt19937_64 rng(mix_seed(seed_, uint64_t(epoch)));
  std::vector<uint32_t> perm(lengths_.size());
  std::iota(perm.begin(), perm.end(), 0u);
  fisher_yates(perm, rng);
  const int64_t n_batches = batches_per_epoch();
  perm.resize(size_t(n_batches * global_batch_));  // drop the partial batch
  if (group_by_length_) {
    // Sort chunks of the permutation by length, cut into batches, shuffle the
    // batches: little padding, still random order (fairseq/Marian style).
    const int64_t chunk = kGroupChunkBatches * global_batch_;
    for (int64_t begin = 0; begin < int64_t(perm.size()); begin += chunk) {
      auto first = perm.begin() + begin;
      auto last = perm.begin() + std::min<int64_t>(begin + chunk, int64_t(perm.size()));
      std::stable_sort(first, last, [&](uint32_t a, uint32_t b) { return lengths_[a] < lengths_[b]; });
    }
    std::vector<int64_t> batch_order(static_cast<size_t>(n_batches));
    std::iota(batch_order.begin(), batch_order.end(), 0);
    fisher_yates(batch_order, rng);
    std::vector<uint32_t> ordered;
    ordered.reserve(perm.size());
    for (int64_t b : batch_order)
      ordered.insert(ordered.end(), perm.begin() + b * global_batch_, perm.begin() + (b + 1) * global_batch_);
    perm = std::move(ordered);
  }
  order_ = std::move(perm);
  cached_epoch_ = epoch;
}

std::vector<uint32_t> BatchPlan::global_batch(int64_t epoch, int64_t cursor) const {
  if (cursor < 0 || cursor >= batches_per_epoch()) throw Error("batch plan", "cursor out of range");
  if (max_tokens_ > 0) {
    build_budget_epoch(epoch);
    const size_t k = size_t(cursor * slots_);
    return std::vector<uint32_t>(order_.begin() + long(starts_[k]), order_.begin() + long(starts_[k + size_t(slots_)]));
  }
  build_epoch(epoch);
  auto first = order_.begin() + cursor * global_batch_;
  return std::vector<uint32_t>(first, first + global_batch_);
}

DataPosition BatchPlan::next(DataPosition p) const {
  if (++p.cursor >= batches_per_epoch()) {
    p.cursor = 0;
    ++p.epoch;
  }
  return p;
}

std::vector<uint32_t> rank_slice(const std::vector<uint32_t>& global_batch, int micro_step, int rank, int world,
                                 int batch_size) {
  const size_t begin = (size_t(micro_step) * size_t(world) + size_t(rank)) * size_t(batch_size);
  if (begin + size_t(batch_size) > global_batch.size()) throw Error("batch plan", "slice past the global batch");
  return std::vector<uint32_t>(global_batch.begin() + begin, global_batch.begin() + begin + batch_size);
}

std::vector<uint32_t> random_examples(uint64_t n, uint64_t count, uint64_t seed, uint64_t draw) {
  std::mt19937_64 rng(mix_seed(mix_seed(seed, 0x76616c6964ULL), draw));
  std::vector<uint32_t> all(n);
  std::iota(all.begin(), all.end(), 0u);
  // Partial Fisher-Yates: the first `count` slots are a uniform sample.
  const uint64_t k = std::min(count, n);
  for (uint64_t i = 0; i < k; ++i) std::swap(all[i], all[i + uniform_below(rng, n - i)]);
  all.resize(k);
  return all;
}

}  // namespace acc::train

// Data-parallel gradient averaging in buckets, in the spirit of PyTorch DDP's
// Reducer (LibTorch 1.13 as packaged has no usable DDP or c10d: this is ours).
//
// Parameters are grouped into buckets in reverse registration order (the
// order backward produces their gradients): the first bucket small (~1 MiB)
// so communication starts early, the rest up to ~25 MiB. The layout depends
// only on the parameter list, so it is the same on every rank. A post-hook on
// each parameter's gradient accumulator copies the gradient into its bucket's
// flat buffer; when a bucket is complete, it and every complete bucket before
// it are all-reduced (non-blocking, always in bucket order, so every rank
// issues the same collectives in the same order) while backward goes on.
// finish() completes the step: buckets not yet launched (parameters that got
// no gradient this step contribute their existing .grad() or zeros) are
// launched and waited for, and param.grad() becomes the averaged gradient,
// stored in the bucket itself (defined on every rank, even for unused
// parameters, so every rank's optimizer sees the same thing). As with DDP's
// gradient_as_bucket_view, .grad() then aliases the bucket: when gradients are
// zeroed in place (LibTorch 1.13's Optimizer::zero_grad), the next backward
// accumulates straight into the buckets; when they are reset to undefined,
// the hooks copy them in.
//
// Usage per optimizer step with k micro-batches:
//   for i in 0..k-1: bucketer.set_sync(i == k-1); loss.backward();
//   bucketer.finish(); clip; optimizer.step(); bucketer.zero_grad();
// bucketer.zero_grad(), not optimizer.zero_grad(): LibTorch 2.x's
// Optimizer::zero_grad() resets gradients to undefined by default (1.13's
// takes no argument), which would drop the bucket views every step and cost a
// copy per parameter in the next backward.
// With sync off, hooks do nothing and gradients accumulate in .grad() locally.
#pragma once

#include <torch/nn/module.h>

#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <utility>
#include <vector>

#include "accompanist/dist/communicator.h"
#include "accompanist/dist/dist_config.h"

namespace torch::autograd {
struct Node;
}

namespace acc::dist {

struct BucketerOptions {
  double first_bucket_mb = 1.0;
  double bucket_cap_mb = 25.0;
  bool record_events = false;  // keep events() (tests, diagnostics)

  static BucketerOptions from(const DistConfig& cfg) { return {cfg.first_bucket_mb, cfg.bucket_cap_mb, false}; }
};

struct BucketerStats {
  int64_t steps = 0;                 // finish() calls that communicated
  int64_t buckets_launched = 0;      // all-reduces started
  int64_t launched_in_backward = 0;  // of those, started by a gradient hook (overlapped)
  int64_t bytes_reduced = 0;
  double comm_seconds = 0;      // all-reduces in flight, summed over buckets (backend's view; NCCL's
                                // GPU-timed all-reduces are counted at a later finish(), once complete)
  double exposed_seconds = 0;   // time finish() blocked waiting for them
  double copy_seconds = 0;      // gradient <-> bucket copies
  double backward_seconds = 0;  // first gradient hook to the start of finish()
};

struct BucketEvent {
  enum Kind { hook, launch, finish } kind;
  int index;  // hook: parameter index (registration order); launch: bucket; finish: -1
};

class GradientBucketer {
 public:
  // The module's parameters that require a gradient, in registration order.
  GradientBucketer(torch::nn::Module& module, Communicator& comm, BucketerOptions options = {});
  GradientBucketer(std::vector<std::pair<std::string, torch::Tensor>> named_parameters, Communicator& comm,
                   BucketerOptions options = {});
  ~GradientBucketer();  // removes its hooks
  GradientBucketer(const GradientBucketer&) = delete;
  GradientBucketer& operator=(const GradientBucketer&) = delete;

  void set_sync(bool sync);
  bool sync() const { return sync_; }
  // Completes the step (see above); with sync off, does nothing.
  void finish();
  // Zeroes every gradient in place: the buckets (one fill each) and any
  // .grad() that is not a bucket view; undefined gradients stay undefined.
  // .grad() keeps aliasing the buckets, whatever LibTorch version.
  void zero_grad();

  size_t bucket_count() const { return buckets_.size(); }
  // Parameter indices (registration order) in bucket b, in slot order.
  const std::vector<size_t>& bucket_parameters(size_t b) const { return buckets_.at(b).params; }
  int64_t bucket_numel(size_t b) const { return buckets_.at(b).numel; }
  // "0:[name,name] 1:[name]"; equal on every rank of a correct job.
  std::string layout() const;

  const BucketerStats& stats() const { return stats_; }
  void reset_stats() { stats_ = {}; }
  const std::vector<BucketEvent>& events() const { return events_; }
  void clear_events() { events_.clear(); }

 private:
  struct Param {
    std::string name;
    torch::Tensor tensor;
    size_t bucket = 0;
    int64_t offset = 0;                                  // in the bucket buffer
    std::shared_ptr<torch::autograd::Node> accumulator;  // kept alive, or the hook is lost
    uintptr_t hook_key = 0;
  };
  struct Bucket {
    std::vector<size_t> params;
    int64_t numel = 0;
    torch::Tensor buffer;  // [numel], float32, on the parameters' device
    size_t pending = 0;    // parameters not yet ready this step
    WorkHandle work;
  };
  friend class BucketReadyHook;

  void build_buckets();
  void mark_ready(size_t index);  // from the gradient hook
  void copy_into_bucket(size_t index);
  void launch_complete_buckets(bool in_backward);
  void reset_step();
  void collect_timings();

  Communicator& comm_;
  BucketerOptions options_;
  std::vector<Param> params_;
  std::vector<Bucket> buckets_;
  std::vector<char> ready_;
  size_t next_launch_ = 0;
  bool sync_ = true;
  bool step_started_ = false;
  double step_start_time_ = 0;
  std::mutex mutex_;  // hooks may run on autograd's device threads
  BucketerStats stats_;
  std::vector<BucketEvent> events_;
  std::vector<WorkHandle> untimed_;  // waited for, not yet complete (comm_seconds)
};

// Copies rank root's parameters and buffers to every rank (one broadcast per dtype).
void broadcast_parameters(torch::nn::Module& module, Communicator& comm, int root = 0);

// "<n> tensors, <m> elements, layout <sha256 of names, shapes and dtypes>".
std::string describe_parameters(const torch::nn::Module& module);
// SHA-256 of the parameters' bytes in registration order (replica checks).
std::string parameters_sha256(const torch::nn::Module& module);

// Start-up check: the same config hash and the same parameter layout on every
// rank; otherwise every rank throws the same CollectiveError (no hang).
void check_replicas(Communicator& comm, const torch::nn::Module& module, const std::string& config_hash);

}  // namespace acc::dist

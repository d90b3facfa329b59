#include "accompanist/dist/gradient_bucketer.h"

#include <torch/csrc/autograd/function.h>
#include <torch/csrc/autograd/function_hook.h>
#include <torch/csrc/autograd/variable.h>

#include <chrono>
#include <map>

#include "accompanist/util/error.h"

#ifdef ACC_WITH_CUDA
#include <c10/cuda/CUDAStream.h>
#endif

namespace acc::dist {
namespace {

double now_seconds() {
  return std::chrono::duration<double>(std::chrono::steady_clock::now().time_since_epoch()).count();
}

int64_t mib_to_floats(double mib) {
  return std::max<int64_t>(1, static_cast<int64_t>(mib * 1024 * 1024 / 4));
}

}  // namespace

// Fires after AccumulateGrad has added this step's gradient into param.grad().
class BucketReadyHook final : public torch::autograd::FunctionPostHook {
 public:
  BucketReadyHook(GradientBucketer* owner, size_t index) : owner_(owner), index_(index) {}
  torch::autograd::variable_list operator()(const torch::autograd::variable_list& outputs,
                                            const torch::autograd::variable_list& /*inputs*/) override {
    owner_->mark_ready(index_);
    return outputs;
  }

 private:
  GradientBucketer* owner_;
  size_t index_;
};

GradientBucketer::GradientBucketer(torch::nn::Module& module, Communicator& comm, BucketerOptions options)
    : GradientBucketer(
          [&] {
            std::vector<std::pair<std::string, torch::Tensor>> named;
            for (const auto& item : module.named_parameters(/*recurse=*/true)) {
              if (item.value().requires_grad()) named.emplace_back(item.key(), item.value());
            }
            return named;
          }(),
          comm, options) {}

GradientBucketer::GradientBucketer(std::vector<std::pair<std::string, torch::Tensor>> named_parameters,
                                   Communicator& comm, BucketerOptions options)
    : comm_(comm), options_(options) {
  ACC_CHECK(!named_parameters.empty(), "gradient bucketer", "no parameters that require a gradient");
  for (auto& [name, tensor] : named_parameters) {
    ACC_CHECK(tensor.requires_grad() && tensor.is_leaf(), "gradient bucketer",
              name + ": not a leaf tensor that requires a gradient");
    ACC_CHECK(tensor.scalar_type() == torch::kFloat, "gradient bucketer", name + ": only float32 parameters");
    const bool on_cuda = tensor.is_cuda();
    ACC_CHECK(comm.accepts(on_cuda ? MemorySpace::cuda : MemorySpace::host), "gradient bucketer",
              name + ": on " + (on_cuda ? "a CUDA device" : "the CPU") + " but the " + comm.backend_name() +
                  " backend reduces " + (on_cuda ? "host" : "CUDA") + " buffers");
    Param p;
    p.name = name;
    p.tensor = tensor;
    params_.push_back(std::move(p));
  }
  build_buckets();
  ready_.assign(params_.size(), 0);
  for (size_t i = 0; i < params_.size(); ++i) {
    Param& p = params_[i];
    p.accumulator = torch::autograd::impl::grad_accumulator(p.tensor);
    ACC_CHECK(p.accumulator != nullptr, "gradient bucketer", p.name + ": no gradient accumulator");
    p.hook_key = p.accumulator->add_post_hook(std::make_unique<BucketReadyHook>(this, i));
  }
  reset_step();
}

GradientBucketer::~GradientBucketer() {
  for (auto& p : params_) {
    if (p.accumulator) p.accumulator->del_post_hook(p.hook_key);
  }
  // An all-reduce still in flight writes into our buffers: let it land.
  for (auto& b : buckets_) {
    if (b.work) {
      try {
        b.work->wait();
      } catch (...) {
      }
    }
  }
}

void GradientBucketer::build_buckets() {
  // Reverse registration order: backward produces the last layers' gradients first.
  const int64_t first_cap = mib_to_floats(options_.first_bucket_mb);
  const int64_t cap = mib_to_floats(options_.bucket_cap_mb);
  for (size_t k = params_.size(); k-- > 0;) {
    const int64_t numel = params_[k].tensor.numel();
    const int64_t limit = buckets_.size() == 1 ? first_cap : cap;
    if (buckets_.empty() || (!buckets_.back().params.empty() && buckets_.back().numel + numel > limit)) {
      buckets_.emplace_back();
    }
    Bucket& b = buckets_.back();
    params_[k].bucket = buckets_.size() - 1;
    params_[k].offset = b.numel;
    b.params.push_back(k);
    b.numel += numel;
  }
  for (auto& b : buckets_) {
    b.buffer = torch::zeros({b.numel}, params_[b.params.front()].tensor.options().requires_grad(false));
  }
}

std::string GradientBucketer::layout() const {
  std::string out;
  for (size_t b = 0; b < buckets_.size(); ++b) {
    out += (b ? " " : "") + std::to_string(b) + ":[";
    for (size_t j = 0; j < buckets_[b].params.size(); ++j) {
      out += (j ? "," : "") + params_[buckets_[b].params[j]].name;
    }
    out += "]";
  }
  return out;
}

void GradientBucketer::set_sync(bool sync) {
  std::lock_guard<std::mutex> lock(mutex_);
  ACC_CHECK(!step_started_, "gradient bucketer",
            "set_sync() in the middle of a synchronised step; call finish() first");
  sync_ = sync;
}

void GradientBucketer::reset_step() {
  std::fill(ready_.begin(), ready_.end(), 0);
  for (auto& b : buckets_) {
    b.pending = b.params.size();
    b.work.reset();
  }
  next_launch_ = 0;
  step_started_ = false;
}

void GradientBucketer::copy_into_bucket(size_t index) {
  torch::NoGradGuard no_grad;
  Param& p = params_[index];
  Bucket& b = buckets_[p.bucket];
  auto slot = b.buffer.narrow(0, p.offset, p.tensor.numel()).view(p.tensor.sizes());
  const torch::Tensor& grad = p.tensor.grad();
  if (grad.defined()) {
    if (grad.data_ptr() != slot.data_ptr()) slot.copy_(grad);  // else: .grad() is the slot already
  } else {
    slot.zero_();  // unused parameter: contributes nothing, deterministically
  }
}

void GradientBucketer::mark_ready(size_t index) {
  std::lock_guard<std::mutex> lock(mutex_);
  if (!sync_) return;
  const double start = now_seconds();
  if (!step_started_) {
    step_started_ = true;
    step_start_time_ = start;
  }
  ACC_CHECK(!ready_[index], "gradient bucketer",
            params_[index].name + ": a second gradient in one synchronised step (call finish() after each backward)");
  ready_[index] = 1;
  if (options_.record_events) events_.push_back({BucketEvent::hook, static_cast<int>(index)});
  copy_into_bucket(index);
  stats_.copy_seconds += now_seconds() - start;
  --buckets_[params_[index].bucket].pending;
  launch_complete_buckets(/*in_backward=*/true);
  comm_.poll();
}

void GradientBucketer::launch_complete_buckets(bool in_backward) {
#ifdef ACC_WITH_CUDA
  if (comm_.memory_space() == MemorySpace::cuda) {
    comm_.set_compute_stream(c10::cuda::getCurrentCUDAStream().stream());
  }
#endif
  // Strictly in bucket order: every rank must issue the same collectives in the same order.
  while (next_launch_ < buckets_.size() && buckets_[next_launch_].pending == 0) {
    Bucket& b = buckets_[next_launch_];
    if (options_.record_events) events_.push_back({BucketEvent::launch, static_cast<int>(next_launch_)});
    b.work = comm_.allreduce_async(b.buffer.data_ptr<float>(), static_cast<size_t>(b.numel), ReduceOp::mean);
    ++stats_.buckets_launched;
    if (in_backward) ++stats_.launched_in_backward;
    stats_.bytes_reduced += b.numel * 4;
    ++next_launch_;
  }
}

void GradientBucketer::finish() {
  std::lock_guard<std::mutex> lock(mutex_);
  if (!sync_) return;
  const double start = now_seconds();
  collect_timings();
  if (options_.record_events) events_.push_back({BucketEvent::finish, -1});
  if (step_started_) stats_.backward_seconds += start - step_start_time_;
  // Parameters whose hook never fired (unused this step, or used only in
  // earlier non-synchronised micro-steps): their current .grad() or zeros.
  for (size_t i = 0; i < params_.size(); ++i) {
    if (ready_[i]) continue;
    ready_[i] = 1;
    copy_into_bucket(i);
    --buckets_[params_[i].bucket].pending;
  }
  launch_complete_buckets(/*in_backward=*/false);
  const double wait_start = now_seconds();
  stats_.copy_seconds += wait_start - start;
  for (auto& b : buckets_) {
    b.work->wait();
    untimed_.push_back(b.work);
  }
  collect_timings();
  const double wait_end = now_seconds();
  stats_.exposed_seconds += wait_end - wait_start;
  // .grad() becomes the bucket's storage (PyTorch DDP's gradient_as_bucket_view):
  // no copy back now, and while the optimizer zeroes gradients in place, the
  // next backward accumulates straight into the buckets (no copy in either).
  // from_blob, not narrow(): an autograd view would break zero_grad()'s detach_().
  for (auto& p : params_) {
    const torch::Tensor& buffer = buckets_[p.bucket].buffer;
    float* slot = buffer.data_ptr<float>() + p.offset;
    const torch::Tensor& grad = p.tensor.grad();
    if (grad.defined() && grad.data_ptr() == slot) continue;
    p.tensor.mutable_grad() = torch::from_blob(
        slot, p.tensor.sizes(), [keep_alive = buffer](void*) {}, buffer.options());
  }
  stats_.copy_seconds += now_seconds() - wait_end;
  ++stats_.steps;
  reset_step();
}

// A backend whose wait() does not block the host (NCCL) completes later: its
// time is counted at a later finish(), once done.
void GradientBucketer::collect_timings() {
  std::vector<WorkHandle> still;
  for (auto& w : untimed_) {
    if (w->done())
      stats_.comm_seconds += w->seconds();
    else
      still.push_back(std::move(w));
  }
  untimed_.swap(still);
}

void GradientBucketer::zero_grad() {
  std::lock_guard<std::mutex> lock(mutex_);
  ACC_CHECK(!step_started_, "gradient bucketer", "zero_grad() in the middle of a synchronised step");
  torch::NoGradGuard no_grad;
  for (auto& b : buckets_) b.buffer.zero_();
  for (auto& p : params_) {
    const torch::Tensor& grad = p.tensor.grad();
    if (!grad.defined()) continue;
    const float* slot = buckets_[p.bucket].buffer.data_ptr<float>() + p.offset;
    if (grad.data_ptr() != slot) p.tensor.mutable_grad().zero_();
  }
}

}  // namespace acc::dist

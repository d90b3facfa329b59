#include "step_profile.h"

#include <ATen/record_function.h>
#include <sys/resource.h>
#include <torch/csrc/autograd/profiler_legacy.h>
#include <torch/nn/utils/clip_grad.h>

#include <algorithm>
#include <chrono>
#include <memory>

#include "accompanist/model/config.h"
#include "accompanist/model/precision.h"

namespace acc::bench {
namespace {

using Clock = std::chrono::steady_clock;
namespace prof = torch::autograd::profiler;

// Minor page faults of this process so far (pages touched for the first time).
double minor_faults() {
  rusage u{};
  getrusage(RUSAGE_SELF, &u);
  return double(u.ru_minflt);
}

double ms_since(Clock::time_point t) {
  return std::chrono::duration<double, std::milli>(Clock::now() - t).count();
}

bool contains(const std::string& s, const char* part) {
  return s.find(part) != std::string::npos;
}

bool starts_with(const std::string& s, const char* prefix) {
  return s.rfind(prefix, 0) == 0;
}

// One training step, phase by phase; `mark(phase)` runs before each phase
// (a timer or a profiler scope).
template <class Mark>
void run_step(model::Seq2SeqTransformer& model, torch::optim::Optimizer& optimizer, const model::Batch& b,
              const StepRecipe& recipe, Mark&& mark) {
  torch::Tensor logits;
  {
    [[maybe_unused]] auto scope = mark("forward");
    model::AutocastScope autocast(b.source.device(), recipe.precision);  // as the trainer: the forward pass only
    model::BarIndices bars{b.source_bars, b.target_bars, b.source_chords, b.target_chords};
    logits = model->forward(b.source, b.decoder_input, bars);  // [B, T, V]
  }
  torch::Tensor loss;
  {
    [[maybe_unused]] auto scope = mark("loss");
    loss = model::sequence_loss_sum(logits.to(torch::kFloat32), b.labels) / double(b.label_tokens);
  }
  {
    [[maybe_unused]] auto scope = mark("backward");
    loss.backward();
  }
  if (recipe.clip_norm > 0) {
    [[maybe_unused]] auto scope = mark("clip");
    torch::nn::utils::clip_grad_norm_(model->parameters(), recipe.clip_norm);
  }
  {
    [[maybe_unused]] auto scope = mark("optimizer");
    optimizer.step();
  }
  {
    [[maybe_unused]] auto scope = mark("zero_grad");
    optimizer.zero_grad();
  }
}

struct PhaseTimer {
  double* slot;
  Clock::time_point start = Clock::now();
  ~PhaseTimer() { *slot += ms_since(start); }
};

double* phase_slot(PhaseTimes& t, const std::string& phase) {
  if (phase == "forward") return &t.forward;
  if (phase == "loss") return &t.loss;
  if (phase == "backward") return &t.backward;
  if (phase == "clip") return &t.clip;
  if (phase == "optimizer") return &t.optimizer;
  return &t.zero_grad;
}

// Per thread: push/pop ranges nest, so a stack gives each op's span and the
// spans of its direct children; the innermost "phase::" range is its phase.
struct OpTotals {
  std::map<std::pair<std::string, std::string>, std::pair<double, int64_t>> by_name_phase;  // self us, calls
  double ops = 0;
};

void add_thread_events(const std::vector<prof::LegacyEvent>& events, OpTotals& totals) {
  struct Open {
    const prof::LegacyEvent* push;
    double child_us = 0;
  };
  std::vector<Open> stack;
  for (const prof::LegacyEvent& e : events) {
    if (e.kind() == prof::EventKind::PushRange) {
      stack.push_back({&e});
    } else if (e.kind() == prof::EventKind::PopRange && !stack.empty()) {
      const Open open = stack.back();
      stack.pop_back();
      const double span = open.push->cpuElapsedUs(e);
      if (!stack.empty()) stack.back().child_us += span;
      std::string name = open.push->name();
      std::string phase = "other";
      if (starts_with(name, "phase::")) {
        // Time in a phase outside any op: custom autograd functions' own loops, Adam's bookkeeping, ...
        phase = name.substr(7);
        name = "(outside ops, " + phase + ")";
        auto& slot = totals.by_name_phase[{name, phase}];
        slot.first += std::max(0.0, span - open.child_us);
        slot.second += 1;
        continue;
      }
      for (auto it = stack.rbegin(); it != stack.rend(); ++it)
        if (starts_with(it->push->name(), "phase::")) {
          phase = std::string(it->push->name()).substr(7);
          break;
        }
      auto& slot = totals.by_name_phase[{name, phase}];
      slot.first += std::max(0.0, span - open.child_us);
      slot.second += 1;
      totals.ops += 1;
    }
  }
}

}  // namespace

std::string op_category(const std::string& op, const std::string& phase) {
  if (starts_with(op, "(outside ops")) return "outside ops";
  if (phase == "optimizer" || phase == "clip" || phase == "zero_grad") return phase;
  static const char* const kMatmul[] = {"aten::mm",      "aten::bmm", "aten::addmm",  "aten::baddbmm", "aten::addbmm",
                                        "aten::_mkldnn", "mkldnn",    "aten::matmul", "aten::linear",  "aten::dot"};
  for (const char* m : kMatmul)
    if (starts_with(op, m) || op == m) return "matrix products";
  if (contains(op, "Backward") || starts_with(op, "autograd::") || contains(op, "AccumulateGrad"))
    return "backward bookkeeping";
  if (contains(op, "layer_norm")) return "layer norm";
  if (contains(op, "embedding")) return "embedding";
  if (contains(op, "log_softmax") || contains(op, "nll_loss") || phase == "loss") return "loss";
  if (contains(op, "softmax") || contains(op, "dropout") || contains(op, "bernoulli") ||
      contains(op, "relative_attention"))
    return "attention softmax/dropout";
  if (op == "aten::to" || op == "aten::_to_copy" || op == "aten::copy_" || op == "aten::_autocast_to_reduced_precision")
    return "dtype casts";
  if (contains(op, "gelu") || contains(op, "relu")) return "activation";
  return "elementwise and other";
}

PhaseTimes time_step_phases(model::Seq2SeqTransformer& model, torch::optim::Optimizer& optimizer,
                            const model::Batch& batch, const StepRecipe& recipe, int64_t steps) {
  PhaseTimes warm, t;
  run_step(model, optimizer, batch, recipe, [&](const char* p) { return PhaseTimer{phase_slot(warm, p)}; });
  const double faults = minor_faults();
  for (int64_t i = 0; i < steps; ++i)
    run_step(model, optimizer, batch, recipe, [&](const char* p) { return PhaseTimer{phase_slot(t, p)}; });
  const double n = double(std::max<int64_t>(steps, 1));
  t.page_faults = (minor_faults() - faults) / n;
  for (double* v : {&t.forward, &t.loss, &t.backward, &t.clip, &t.optimizer, &t.zero_grad}) *v /= n;
  return t;
}

StepOpProfile profile_step_ops(model::Seq2SeqTransformer& model, torch::optim::Optimizer& optimizer,
                               const model::Batch& batch, const StepRecipe& recipe, int64_t steps,
                               const std::string& trace) {
  // A "phase::<name>" user scope around each phase (RECORD_USER_SCOPE, held in a unique_ptr).
  auto user_scope = [](const char* phase) {
    auto guard = std::make_unique<at::RecordFunction>(at::RecordScope::USER_SCOPE);
    if (guard->isActive()) guard->before(std::string("phase::") + phase, c10::ArrayRef<const c10::IValue>{});
    return guard;
  };
  run_step(model, optimizer, batch, recipe, [](const char*) { return 0; });  // warm-up
  StepOpProfile out;
  OpTotals totals;
  const double n = double(std::max<int64_t>(steps, 1));
  {
    const Clock::time_point start = Clock::now();
    prof::enableProfilerLegacy(torch::profiler::impl::ProfilerConfig(torch::profiler::impl::ProfilerState::CPU));
    for (int64_t i = 0; i < steps; ++i) run_step(model, optimizer, batch, recipe, user_scope);
    const prof::thread_event_lists lists = prof::disableProfilerLegacy();
    out.profiled_step_ms = ms_since(start) / n;
    for (const auto& events : lists) add_thread_events(events, totals);
  }
  if (!trace.empty()) {
    prof::RecordProfile record(trace);
    run_step(model, optimizer, batch, recipe, user_scope);
  }
  for (const auto& [key, value] : totals.by_name_phase) {
    const std::string category = op_category(key.first, key.second);
    out.category_ms[category] += value.first / 1000.0 / n;
    auto found = std::find_if(out.ops.begin(), out.ops.end(), [&](const OpSelfTime& o) { return o.name == key.first; });
    if (found == out.ops.end()) {
      out.ops.push_back({key.first, category, 0, 0});
      found = out.ops.end() - 1;
    }
    found->self_ms += value.first / 1000.0 / n;
    found->calls += int64_t(double(value.second) / n);
  }
  std::sort(out.ops.begin(), out.ops.end(),
            [](const OpSelfTime& a, const OpSelfTime& b) { return a.self_ms > b.self_ms; });
  out.op_count = totals.ops / n;
  return out;
}

nlohmann::ordered_json step_profile_json(model::Seq2SeqTransformer& model, torch::optim::Optimizer& optimizer,
                                         const model::Batch& batch, const StepRecipe& recipe, int64_t steps,
                                         const std::string& trace) {
  const PhaseTimes phases = time_step_phases(model, optimizer, batch, recipe, steps);
  const StepOpProfile ops = profile_step_ops(model, optimizer, batch, recipe, steps, trace);
  nlohmann::ordered_json j;
  j["step_ms"] = phases.total();
  j["phases_ms"] = {{"forward", phases.forward}, {"loss", phases.loss},           {"backward", phases.backward},
                    {"clip", phases.clip},       {"optimizer", phases.optimizer}, {"zero_grad", phases.zero_grad}};
  j["page_faults_per_step"] = phases.page_faults;
  j["profiled_step_ms"] = ops.profiled_step_ms;
  j["op_count"] = ops.op_count;
  double self_total = 0;
  for (const auto& [category, ms] : ops.category_ms) self_total += ms;
  nlohmann::ordered_json ms = nlohmann::ordered_json::object(), share = nlohmann::ordered_json::object();
  std::vector<std::pair<std::string, double>> sorted(ops.category_ms.begin(), ops.category_ms.end());
  std::sort(sorted.begin(), sorted.end(), [](const auto& a, const auto& b) { return a.second > b.second; });
  for (const auto& [category, v] : sorted) {
    ms[category] = v;
    share[category] = v / std::max(self_total, 1e-9);
  }
  j["category_ms"] = ms;
  j["category_share"] = share;
  nlohmann::ordered_json top = nlohmann::ordered_json::array();
  for (size_t i = 0; i < ops.ops.size() && i < 15; ++i)
    top.push_back({{"op", ops.ops[i].name},
                   {"category", ops.ops[i].category},
                   {"self_ms", ops.ops[i].self_ms},
                   {"calls", ops.ops[i].calls}});
  j["top_ops"] = top;
  return j;
}

model::Batch synthetic_batch(int64_t batch, int64_t len, int64_t vocab, int64_t bars, int64_t target_len) {
  const int64_t T = target_len > 0 ? target_len : len;
  model::Batch b;
  b.source = torch::randint(3, vocab, {batch, len}, torch::kLong);       // [B, S]
  b.decoder_input = torch::randint(3, vocab, {batch, T}, torch::kLong);  // [B, T]
  b.decoder_input.select(1, 0).fill_(model::kBos);
  b.labels = torch::randint(3, vocab, {batch, T}, torch::kLong);  // [B, T]
  b.source_tokens = batch * len;
  b.label_tokens = batch * T;
  if (bars > 0) {
    // bar of position i of n: i * bars / n; one random chord per bar
    auto bar_of = [&](int64_t n) {
      return torch::arange(n, torch::kLong).mul(bars).div(n, "floor").expand({batch, n}).contiguous();
    };
    const torch::Tensor chord_of_bar = torch::randint(1, model::kChordIds, {batch, bars}, torch::kLong);  // [B, bars]
    b.source_bars = bar_of(len);
    b.target_bars = bar_of(T);
    b.source_chords = chord_of_bar.gather(1, b.source_bars);  // [B, S]
    b.target_chords = chord_of_bar.gather(1, b.target_bars);  // [B, T]
  }
  return b;
}

}  // namespace acc::bench

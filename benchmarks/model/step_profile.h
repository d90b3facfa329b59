// Where a training step's time goes (issue 22, `bench_model profile`): the
// step as the trainer runs it (autocast forward, fp32 loss, backward, clip,
// Adam, zero_grad), timed phase by phase without the profiler, and once under
// LibTorch's legacy profiler with every op's self time sorted into a few
// categories (matrix products, attention, layer norm, ...).
#pragma once

#include <torch/optim/optimizer.h>

#include <cstdint>
#include <map>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "accompanist/model/batch.h"
#include "accompanist/model/transformer.h"

namespace acc::bench {

// What one step does, as train::Trainer does it.
struct StepRecipe {
  std::string precision = "fp32";  // fp32 | bf16 (autocast around the forward pass)
  double clip_norm = 0;            // > 0: clip_grad_norm_ as the trainer
};

// Mean wall milliseconds per phase over `steps` steps (after one warm-up).
struct PhaseTimes {
  double forward = 0, loss = 0, backward = 0, clip = 0, optimizer = 0, zero_grad = 0;
  double page_faults = 0;  // minor faults per step: pages the heap handed out fresh
  double total() const { return forward + loss + backward + clip + optimizer + zero_grad; }
};
PhaseTimes time_step_phases(model::Seq2SeqTransformer& model, torch::optim::Optimizer& optimizer,
                            const model::Batch& batch, const StepRecipe& recipe, int64_t steps);

struct OpSelfTime {
  std::string name;
  std::string category;
  double self_ms = 0;  // per step
  int64_t calls = 0;   // per step
};

struct StepOpProfile {
  std::map<std::string, double> category_ms;  // per step, self time
  std::vector<OpSelfTime> ops;                // sorted by self time, largest first
  double profiled_step_ms = 0;                // wall, with the profiler's own cost
  double op_count = 0;                        // ops per step
};
// `steps` steps under the legacy CPU profiler; self time = an op's span
// minus the spans of the ops it called. `trace` (if not empty): a chrome
// trace of the last step.
StepOpProfile profile_step_ops(model::Seq2SeqTransformer& model, torch::optim::Optimizer& optimizer,
                               const model::Batch& batch, const StepRecipe& recipe, int64_t steps,
                               const std::string& trace = "");

// Both of the above for one model, batch and recipe as one JSON object:
// phases_ms and step_ms (unprofiled), category_ms and category_share (of the
// profiled self time), top_ops (the 15 largest), op_count, profiled_step_ms.
nlohmann::ordered_json step_profile_json(model::Seq2SeqTransformer& model, torch::optim::Optimizer& optimizer,
                                         const model::Batch& batch, const StepRecipe& recipe, int64_t steps,
                                         const std::string& trace = "");

// Random tokens (never PAD/BOS/EOS), BOS first in the decoder input; source
// [batch, len], decoder input and labels [batch, target_len] (0 = len); with
// `bars` > 0 the bar indices (evenly spaced, `bars` bars per sequence) and
// random chords that a bar-aligned, chord-conditioned model reads.
model::Batch synthetic_batch(int64_t batch, int64_t len, int64_t vocab, int64_t bars = 0, int64_t target_len = 0);

// The category of an op by its name and the phase it ran in (forward,
// backward, optimizer, ...): "matrix products", "attention softmax/dropout",
// "layer norm", "embedding", "loss", "dtype casts", "backward bookkeeping",
// "optimizer", "clip", "zero_grad", "elementwise and other", and "outside
// ops" (a phase's time in no op: e.g. a custom autograd function's forward).
std::string op_category(const std::string& op, const std::string& phase);

}  // namespace acc::bench

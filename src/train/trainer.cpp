#include "accompanist/train/trainer.h"

#include <spdlog/spdlog.h>
#include <torch/torch.h>

#include <chrono>
#include <cmath>
#include <filesystem>
#include <optional>

#include "accompanist/data/corpus.h"
#include "accompanist/data/corpus_record.h"
#include "accompanist/dist/communicator.h"
#include "accompanist/dist/gradient_bucketer.h"
#include "accompanist/model/batch.h"
#include "accompanist/model/checkpoint.h"
#include "accompanist/model/flops.h"
#include "accompanist/model/transformer.h"
#include "accompanist/tokenizer/tokenizer.h"
#include "accompanist/train/checkpoint_store.h"
#include "accompanist/train/lr_schedule.h"
#include "accompanist/train/metrics_log.h"
#include "accompanist/train/pair_source.h"
#include "accompanist/train/stop_signal.h"
#include "accompanist/util/error.h"
#include "accompanist/util/file.h"
#include "accompanist/util/sha256.h"
#include "batch_loader.h"
#include "checkpoint_io.h"
#include "init_from.h"
#include "run_environment.h"
#include "run_record.h"
#include "sample_writer.h"
#include "training_data.h"

namespace fs = std::filesystem;

namespace acc::train {
namespace {

using Clock = std::chrono::steady_clock;

double seconds_since(Clock::time_point t) {
  return std::chrono::duration<double>(Clock::now() - t).count();
}

// Sums over one logging interval.
struct IntervalStats {
  int steps = 0;
  int skipped = 0;
  double loss = 0;
  double grad_norm = 0;
  int64_t tokens = 0;                        // source + label tokens, all ranks
  int64_t local_real = 0, local_padded = 0;  // this rank's source + decoder input positions: non-PAD, all
  double data_s = 0, compute_s = 0, comm_s = 0;
  double flops = 0;  // model FLOPs, all ranks
  Clock::time_point start = Clock::now();
};

class Trainer {
 public:
  Trainer(const TrainConfig& config, const RunOptions& run, dist::Communicator& comm)
      : cfg_(config), run_(run), comm_(comm), store_(run.run_dir) {}

  int run() {
    device_ = configure_threads_and_device(cfg_.train.threads, comm_);
    resolve_precision();
    open_data();
    std::optional<std::string> resume_dir = find_resume_checkpoint();
    build_model_and_optimizer(resume_dir);
    dist::check_replicas(comm_, *model_, config_sha256_);
    dist::broadcast_parameters(*model_, comm_);
    write_run_files(resume_dir);
    install_stop_handlers();  // again, for library users (idempotent)
    return train_loop();
  }

 private:
  // ---- setup ------------------------------------------------------------

  void open_data() { data_ = open_training_data(cfg_, comm_.rank() == 0); }

  model::ModelConfig model_config() const {
    model::ModelConfig m = cfg_.model;
    m.vocab_size = data_.vocab_size;
    m.max_len = cfg_.data.max_len;
    return m;
  }

  // train.precision auto -> bf16 where the device has native bf16 (model/precision.h).
  // Every rank must compute alike: one rank without it makes the run fp32.
  void resolve_precision() {
    precision_ = model::resolve_precision(cfg_.train.precision, device_);
    const bool all_bf16 = comm_.allreduce_host(int64_t(precision_ == "bf16" ? 0 : 1), dist::ReduceOp::max) == 0;
    if (cfg_.train.precision == "auto" && !all_bf16) precision_ = "fp32";
    if (comm_.rank() == 0)
      spdlog::info("precision {} (train.precision {}; {})", precision_, cfg_.train.precision,
                   model::precision_reason(device_));
  }

  std::optional<std::string> find_resume_checkpoint() {
    std::optional<std::string> dir;
    if (run_.resume == "auto") {
      dir = store_.latest_complete();
      if (!dir && comm_.rank() == 0)
        spdlog::info("--resume auto: no complete checkpoint in {}, starting fresh", store_.dir());
    } else if (!run_.resume.empty()) {
      if (!CheckpointStore::is_complete(run_.resume))
        throw Error(run_.resume, "not a complete checkpoint (no COMPLETE marker)");
      dir = run_.resume;
    } else if (!store_.complete_steps().empty()) {
      throw Error(run_.run_dir, "already holds checkpoints; pass --resume auto to continue it, or use a new --run-dir");
    }
    return dir;
  }

  void build_model_and_optimizer(const std::optional<std::string>& resume_dir) {
    const model::ModelConfig mc = model_config();
    mc.validate();
    config_sha256_ = util::sha256_hex(util::dump_config(cfg_));
    if (resume_dir) {
      state_ = state_from_json(util::read_file_text(*resume_dir + "/trainer_state.json"),
                               *resume_dir + "/trainer_state.json");
      if (state_.tokenizer_sha256 != data_.tokenizer_sha256)
        throw Error(cfg_.data.corpus, "corpus tokenizer differs from the checkpoint's (" +
                                          data_.tokenizer_sha256.substr(0, 12) + " vs " +
                                          state_.tokenizer_sha256.substr(0, 12) + ")");
      const model::ModelConfig stored = model::load_model_config(*resume_dir);
      if (stored != mc)
        throw Error(*resume_dir, "checkpoint has a different model shape than the config (" + stored.to_json() +
                                     " vs " + mc.to_json() + ")");
      model_ = model::load_model(*resume_dir);
    } else {
      model_ = initial_model(mc);
      state_.tokenizer_sha256 = data_.tokenizer_sha256;
    }
    model_->to(device_);
    model_->train();

    const auto& t = cfg_.train;
    if (t.optimizer == "adamw") {
      optimizer_ = std::make_unique<torch::optim::AdamW>(
          model_->parameters(),
          torch::optim::AdamWOptions(t.lr).betas({t.beta1, t.beta2}).eps(t.eps).weight_decay(t.weight_decay));
    } else {
      optimizer_ = std::make_unique<torch::optim::Adam>(
          model_->parameters(), torch::optim::AdamOptions(t.lr).betas({t.beta1, t.beta2}).eps(t.eps));
    }
    schedule_ = LrSchedule{t.schedule, t.lr, t.warmup_steps, t.max_steps, t.min_lr_ratio};

    if (resume_dir) {
      load_optimizer(*optimizer_, *resume_dir);
      if (state_.world != comm_.size() && comm_.rank() == 0)
        spdlog::warn("resuming a {}-rank run on {} ranks: the data order changes", state_.world, comm_.size());
      if (!load_rng_state(*resume_dir, comm_.rank(), device_))
        torch::manual_seed(mix_seed(cfg_.train.seed, comm_.rank() + 1));
      if (comm_.rank() == 0) spdlog::info("resumed from {} (step {})", *resume_dir, state_.step);
      if (comm_.rank() == 0 && !cfg_.train.init_from.empty())
        spdlog::info("train.init_from {} not used: it applies to a fresh start only", cfg_.train.init_from);
    } else {
      // Dropout differs per rank, as in DDP.
      torch::manual_seed(mix_seed(cfg_.train.seed, comm_.rank() + 1));
    }
    state_.world = comm_.size();
    state_.config_sha256 = config_sha256_;
    if (comm_.rank() == 0)
      spdlog::info("model: {:.2f}M parameters, d_model {}, layers {}+{}, heads {}, ff {}, vocabulary {}",
                   double(model::parameter_count(mc)) / 1e6, mc.d_model, mc.enc_layers, mc.dec_layers, mc.heads, mc.ff,
                   mc.vocab_size);
  }

  // Random weights, the same on every rank, or train.init_from's. Every rank
  // loads and checks the checkpoint, so a mismatch stops all of them alike.
  model::Seq2SeqTransformer initial_model(const model::ModelConfig& mc) {
    torch::manual_seed(mix_seed(cfg_.train.seed, 0));
    if (cfg_.train.init_from.empty()) return model::Seq2SeqTransformer(mc);
    InitCheckpoint init = load_init_checkpoint(cfg_.train.init_from, mc, data_.tokenizer_sha256);
    init_from_step_ = init.step;
    if (comm_.rank() == 0)
      spdlog::info(
          "train.init_from: weights of {} (step {}); optimizer, learning-rate schedule, step count and "
          "data order start afresh",
          init.dir, init.step);
    return init.model;
  }

  // run.json: how this start came about (run_record.h). Rank 0.
  RunRecord run_record(const std::optional<std::string>& resume_dir) const {
    RunRecord record;
    record.argv = run_.argv;
    record.config_file = run_.config_file;
    record.overrides = run_.overrides;
    record.ranks = comm_.size();
    record.threads_per_rank = torch::get_num_threads();
    record.parameters = model::parameter_count(model_config());
    record.resumed_from = resume_dir.value_or("");
    record.precision = precision_;
    record.precision_reason = model::precision_reason(device_);
    record.step = state_.step;
    record.max_steps = cfg_.train.max_steps;
    if (!resume_dir && !cfg_.train.init_from.empty()) {
      record.init_from = fs::absolute(cfg_.train.init_from).string();
      record.init_from_step = init_from_step_;
      record.init_parameters_sha256 = dist::parameters_sha256(*model_);  // after the broadcast, before any step
    }
    return record;
  }

  void write_run_files(const std::optional<std::string>& resume_dir) {
    const bool resumed = resume_dir.has_value();
    if (comm_.rank() == 0) {
      fs::create_directories(fs::path(run_.run_dir) / "samples");
      util::write_file_atomic((fs::path(run_.run_dir) / "config.yaml").string(), util::dump_config(cfg_));
      write_run_record(run_.run_dir, run_record(resume_dir));
      store_.remove_stale_staging();
      metrics_.emplace((fs::path(run_.run_dir) / "metrics.jsonl").string(), resumed ? state_.step : -1);
    }
    comm_.barrier();
  }

  // ---- the loop ---------------------------------------------------------

  int train_loop() {
    const auto& t = cfg_.train;
    const int64_t global_batch = int64_t(t.batch_size) * comm_.size() * t.accumulation;
    BatchPlan plan = t.max_tokens > 0
                         ? BatchPlan::token_budget(data_.train->budget_sizes(cfg_.data.max_len), t.max_tokens,
                                                   int64_t(comm_.size()) * t.accumulation, t.seed)
                         : BatchPlan(data_.train->costs(), global_batch, t.seed, cfg_.data.group_by_length);
    LoaderShape shape{comm_.rank(),
                      comm_.size(),
                      t.batch_size,
                      t.accumulation,
                      cfg_.data.max_len,
                      data_.vocab_size,
                      cfg_.data.prefetch_batches,
                      data_.time,
                      cfg_.data.pad_to_multiple};
    BatchLoader loader(*data_.train, plan, shape, state_.position);
    dist::GradientBucketer bucketer(*model_, comm_, dist::BucketerOptions::from(cfg_.dist));
    if (comm_.rank() == 0 && t.max_tokens > 0)
      spdlog::info("training: token budget {} per rank and micro-step x {} ranks x {} accumulation, {} steps per epoch",
                   t.max_tokens, comm_.size(), t.accumulation, plan.batches_per_epoch());
    else if (comm_.rank() == 0)
      spdlog::info("training: global batch {} ({} per rank x {} ranks x {} accumulation), {} batches per epoch",
                   global_batch, t.batch_size, comm_.size(), t.accumulation, plan.batches_per_epoch());

    run_start_ = Clock::now();
    IntervalStats interval;
    int64_t last_saved = state_.step;
    while (state_.step < t.max_steps) {
      Clock::time_point wait_start = Clock::now();
      StepData data = loader.next();
      interval.data_s += seconds_since(wait_start);

      const double lr = schedule_.at(state_.step + 1);
      set_learning_rate(lr);
      const StepResult r = forward_backward_update(data, bucketer);
      state_.step += 1;
      state_.position = plan.next(data.position);
      accumulate(interval, r, data);

      if (t.check_replicas_every > 0 && state_.step % t.check_replicas_every == 0) check_parameters_identical();
      if (state_.step % t.log_every == 0 || state_.step == t.max_steps) log_interval(interval, lr);
      if (t.valid_every > 0 && state_.step % t.valid_every == 0) run_validation(lr);
      if (t.sample_every > 0 && state_.step % t.sample_every == 0) write_samples();
      if (t.checkpoint_every > 0 && state_.step % t.checkpoint_every == 0) {
        save_checkpoint();
        last_saved = state_.step;
      }
      // All ranks agree on a stop request (SIGTERM/SIGUSR1 may reach only some).
      if (comm_.allreduce_host(int64_t(stop_requested() ? 1 : 0), dist::ReduceOp::max) > 0) {
        if (comm_.rank() == 0) spdlog::warn("stop requested (signal): saving step {} and exiting", state_.step);
        if (last_saved != state_.step) save_checkpoint();
        record_status();
        return 0;
      }
    }
    if (last_saved != state_.step) save_checkpoint();
    record_status();
    if (comm_.rank() == 0) spdlog::info("done: {} steps in {:.1f} s", state_.step, seconds_since(run_start_));
    return 0;
  }

  // After the last save: complete once max_steps are done (also when a stop
  // request came with the last step), else stopped. Batch scripts requeue on it.
  void record_status() {
    if (comm_.rank() == 0)
      write_run_status(run_.run_dir, state_.step >= cfg_.train.max_steps ? RunStatus::complete : RunStatus::stopped,
                       state_.step, cfg_.train.max_steps);
  }

  struct StepResult {
    double loss = 0;  // token-weighted mean over the global batch
    double grad_norm = 0;
    bool skipped = false;
    double compute_s = 0;
    double comm_s = 0;
  };

  StepResult forward_backward_update(StepData& data, dist::GradientBucketer& bucketer) {
    StepResult r;
    Clock::time_point start = Clock::now();
    // The loss is normalised by the global label count, so any split of the
    // global batch over ranks and micro-steps gives the same gradient.
    const int64_t global_tokens = comm_.allreduce_host(data.label_tokens, dist::ReduceOp::sum);
    const double scale = double(comm_.size()) / double(std::max<int64_t>(global_tokens, 1));
    // Summed on the device: an .item() per micro-step would stall the GPU's queue each time.
    torch::Tensor local_loss_sum = torch::zeros({}, torch::TensorOptions().dtype(torch::kFloat64).device(device_));
    bucketer.reset_stats();
    for (size_t m = 0; m < data.micro.size(); ++m) {
      model::Batch& b = data.micro[m];
      bucketer.set_sync(m + 1 == data.micro.size());
      torch::Tensor logits = forward(b);  // [B, T, V]
      torch::Tensor loss_sum = model::sequence_loss_sum(logits.to(torch::kFloat32), to_device(b.labels));
      (loss_sum * scale).backward();
      local_loss_sum += loss_sum.detach().to(torch::kFloat64);
    }
    bucketer.finish();
    r.comm_s = bucketer.stats().exposed_seconds;
    r.loss = comm_.allreduce_host(local_loss_sum.item<double>(), dist::ReduceOp::sum) /
             double(std::max<int64_t>(global_tokens, 1));
    r.grad_norm = gradient_norm();
    if (!std::isfinite(r.loss) || !std::isfinite(r.grad_norm)) {
      // Every rank holds the same averaged gradients and loss, so all skip together.
      bucketer.zero_grad();
      r.skipped = true;
      state_.skipped_steps += 1;
      if (++state_.bad_steps_in_row >= cfg_.train.max_bad_steps)
        throw Error("training", std::to_string(state_.bad_steps_in_row) + " non-finite losses in a row at step " +
                                    std::to_string(state_.step + 1) + " (lower train.lr or set train.clip_norm)");
      if (comm_.rank() == 0) spdlog::warn("step {}: non-finite loss, update skipped", state_.step + 1);
    } else {
      state_.bad_steps_in_row = 0;
      optimizer_->step();
      bucketer.zero_grad();  // in place: .grad() stays the bucket views (LibTorch 2.x's default would drop them)
    }
    r.compute_s = seconds_since(start) - r.comm_s;
    return r;
  }

  // Every rank must hold the same parameters after every update.
  void check_parameters_identical() {
    dist::check_same_on_all_ranks(comm_, "parameters after step " + std::to_string(state_.step),
                                  dist::parameters_sha256(*model_));
    if (comm_.rank() == 0) spdlog::debug("step {}: parameters identical on all ranks", state_.step);
  }

  torch::Tensor forward(const model::Batch& b) {
    AutocastScope autocast(device_, precision_);
    model::BarIndices bars;
    if (b.source_bars.defined()) {
      bars.source = to_device(b.source_bars);
      bars.target = to_device(b.target_bars);
    }
    if (b.source_chords.defined()) {
      bars.source_chords = to_device(b.source_chords);
      bars.target_chords = to_device(b.target_chords);
    }
    return model_->forward(to_device(b.source), to_device(b.decoder_input), bars);
  }

  // On a GPU: pinned, non-blocking. A copy from pageable memory waits for the
  // GPU's queue to drain, i.e. a host sync per micro-step.
  torch::Tensor to_device(const torch::Tensor& t) const {
    return device_.is_cuda() ? t.pin_memory().to(device_, /*non_blocking=*/true) : t;
  }

  // Clips when train.clip_norm > 0; returns the global norm before clipping.
  double gradient_norm() {
    if (cfg_.train.clip_norm > 0) return torch::nn::utils::clip_grad_norm_(model_->parameters(), cfg_.train.clip_norm);
    torch::Tensor sq = torch::zeros({}, torch::TensorOptions().dtype(torch::kFloat64).device(device_));
    for (const auto& p : model_->parameters())
      if (p.grad().defined()) sq += p.grad().to(torch::kFloat64).pow(2).sum();
    return std::sqrt(sq.item<double>());  // one host sync, not one per parameter
  }

  // Through the options' base class: only the construction above branches on
  // train.optimizer.
  void set_learning_rate(double lr) {
    for (auto& group : optimizer_->param_groups()) group.options().set_lr(lr);
  }

  void accumulate(IntervalStats& s, const StepResult& r, const StepData& data) {
    s.steps += 1;
    s.skipped += r.skipped ? 1 : 0;
    s.loss += r.skipped ? 0 : r.loss;
    s.grad_norm += r.skipped ? 0 : r.grad_norm;
    s.compute_s += r.compute_s;
    s.comm_s += r.comm_s;
    int64_t local_tokens = data.label_tokens + data.source_tokens;
    s.tokens += local_tokens * comm_.size();  // ranks see similar amounts; exact totals are not worth a collective
    s.local_real += local_tokens;
    s.local_padded += data.padded_tokens;
    for (const auto& b : data.micro)
      s.flops += comm_.size() * double(b.source.size(0)) *
                 model::training_flops(model_config(), b.source.size(1), b.decoder_input.size(1));
  }

  // ---- logging, validation, checkpoints, samples ------------------------

  void log_interval(IntervalStats& s, double lr) {
    const double elapsed = seconds_since(s.start);
    const double tokens_per_s = double(s.tokens) / std::max(elapsed, 1e-9);
    const int good = std::max(1, s.steps - s.skipped);
    const double loss = s.loss / good;
    const double step_s = elapsed / std::max(1, s.steps);
    const double eta_s = step_s * double(cfg_.train.max_steps - state_.step);
    // PAD share of rank 0's batches (source + decoder input positions).
    const double padding = s.local_padded > 0 ? 1.0 - double(s.local_real) / double(s.local_padded) : 0.0;
    if (comm_.rank() == 0) {
      std::string mfu;
      if (device_.is_cuda() && cfg_.train.peak_tflops > 0)
        mfu = fmt::format(" | MFU {:.1f}%", 100.0 * s.flops / elapsed / (cfg_.train.peak_tflops * 1e12 * comm_.size()));
      spdlog::info(
          "step {}/{} | loss {:.4f} | lr {:.3g} | grad norm {:.3f} | {:.0f} tok/s | pad {:.1f}% | ms/step data {:.0f} "
          "compute {:.0f} comm {:.0f} | ETA {}{}",
          state_.step, cfg_.train.max_steps, loss, lr, s.grad_norm / good, tokens_per_s, 100.0 * padding,
          1e3 * s.data_s / s.steps, 1e3 * s.compute_s / s.steps, 1e3 * s.comm_s / s.steps, format_duration(eta_s), mfu);
      metrics_->append({{"step", state_.step},
                        {"split", "train"},
                        {"loss", loss},
                        {"lr", lr},
                        {"tokens_per_s", tokens_per_s},
                        {"time_s", seconds_since(run_start_)},
                        {"grad_norm", s.grad_norm / good},
                        {"ms_data", 1e3 * s.data_s / s.steps},
                        {"ms_compute", 1e3 * s.compute_s / s.steps},
                        {"ms_comm", 1e3 * s.comm_s / s.steps},
                        {"skipped_steps", state_.skipped_steps},
                        {"padding", padding},
                        {"precision", precision_}});
    }
    s = IntervalStats{};
  }

  void run_validation(double lr) {
    if (data_.valid->size() == 0) {
      if (comm_.rank() == 0 && !warned_no_valid_) spdlog::warn("no validation pairs: validation skipped");
      warned_no_valid_ = true;
      return;
    }
    Clock::time_point start = Clock::now();
    torch::NoGradGuard no_grad;
    model_->eval();
    const int per_batch = cfg_.train.batch_size * comm_.size();
    // Random validation batches, a function of (seed, step): the same after a resume.
    std::vector<uint32_t> picked = random_examples(data_.valid->size(), uint64_t(cfg_.train.valid_batches) * per_batch,
                                                   cfg_.train.seed, uint64_t(state_.step));
    double loss_sum = 0;
    int64_t tokens = 0, labels = 0;
    bool interrupted = false;
    for (size_t begin = 0; begin < picked.size(); begin += size_t(per_batch)) {
      // A long validation must not eat the grace period of a pre-emption
      // signal: all ranks agree (one tiny all-reduce per batch) to stop
      // early; the loop then saves and exits.
      if (comm_.allreduce_host(int64_t(stop_requested() ? 1 : 0), dist::ReduceOp::max) > 0) {
        interrupted = true;
        break;
      }
      std::vector<std::vector<int64_t>> sources, targets;
      model::BarChords chords;
      // Rank r takes every world-th example of the batch.
      for (size_t i = begin + size_t(comm_.rank()); i < std::min(picked.size(), begin + size_t(per_batch));
           i += size_t(comm_.size())) {
        TokenExample ex = data_.valid->get(picked[i]);
        sources.push_back(std::move(ex.source));
        targets.push_back(std::move(ex.target));
        chords.push_back(std::move(ex.source_bar_chords));
      }
      if (sources.empty()) continue;
      model::Batch b = model::make_batch(sources, targets, cfg_.data.max_len, data_.vocab_size, data_.time, chords);
      model::pad_batch_length(b, cfg_.data.pad_to_multiple, cfg_.data.max_len);
      torch::Tensor logits = forward(b);
      loss_sum += model::sequence_loss_sum(logits.to(torch::kFloat32), to_device(b.labels)).item<double>();
      tokens += b.label_tokens + b.source_tokens;
      labels += b.label_tokens;
    }
    model_->train();
    if (interrupted) {  // a partial validation is not recorded
      if (comm_.rank() == 0)
        spdlog::warn("step {} | validation interrupted by a stop request: not recorded", state_.step);
      return;
    }
    const double total_loss = comm_.allreduce_host(loss_sum, dist::ReduceOp::sum);
    const int64_t total_labels = comm_.allreduce_host(labels, dist::ReduceOp::sum);
    const int64_t total_tokens = comm_.allreduce_host(tokens, dist::ReduceOp::sum);
    const double loss = total_loss / double(std::max<int64_t>(total_labels, 1));
    const bool best = !state_.has_best || loss < state_.best_valid_loss;
    state_.last_valid_loss = loss;
    state_.has_last_valid = true;
    if (best) {
      state_.best_valid_loss = loss;
      state_.has_best = true;
      best_since_checkpoint_ = true;
    }
    const double elapsed = seconds_since(start);
    if (comm_.rank() == 0) {
      spdlog::info("step {} | valid loss {:.4f}{} | {} pairs in {:.1f} s", state_.step, loss, best ? " (best)" : "",
                   picked.size(), elapsed);
      metrics_->append({{"step", state_.step},
                        {"split", "valid"},
                        {"loss", loss},
                        {"lr", lr},
                        {"tokens_per_s", double(total_tokens) / std::max(elapsed, 1e-9)},
                        {"time_s", seconds_since(run_start_)},
                        {"pairs", picked.size()}});
    }
  }

  void save_checkpoint() {
    Clock::time_point start = Clock::now();
    const int64_t step = state_.step;
    std::string staging = store_.staging_dir(step);
    if (comm_.rank() == 0) store_.begin(step);
    comm_.barrier();
    save_rng_state(staging, comm_.rank(), device_);
    comm_.barrier();
    if (comm_.rank() == 0) {
      model::save_model(model_, staging);
      save_optimizer(*optimizer_, staging);
      util::write_file_atomic(staging + "/trainer_state.json", state_to_json(state_));
      util::write_file_atomic(staging + "/config.yaml", util::dump_config(cfg_));
      if (data_.corpus) util::write_file_atomic(staging + "/tokenizer.json", data_.tokenizer_json());
      if (data_.record) util::write_file_atomic(staging + "/" + data::kCorpusRecordFile, data_.record->to_json());
      store_.commit(step, best_since_checkpoint_, cfg_.train.keep_last);
      write_run_status(run_.run_dir, RunStatus::running, step,
                       cfg_.train.max_steps);  // its step: the newest checkpoint
      spdlog::info("checkpoint {}{} in {:.1f} s", store_.final_dir(step), best_since_checkpoint_ ? " (best)" : "",
                   seconds_since(start));
    }
    best_since_checkpoint_ = false;
    comm_.barrier();
  }

  void write_samples() {
    if (comm_.rank() != 0 || data_.valid->size() == 0) return;
    std::vector<uint32_t> picked =
        random_examples(data_.valid->size(), uint64_t(cfg_.train.sample_count), cfg_.train.seed ^ 0x5a5a, state_.step);
    std::vector<TokenExample> examples;
    for (uint32_t i : picked) examples.push_back(data_.valid->get(i));
    const std::string dir = (fs::path(run_.run_dir) / "samples" / fmt::format("step-{:08d}", state_.step)).string();
    write_training_samples(model_, examples, picked, dir, cfg_.train.sample_max_tokens, data_.tokenizer_json(),
                           data_.time);
  }

  static std::string format_duration(double s) {
    if (!std::isfinite(s) || s < 0) return "?";
    const int64_t total = int64_t(s);
    return fmt::format("{}:{:02d}:{:02d}", total / 3600, (total / 60) % 60, total % 60);
  }

  TrainConfig cfg_;
  RunOptions run_;
  dist::Communicator& comm_;
  CheckpointStore store_;
  torch::Device device_{torch::kCPU};
  std::string precision_ = "fp32";  // resolved train.precision
  TrainingData data_;
  int64_t init_from_step_ = 0;  // train.init_from's checkpoint step, when it applied
  std::string config_sha256_;
  model::Seq2SeqTransformer model_{nullptr};
  std::unique_ptr<torch::optim::Optimizer> optimizer_;
  LrSchedule schedule_;
  TrainerState state_;
  std::optional<MetricsLog> metrics_;
  Clock::time_point run_start_ = Clock::now();
  bool best_since_checkpoint_ = false;
  bool warned_no_valid_ = false;
};

}  // namespace

int train(const TrainConfig& config, const RunOptions& run, dist::Communicator& comm) {
  Trainer trainer(config, run, comm);
  return trainer.run();
}

}  // namespace acc::train

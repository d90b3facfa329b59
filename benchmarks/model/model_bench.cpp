// Model benchmarks (JSON lines with the git revision and the machine):
//   bench_model train    [--lengths 256,512,1024,1500] [--tokens 2048] [--steps 2] [--threads N]
//                        [--precisions fp32,bf16] [--attention auto|on|off]
//                        [--device cpu|cuda] [--peak-tflops T]
//       forward+backward+Adam tokens/s of the Table 1 model at each length and
//       precision (batch = max(1, tokens / length); tokens counted source +
//       target), with GFLOP/s against this machine's GEMM peak (fp32 and bf16
//       at::mm, measured here) and the CPU's bf16 features.
//   bench_model generate [--source-len 1000] [--gen 1000] [--threads N] [--recompute sample|full] [--precisions fp32]
//       generation tokens/s with the key/value cache against recomputing the
//       whole decoder input at every step (encoder memory reused in both;
//       `sample` times 9 of the recomputing steps and integrates).
//   bench_model profile  [--len 512] [--batch 2] [--precisions fp32,bf16] [--steps 2] [--attention auto]
//                        [--config configs/train/cpu_small.yaml] [--target-len T] [--bars 12] [--clip 1.0]
//                        [--trace FILE]
//       where a training step's time goes (step_profile.h): phases timed
//       without the profiler, op self time by category under it; --trace
//       adds a chrome trace of one step.
//   bench_model python   [--len 256] [--batch 4] [--steps 3] [--threads N] [--repeats 3] [--precisions fp32,bf16]
//       the C++ training step against benchmarks/model/bench_reference.py on
//       the same sizes and thread count (both with OpenBLAS at 1 thread, as
//       the trainer), alternating `repeats` times; medians and their ratios.
//       Per precision: C++ with the fused relative attention and with the
//       composite path (cpp_<precision>: the one --attention picks, as the
//       trainer), Python plain (fp32) or under torch.autocast (bf16).
// Every mode: --heap tuned (default; the apps' heap policy, util/heap.h) or
// default (glibc's own, for the ablation).
// Timings on a shared machine are indicative: rerun the ratios when it is quiet.
#include <ATen/Parallel.h>
#include <sys/resource.h>
#include <torch/cuda.h>
#include <torch/optim/adam.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <ctime>
#include <fstream>
#include <iostream>
#include <map>
#include <memory>
#include <nlohmann/json.hpp>
#include <sstream>
#include <stdexcept>
#include <string>
#include <vector>

#include "accompanist/model/batch.h"
#include "accompanist/model/decoding.h"
#include "accompanist/model/flops.h"
#include "accompanist/model/fused_relative_attention.h"
#include "accompanist/model/precision.h"
#include "accompanist/model/transformer.h"
#include "accompanist/train/train_config.h"
#include "accompanist/util/blas_threads.h"
#include "accompanist/util/cpu_features.h"
#include "accompanist/util/heap.h"
#include "accompanist/util/version.h"
#include "common/bench_machine.h"
#include "step_profile.h"

namespace {

using Clock = std::chrono::steady_clock;
using acc::model::FusedAttention;
using acc::model::ModelConfig;
using acc::model::Seq2SeqTransformer;

double seconds_since(Clock::time_point t0) {
  return std::chrono::duration<double>(Clock::now() - t0).count();
}

// Process CPU seconds (all threads): steadier than wall time on a shared machine.
double cpu_now() {
  return static_cast<double>(std::clock()) / CLOCKS_PER_SEC;
}

struct Timing {
  double wall = 0.0, cpu = 0.0;
};

using acc::bench::cpu_model;

acc::util::HeapPolicy heap_policy;  // what main() set (--heap)

nlohmann::ordered_json base(const std::string& bench, int threads) {
  char host[256] = {0};
  gethostname(host, sizeof(host) - 1);
  nlohmann::ordered_json j;
  j["bench"] = bench;
  j["git"] = acc::git_revision();
  j["host"] = host;
  j["cpu"] = cpu_model();
  j["cores"] = static_cast<int>(sysconf(_SC_NPROCESSORS_ONLN));
  j["threads"] = threads;
  j["cpu_flags"] = acc::util::cpu_features_string();
  j["native_bf16"] = acc::util::cpu_has_native_bf16();
  j["heap"] = heap_policy.describe();
  return j;
}

// GFLOP/s of one n x n x n at::mm in `dtype` (best of repeats over ~0.3 s):
// the machine's practical peak for the products the model is made of.
double gemm_peak_gflops(at::ScalarType dtype, int64_t n = 1024) {
  torch::NoGradGuard no_grad;
  torch::Tensor a = torch::randn({n, n}).to(dtype), b = torch::randn({n, n}).to(dtype);
  torch::mm(a, b);  // warm-up (oneDNN primitive creation)
  double best = 1e30;
  const auto start = Clock::now();
  for (int i = 0; i < 20 && (i < 3 || seconds_since(start) < 0.3); ++i) {
    const auto t0 = Clock::now();
    torch::mm(a, b);
    best = std::min(best, seconds_since(t0));
  }
  return 2.0 * double(n) * double(n) * double(n) / best / 1e9;
}

double peak_rss_mb() {
  rusage u{};
  getrusage(RUSAGE_SELF, &u);
  return static_cast<double>(u.ru_maxrss) / 1024.0;
}

struct Args {
  std::string mode;
  std::vector<std::string> precisions{"fp32", "bf16"};
  std::string attention = "auto";
  std::string trace;           // profile: a chrome trace file ("" = none)
  std::string heap = "tuned";  // tuned (as the apps, util/heap.h) | default (glibc's own policy)
  std::string config;          // profile: a train YAML whose model to profile ("" = Table 1)
  int64_t target_len = 0;      // profile: decoder length (0 = --len)
  int64_t bars = 12;           // profile: bars per synthetic sequence when the model reads bars
  double clip = 0;             // profile: train.clip_norm
  std::vector<int64_t> lengths{256, 512, 1024, 1500};
  int64_t tokens = 2048, steps = 2, source_len = 1000, gen = 1000, len = 256, batch = 4;
  int threads = 0, repeats = 3;
  bool recompute_full = false;
  std::string device = "cpu";  // train: cuda times the step with device synchronisation
  double peak_tflops = 0;      // train on cuda: the line carries mfu = model FLOP/s / peak
};

// --attention: which path the models' self-attention layers take.
FusedAttention attention_mode(const Args& a) {
  return acc::model::parse_fused_attention(a.attention);
}

std::vector<std::string> parse_words(const std::string& s) {
  std::vector<std::string> out;
  std::stringstream in(s);
  std::string item;
  while (std::getline(in, item, ',')) out.push_back(item);
  return out;
}

std::vector<int64_t> parse_list(const std::string& s) {
  std::vector<int64_t> out;
  std::stringstream in(s);
  std::string item;
  while (std::getline(in, item, ',')) out.push_back(std::stoll(item));
  return out;
}

using acc::bench::synthetic_batch;

// Mean seconds of one forward+backward+Adam step after one warm-up step.
Timing time_train_steps(Seq2SeqTransformer& model, torch::optim::Adam& adam, const acc::model::Batch& b, int64_t steps,
                        const std::string& precision = "fp32") {
  const bool cuda = b.source.is_cuda();
  auto step = [&] {
    adam.zero_grad();
    torch::Tensor logits;
    {
      acc::model::AutocastScope autocast(b.source.device(), precision);  // as the trainer: the forward pass only
      logits = model(b.source, b.decoder_input);
    }
    torch::Tensor loss = acc::model::sequence_loss(logits.to(torch::kFloat), b.labels);
    loss.backward();
    adam.step();
  };
  step();
  if (cuda) torch::cuda::synchronize();
  const auto t0 = Clock::now();
  const double c0 = cpu_now();
  for (int64_t i = 0; i < steps; ++i) step();
  if (cuda) torch::cuda::synchronize();
  return {seconds_since(t0) / static_cast<double>(steps), (cpu_now() - c0) / static_cast<double>(steps)};
}

void bench_train(const Args& a) {
  ModelConfig c;  // Table 1
  torch::manual_seed(0);
  Seq2SeqTransformer model(c);
  acc::model::set_fused_attention(*model, attention_mode(a));
  const torch::Device device = a.device == "cuda" ? torch::Device(torch::kCUDA, 0) : torch::Device(torch::kCPU);
  model->to(device);
  model->train();
  torch::optim::Adam adam(model->parameters(), torch::optim::AdamOptions(1e-4).betas({0.9, 0.999}).eps(1e-8));
  const double peak_fp32 = gemm_peak_gflops(at::kFloat), peak_bf16 = gemm_peak_gflops(at::kBFloat16);
  for (int64_t L : a.lengths)
    for (const std::string& precision : a.precisions) {
      const int64_t B = std::max<int64_t>(1, a.tokens / L);
      acc::model::Batch b = synthetic_batch(B, L, c.vocab_size);
      b.source = b.source.to(device);
      b.decoder_input = b.decoder_input.to(device);
      b.labels = b.labels.to(device);
      const Timing tm = time_train_steps(model, adam, b, a.steps, precision);
      const double dt = tm.wall;
      const double flops = static_cast<double>(B) * acc::model::training_flops(c, L, L);
      auto j = base("model_train_step", at::get_num_threads());
      j["precision"] = precision;
      j["attention"] = acc::model::fused_attention_name(attention_mode(a));
      j["gemm_peak_fp32_gflop_per_s"] = peak_fp32;
      j["gemm_peak_bf16_gflop_per_s"] = peak_bf16;
      j["fraction_of_gemm_peak"] = flops / dt / 1e9 / (precision == "bf16" ? peak_bf16 : peak_fp32);
      j["len"] = L;
      j["batch"] = B;
      j["steps"] = a.steps;
      j["step_s"] = dt;
      j["step_cpu_s"] = tm.cpu;
      j["tokens_per_s"] = 2.0 * static_cast<double>(B * L) / dt;
      j["model_gflop_per_step"] = flops / 1e9;
      j["achieved_gflop_per_s"] = flops / dt / 1e9;
      j["parameters"] = acc::model::parameter_count(c);
      j["device"] = device.str();
      if (device.is_cuda() && a.peak_tflops > 0) {
        j["peak_tflops"] = a.peak_tflops;
        j["mfu"] = flops / dt / (a.peak_tflops * 1e12);
      }
      j["peak_rss_mb"] = peak_rss_mb();
      std::cout << j.dump() << std::endl;
    }
}

// Where one training step's time goes (step_profile.h), per precision: the
// Table 1 model, or --config's model (a train YAML) with its bar indices and
// chords when it reads them; clipping as --clip (the trainer's train.clip_norm).
void bench_profile(const Args& a) {
  ModelConfig c;  // Table 1
  std::string name = "table1";
  if (!a.config.empty()) {
    c = acc::train::load_train_config(a.config, {}).model;
    name = a.config;
  }
  for (const std::string& precision : a.precisions) {
    torch::manual_seed(0);
    Seq2SeqTransformer model(c);
    acc::model::set_fused_attention(*model, attention_mode(a));
    model->train();
    torch::optim::Adam adam(model->parameters(), torch::optim::AdamOptions(1e-4));
    const acc::model::Batch b =
        synthetic_batch(a.batch, a.len, c.vocab_size, c.needs_bars() ? a.bars : 0, a.target_len);
    acc::bench::StepRecipe recipe{precision, a.clip};
    auto j = base("model_step_profile", at::get_num_threads());
    j["model"] = name;
    j["parameters"] = acc::model::parameter_count(c);
    j["precision"] = precision;
    j["attention"] = acc::model::fused_attention_name(attention_mode(a));
    j["len"] = a.len;
    j["target_len"] = a.target_len > 0 ? a.target_len : a.len;
    j["batch"] = a.batch;
    j["steps"] = a.steps;
    j["clip_norm"] = a.clip;
    j.update(acc::bench::step_profile_json(model, adam, b, recipe, a.steps, a.trace));
    std::cout << j.dump() << std::endl;
  }
}

void bench_generate(const Args& a) {
  ModelConfig c;
  torch::manual_seed(0);
  Seq2SeqTransformer model(c);
  acc::model::set_fused_attention(*model, attention_mode(a));
  model->eval();
  torch::NoGradGuard no_grad;
  torch::Tensor source = torch::randint(3, c.vocab_size, {1, a.source_len}, torch::kLong);
  const int64_t n = std::min(a.gen, c.max_len);
  // As the generator: the precision rule of model/precision.h (first of --precisions).
  const std::string precision = a.precisions.front();
  acc::model::AutocastScope autocast(torch::kCPU, precision);

  // Cached: greedy, one position per step.
  auto t0 = Clock::now();
  acc::model::IncrementalDecoder decoder(model, source, n, {}, {}, precision);
  const double encode_s = seconds_since(t0);
  std::vector<int64_t> tokens{acc::model::kBos};
  t0 = Clock::now();
  const double c0 = cpu_now();
  for (int64_t t = 0; t < n; ++t) {
    torch::Tensor logits = decoder.step(torch::tensor({tokens.back()}, torch::kLong));
    // Avoid EOS/PAD so that every run generates exactly n tokens.
    logits = logits.to(torch::kFloat);
    logits.narrow(1, 0, 3).fill_(-1e9);
    tokens.push_back(logits.argmax(1).item<int64_t>());
  }
  const double cached_s = seconds_since(t0);
  const double cached_cpu = cpu_now() - c0;

  // Recomputing: the decoder over the whole prefix at every step (same tokens).
  // Every step is run with --recompute full; by default (sample) only 9 steps
  // spread over 1..n are timed and the total is their trapezoidal integral
  // (the full loop takes many minutes at n = 1000 on 2 cores).
  torch::Tensor memory = decoder.memory();
  torch::Tensor all = torch::tensor(tokens, torch::kLong).view({1, -1});
  auto recompute_step = [&](int64_t t) {
    const auto s0 = Clock::now();
    const double k0 = cpu_now();
    torch::Tensor logits = model->decode(all.narrow(1, 0, t), memory, source);  // [1, t, V]
    logits[0][t - 1].argmax().item<int64_t>();
    return Timing{seconds_since(s0), cpu_now() - k0};
  };
  Timing recompute;
  if (a.recompute_full) {
    for (int64_t t = 1; t <= n; ++t) {
      Timing s = recompute_step(t);
      recompute.wall += s.wall;
      recompute.cpu += s.cpu;
    }
  } else {
    std::vector<int64_t> ts;
    for (int k = 0; k <= 8; ++k) ts.push_back(std::max<int64_t>(1, n * k / 8));
    std::vector<Timing> dt;
    for (int64_t t : ts) dt.push_back(recompute_step(t));
    recompute = dt[0];
    for (size_t k = 1; k < ts.size(); ++k) {
      const double w = 0.5 * static_cast<double>(ts[k] - ts[k - 1]);
      recompute.wall += w * (dt[k].wall + dt[k - 1].wall);
      recompute.cpu += w * (dt[k].cpu + dt[k - 1].cpu);
    }
  }
  const double recompute_s = recompute.wall;

  auto j = base("model_generate", at::get_num_threads());
  j["precision"] = precision;
  j["source_len"] = a.source_len;
  j["generated"] = n;
  j["encode_s"] = encode_s;
  j["cached_s"] = cached_s;
  j["cached_tokens_per_s"] = static_cast<double>(n) / cached_s;
  j["recompute_s"] = recompute_s;
  j["recompute_tokens_per_s"] = static_cast<double>(n) / recompute_s;
  j["recompute"] = a.recompute_full ? "full" : "sampled 9 steps, integrated";
  j["speedup"] = recompute_s / cached_s;
  j["cached_cpu_s"] = cached_cpu;
  j["recompute_cpu_s"] = recompute.cpu;
  j["cpu_speedup"] = recompute.cpu / cached_cpu;
  std::cout << j.dump() << std::endl;
}

// One run of bench_reference.py; its JSON line.
nlohmann::json run_python_reference(const Args& a, const std::string& precision) {
  const std::string cmd = std::string(ACC_REFERENCE_PYTHON) + " " + ACC_SOURCE_DIR +
                          "/benchmarks/model/bench_reference.py --len " + std::to_string(a.len) + " --batch " +
                          std::to_string(a.batch) + " --threads " + std::to_string(at::get_num_threads()) +
                          " --steps " + std::to_string(a.steps) + " --precision " + precision;
  std::unique_ptr<FILE, int (*)(FILE*)> pipe(popen(cmd.c_str(), "r"), pclose);
  std::string text;
  char buf[4096];
  while (pipe && fgets(buf, sizeof(buf), pipe.get())) text += buf;
  try {
    return nlohmann::json::parse(text.substr(text.rfind('{')));
  } catch (const std::exception& e) {
    std::cerr << "error: bench_reference.py: no JSON result: " << text << "\n";
    std::exit(1);
  }
}

double median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  const size_t n = v.size();
  return n % 2 ? v[n / 2] : 0.5 * (v[n / 2 - 1] + v[n / 2]);
}

// C++ and Python alternate `repeats` times (so that drifting load hits both
// alike); medians of the per-step means are compared. Per precision: C++
// with the fused attention, C++ with the composite path, Python.
void bench_python(const Args& a) {
  ModelConfig c;
  torch::manual_seed(0);
  Seq2SeqTransformer model(c);
  acc::model::set_fused_attention(*model, attention_mode(a));
  model->train();
  torch::optim::Adam adam(model->parameters(), torch::optim::AdamOptions(1e-4).betas({0.9, 0.999}).eps(1e-8));
  acc::model::Batch b = synthetic_batch(a.batch, a.len, c.vocab_size);
  std::map<std::string, std::vector<double>> wall, cpu;  // "cpp_fp32", "cpp_composite_fp32", "python_fp32", ...
  std::string py_torch;
  for (int r = 0; r < a.repeats; ++r) {
    for (const std::string& p : a.precisions) {
      acc::model::set_fused_attention(*model, FusedAttention::kOn);
      const Timing fused = time_train_steps(model, adam, b, a.steps, p);
      acc::model::set_fused_attention(*model, FusedAttention::kOff);
      const Timing composite = time_train_steps(model, adam, b, a.steps, p);
      const nlohmann::json py = run_python_reference(a, p);
      // cpp_<p>: the path the attention mode picks for this precision (what the trainer runs).
      const bool picks_fused = acc::model::use_fused_attention(
          attention_mode(a), torch::empty({1}, p == "bf16" ? torch::kBFloat16 : torch::kFloat));
      const Timing& picked = picks_fused ? fused : composite;
      wall["cpp_" + p].push_back(picked.wall);
      cpu["cpp_" + p].push_back(picked.cpu);
      wall["cpp_fused_" + p].push_back(fused.wall);
      cpu["cpp_fused_" + p].push_back(fused.cpu);
      wall["cpp_composite_" + p].push_back(composite.wall);
      cpu["cpp_composite_" + p].push_back(composite.cpu);
      wall["python_" + p].push_back(py.at("step_s").get<double>());
      cpu["python_" + p].push_back(py.at("step_cpu_s").get<double>());
      py_torch = py.value("torch", "");
    }
  }
  auto j = base("model_train_step_vs_python", at::get_num_threads());
  j["len"] = a.len;
  j["batch"] = a.batch;
  j["steps"] = a.steps;
  j["repeats"] = a.repeats;
  j["precisions"] = a.precisions;
  for (const auto& [name, values] : wall) {
    j[name + "_step_s"] = median(values);
    j[name + "_step_s_all"] = values;
    j[name + "_step_cpu_s"] = median(cpu[name]);
  }
  // The fields of earlier results (the first precision, fused attention).
  const std::string p0 = a.precisions.front();
  j["cpp_step_s"] = median(wall["cpp_" + p0]);
  j["python_step_s"] = median(wall["python_" + p0]);
  j["cpp_step_cpu_s"] = median(cpu["cpp_" + p0]);
  j["python_step_cpu_s"] = median(cpu["python_" + p0]);
  j["python_torch"] = py_torch;
  j["speedup_vs_python"] = median(wall["python_" + p0]) / median(wall["cpp_" + p0]);
  j["cpu_speedup_vs_python"] = median(cpu["python_" + p0]) / median(cpu["cpp_" + p0]);
  // Ratios of medians: every C++ variant against each Python precision.
  for (const std::string& p : a.precisions)
    for (const std::string& variant : {std::string("cpp_"), std::string("cpp_fused_"), std::string("cpp_composite_")})
      for (const std::string& q : a.precisions) {
        j["speedup_" + variant + p + "_vs_python_" + q] = median(wall["python_" + q]) / median(wall[variant + p]);
        j["cpu_speedup_" + variant + p + "_vs_python_" + q] = median(cpu["python_" + q]) / median(cpu[variant + p]);
      }
  std::cout << j.dump() << std::endl;
}

}  // namespace

int main(int argc, char** argv) {
  Args a;
  if (argc < 2) {
    std::cerr << "usage: bench_model train|generate|python|profile [options] (see the file header)\n";
    return 2;
  }
  a.mode = argv[1];
  for (int i = 2; i + 1 < argc; i += 2) {
    const std::string k = argv[i], v = argv[i + 1];
    if (k == "--lengths")
      a.lengths = parse_list(v);
    else if (k == "--tokens")
      a.tokens = std::stoll(v);
    else if (k == "--steps")
      a.steps = std::stoll(v);
    else if (k == "--source-len")
      a.source_len = std::stoll(v);
    else if (k == "--gen")
      a.gen = std::stoll(v);
    else if (k == "--len")
      a.len = std::stoll(v);
    else if (k == "--batch")
      a.batch = std::stoll(v);
    else if (k == "--threads")
      a.threads = std::stoi(v);
    else if (k == "--repeats")
      a.repeats = std::max(1, std::stoi(v));
    else if (k == "--precisions" || k == "--precision")
      a.precisions = parse_words(v);
    else if (k == "--device")
      a.device = v;
    else if (k == "--peak-tflops")
      a.peak_tflops = std::stod(v);
    else if (k == "--trace")
      a.trace = v;
    else if (k == "--heap")
      a.heap = v;
    else if (k == "--config")
      a.config = v;
    else if (k == "--target-len")
      a.target_len = std::stoll(v);
    else if (k == "--bars")
      a.bars = std::stoll(v);
    else if (k == "--clip")
      a.clip = std::stod(v);
    else if (k == "--attention")
      a.attention = v;
    else if (k == "--recompute")
      a.recompute_full = v == "full";
    else {
      std::cerr << "error: unknown option " << k << "\n";
      return 2;
    }
  }
  // As the apps: freed tensor memory stays in the heap (util/heap.h); --heap default for the ablation.
  if (a.heap == "tuned")
    heap_policy = acc::util::keep_freed_tensor_memory();
  else if (a.heap != "default") {
    std::cerr << "error: --heap: expected tuned or default, got " << a.heap << "\n";
    return 2;
  }
  if (a.threads > 0) at::set_num_threads(a.threads);
  // As the trainer: LibTorch's pool gets the threads, OpenBLAS runs in it at
  // 1 thread (bench_reference.py does the same on the Python side).
  acc::util::set_blas_threads(1);
  try {
    attention_mode(a);  // a bad --attention fails here
    for (const std::string& p : a.precisions)
      if (p != "fp32" && p != "bf16") throw std::runtime_error("--precisions: '" + p + "' is not fp32 or bf16");
    if (a.precisions.empty()) throw std::runtime_error("--precisions: empty");
    if (a.device != "cpu" && a.device != "cuda")
      throw std::runtime_error("--device: expected cpu or cuda, got " + a.device);
    if (a.device == "cuda" && !torch::cuda::is_available())
      throw std::runtime_error("--device cuda: no CUDA device is available to LibTorch");
  } catch (const std::exception& e) {
    std::cerr << "error: " << e.what() << "\n";
    return 2;
  }
  if (a.mode == "train")
    bench_train(a);
  else if (a.mode == "generate")
    bench_generate(a);
  else if (a.mode == "python")
    bench_python(a);
  else if (a.mode == "profile")
    bench_profile(a);
  else {
    std::cerr << "error: unknown mode " << a.mode << "\n";
    return 2;
  }
  return 0;
}

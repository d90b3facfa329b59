// Model benchmarks (JSON lines with the git revision and the machine):
//   bench_model train    [--lengths 256,512,1024,1500] [--tokens 2048] [--steps 2] [--threads N]
//                        [--device cpu|cuda] [--precision fp32|bf16] [--peak-tflops T]
//       forward+backward+Adam tokens/s of the Table 1 model at each length
//       (batch = max(1, tokens / length); tokens counted source + target).
//       On cuda, bf16 is autocast of the forward pass (as the trainer), the
//       step is timed with a device synchronisation, and with --peak-tflops
//       the line carries mfu = achieved model FLOP/s / peak.
//   bench_model generate [--source-len 1000] [--gen 1000] [--threads N] [--recompute sample|full]
//       generation tokens/s with the key/value cache against recomputing the
//       whole decoder input at every step (encoder memory reused in both;
//       `sample` times 9 of the recomputing steps and integrates).
//   bench_model python   [--len 256] [--batch 4] [--steps 3] [--threads N] [--repeats 3]
//       the C++ training step against benchmarks/model/bench_reference.py on
//       the same sizes and thread count (both with OpenBLAS at 1 thread, as
//       the trainer), alternating `repeats` times; medians and their ratio.
// Timings on a shared machine are indicative: rerun the ratios when it is quiet.
#include <ATen/Parallel.h>
#include <ATen/autocast_mode.h>
#include <sys/resource.h>
#include <torch/cuda.h>
#include <torch/optim/adam.h>
#include <torch/version.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <ctime>
#include <fstream>
#include <iostream>
#include <memory>
#include <nlohmann/json.hpp>
#include <sstream>
#include <string>
#include <vector>

#include "accompanist/model/batch.h"
#include "accompanist/model/decoding.h"
#include "accompanist/model/flops.h"
#include "accompanist/model/transformer.h"
#include "accompanist/util/blas_threads.h"
#include "accompanist/util/version.h"
#include "common/bench_machine.h"

namespace {

using Clock = std::chrono::steady_clock;
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
  return j;
}

double peak_rss_mb() {
  rusage u{};
  getrusage(RUSAGE_SELF, &u);
  return static_cast<double>(u.ru_maxrss) / 1024.0;
}

struct Args {
  std::string mode;
  std::vector<int64_t> lengths{256, 512, 1024, 1500};
  int64_t tokens = 2048, steps = 2, source_len = 1000, gen = 1000, len = 256, batch = 4;
  int threads = 0, repeats = 3;
  bool recompute_full = false;
  std::string device = "cpu", precision = "fp32";
  double peak_tflops = 0;
};

// bf16 autocast of the forward pass on CUDA, as acc::train::AutocastScope.
class Autocast {
 public:
  explicit Autocast(bool on) : on_(on) {
    if (!on_) return;
#if TORCH_VERSION_MAJOR > 2 || (TORCH_VERSION_MAJOR == 2 && TORCH_VERSION_MINOR >= 4)
    at::autocast::set_autocast_dtype(at::kCUDA, at::kBFloat16);
    at::autocast::set_autocast_enabled(at::kCUDA, true);
#else
    at::autocast::set_autocast_gpu_dtype(at::kBFloat16);
    at::autocast::set_enabled(true);
#endif
  }
  ~Autocast() {
    if (!on_) return;
#if TORCH_VERSION_MAJOR > 2 || (TORCH_VERSION_MAJOR == 2 && TORCH_VERSION_MINOR >= 4)
    at::autocast::set_autocast_enabled(at::kCUDA, false);
#else
    at::autocast::set_enabled(false);
#endif
    at::autocast::clear_cache();
  }

 private:
  bool on_;
};

std::vector<int64_t> parse_list(const std::string& s) {
  std::vector<int64_t> out;
  std::stringstream in(s);
  std::string item;
  while (std::getline(in, item, ',')) out.push_back(std::stoll(item));
  return out;
}

// Random tokens (never PAD/BOS/EOS) with BOS first in the decoder input.
acc::model::Batch synthetic_batch(int64_t B, int64_t L, int64_t vocab) {
  acc::model::Batch b;
  b.source = torch::randint(3, vocab, {B, L}, torch::kLong);
  b.decoder_input = torch::randint(3, vocab, {B, L}, torch::kLong);
  b.decoder_input.select(1, 0).fill_(acc::model::kBos);
  b.labels = torch::randint(3, vocab, {B, L}, torch::kLong);
  b.source_tokens = b.label_tokens = B * L;
  return b;
}

// Mean seconds of one forward+backward+Adam step after one warm-up step
// (bf16: autocast forward; on CUDA the device is synchronised around the timing).
Timing time_train_steps(Seq2SeqTransformer& model, torch::optim::Adam& adam, const acc::model::Batch& b, int64_t steps,
                        bool bf16 = false) {
  const bool cuda = b.source.is_cuda();
  auto step = [&] {
    adam.zero_grad();
    torch::Tensor logits;
    {
      Autocast autocast(bf16);
      logits = model(b.source, b.decoder_input);
    }
    torch::Tensor loss = acc::model::sequence_loss(logits.to(torch::kFloat32), b.labels);
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
  const torch::Device device = a.device == "cuda" ? torch::Device(torch::kCUDA, 0) : torch::Device(torch::kCPU);
  model->to(device);
  model->train();
  torch::optim::Adam adam(model->parameters(), torch::optim::AdamOptions(1e-4).betas({0.9, 0.999}).eps(1e-8));
  const bool bf16 = a.precision == "bf16";
  for (int64_t L : a.lengths) {
    const int64_t B = std::max<int64_t>(1, a.tokens / L);
    acc::model::Batch b = synthetic_batch(B, L, c.vocab_size);
    b.source = b.source.to(device);
    b.decoder_input = b.decoder_input.to(device);
    b.labels = b.labels.to(device);
    const Timing tm = time_train_steps(model, adam, b, a.steps, bf16);
    const double dt = tm.wall;
    const double flops = static_cast<double>(B) * acc::model::training_flops(c, L, L);
    auto j = base("model_train_step", at::get_num_threads());
    j["len"] = L;
    j["batch"] = B;
    j["steps"] = a.steps;
    j["step_s"] = dt;
    j["step_cpu_s"] = tm.cpu;
    j["tokens_per_s"] = 2.0 * static_cast<double>(B * L) / dt;
    j["model_gflop_per_step"] = flops / 1e9;
    j["achieved_gflop_per_s"] = flops / dt / 1e9;
    j["device"] = device.str();
    j["precision"] = a.precision;
    if (device.is_cuda()) {
      if (a.peak_tflops > 0) {
        j["peak_tflops"] = a.peak_tflops;
        j["mfu"] = flops / dt / (a.peak_tflops * 1e12);
      }
    }
    j["parameters"] = acc::model::parameter_count(c);
    j["peak_rss_mb"] = peak_rss_mb();
    std::cout << j.dump() << std::endl;
  }
}

void bench_generate(const Args& a) {
  ModelConfig c;
  torch::manual_seed(0);
  Seq2SeqTransformer model(c);
  model->eval();
  torch::NoGradGuard no_grad;
  torch::Tensor source = torch::randint(3, c.vocab_size, {1, a.source_len}, torch::kLong);
  const int64_t n = std::min(a.gen, c.max_len);

  // Cached: greedy, one position per step.
  auto t0 = Clock::now();
  acc::model::IncrementalDecoder decoder(model, source, n);
  const double encode_s = seconds_since(t0);
  std::vector<int64_t> tokens{acc::model::kBos};
  t0 = Clock::now();
  const double c0 = cpu_now();
  for (int64_t t = 0; t < n; ++t) {
    torch::Tensor logits = decoder.step(torch::tensor({tokens.back()}, torch::kLong));
    // Avoid EOS/PAD so that every run generates exactly n tokens.
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
nlohmann::json run_python_reference(const Args& a) {
  const std::string cmd = std::string(ACC_REFERENCE_PYTHON) + " " + ACC_SOURCE_DIR +
                          "/benchmarks/model/bench_reference.py --len " + std::to_string(a.len) + " --batch " +
                          std::to_string(a.batch) + " --threads " + std::to_string(at::get_num_threads()) +
                          " --steps " + std::to_string(a.steps);
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
// alike); medians of the per-step means are compared.
void bench_python(const Args& a) {
  ModelConfig c;
  torch::manual_seed(0);
  Seq2SeqTransformer model(c);
  model->train();
  torch::optim::Adam adam(model->parameters(), torch::optim::AdamOptions(1e-4).betas({0.9, 0.999}).eps(1e-8));
  acc::model::Batch b = synthetic_batch(a.batch, a.len, c.vocab_size);
  std::vector<double> cpp_s, cpp_cpu, py_s, py_cpu;
  std::string py_torch;
  for (int r = 0; r < a.repeats; ++r) {
    const Timing cpp = time_train_steps(model, adam, b, a.steps);
    cpp_s.push_back(cpp.wall);
    cpp_cpu.push_back(cpp.cpu);
    const nlohmann::json py = run_python_reference(a);
    py_s.push_back(py.at("step_s").get<double>());
    py_cpu.push_back(py.at("step_cpu_s").get<double>());
    py_torch = py.value("torch", "");
  }
  auto j = base("model_train_step_vs_python", at::get_num_threads());
  j["len"] = a.len;
  j["batch"] = a.batch;
  j["steps"] = a.steps;
  j["repeats"] = a.repeats;
  j["cpp_step_s"] = median(cpp_s);
  j["python_step_s"] = median(py_s);
  j["cpp_step_s_all"] = cpp_s;
  j["python_step_s_all"] = py_s;
  j["cpp_step_cpu_s"] = median(cpp_cpu);
  j["python_step_cpu_s"] = median(py_cpu);
  j["python_torch"] = py_torch;
  j["speedup_vs_python"] = median(py_s) / median(cpp_s);
  j["cpu_speedup_vs_python"] = median(py_cpu) / median(cpp_cpu);
  std::cout << j.dump() << std::endl;
}

}  // namespace

int main(int argc, char** argv) {
  Args a;
  if (argc < 2) {
    std::cerr << "usage: bench_model train|generate|python [options] (see the file header)\n";
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
    else if (k == "--recompute")
      a.recompute_full = v == "full";
    else if (k == "--device")
      a.device = v;
    else if (k == "--precision")
      a.precision = v;
    else if (k == "--peak-tflops")
      a.peak_tflops = std::stod(v);
    else {
      std::cerr << "error: unknown option " << k << "\n";
      return 2;
    }
  }
  if (a.device != "cpu" && a.device != "cuda") {
    std::cerr << "error: --device: expected cpu or cuda, got " << a.device << "\n";
    return 2;
  }
  if (a.precision != "fp32" && a.precision != "bf16") {
    std::cerr << "error: --precision: expected fp32 or bf16, got " << a.precision << "\n";
    return 2;
  }
  if (a.device == "cuda" && !torch::cuda::is_available()) {
    std::cerr << "error: --device cuda: no CUDA device is available to LibTorch\n";
    return 2;
  }
  if (a.device == "cpu" && a.precision == "bf16") {
    std::cerr << "error: --precision bf16: autocast is for --device cuda (training on the CPU is fp32)\n";
    return 2;
  }
  if (a.threads > 0) at::set_num_threads(a.threads);
  // As the trainer: LibTorch's pool gets the threads, OpenBLAS runs in it at
  // 1 thread (bench_reference.py does the same on the Python side).
  acc::util::set_blas_threads(1);
  if (a.mode == "train")
    bench_train(a);
  else if (a.mode == "generate")
    bench_generate(a);
  else if (a.mode == "python")
    bench_python(a);
  else {
    std::cerr << "error: unknown mode " << a.mode << "\n";
    return 2;
  }
  return 0;
}

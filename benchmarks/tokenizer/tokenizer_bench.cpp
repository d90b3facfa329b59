// Tokenizer throughput on a workload of parts (notes + tpq), driven by
// benchmarks/tokenizer/bench_tokenizer.py, which times its plain Python
// implementation on the same workload and reports the ratio.
//
//   bench_tokenizer --workload W.json [--train-vocab 500 --save-tokenizer T.json | --tokenizer T.json]
//                   [--ids-out IDS.json] [--min-seconds 2]
// W.json: {"parts": [{"tpq": 480, "notes": [[pitch, velocity, start, end], ...]}, ...]}
// Prints one JSON object: git revision, machine, and tokens per CPU second
// (base REMI tokens) for REMI, BPE and REMI + BPE encoding, BPE training time
// and grammar steps per second.
#include <algorithm>
#include <chrono>
#include <fstream>
#include <iostream>
#include <nlohmann/json.hpp>
#include <sstream>
#include <string>
#include <vector>

#include "accompanist/tokenizer/grammar.h"
#include "accompanist/tokenizer/tokenizer.h"
#include "accompanist/util/error.h"
#include "accompanist/util/file.h"
#include "accompanist/util/version.h"
#include "common/bench_machine.h"

#include <time.h>
#include <unistd.h>

namespace {

using acc::tokenizer::TokenSeq;
using Clock = std::chrono::steady_clock;

struct Part {
  int tpq;
  std::vector<acc::midi::Note> notes;
};

using acc::bench::cpu_model;

// CPU time of this process: on a shared machine with more runnable threads
// than cores, wall time measures the other users as much as us.
double cpu_seconds() {
  timespec ts;
  clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
  return double(ts.tv_sec) + 1e-9 * double(ts.tv_nsec);
}

// Runs fn over the workload (at least 5 passes and min_seconds of CPU time);
// returns the median CPU seconds of a pass (robust against the bursts of
// other users' work that a shared machine shows).
template <class Fn>
double time_passes(double min_seconds, Fn fn) {
  fn();  // warm-up (scratch buffers, caches)
  std::vector<double> passes;
  const double start = cpu_seconds();
  do {
    const double t0 = cpu_seconds();
    fn();
    passes.push_back(cpu_seconds() - t0);
  } while (passes.size() < 5 || cpu_seconds() - start < min_seconds);
  std::nth_element(passes.begin(), passes.begin() + long(passes.size() / 2), passes.end());
  return passes[passes.size() / 2];
}

int run(int argc, char** argv) {
  std::string workload, tokenizer_path, save_path, ids_out;
  size_t train_vocab = 0;
  double min_seconds = 2.0;
  for (int i = 1; i < argc; ++i) {
    std::string a = argv[i];
    auto value = [&]() -> std::string {
      if (i + 1 >= argc) throw acc::Error(a, "needs a value");
      return argv[++i];
    };
    if (a == "--workload")
      workload = value();
    else if (a == "--tokenizer")
      tokenizer_path = value();
    else if (a == "--train-vocab")
      train_vocab = std::stoul(value());
    else if (a == "--save-tokenizer")
      save_path = value();
    else if (a == "--ids-out")
      ids_out = value();
    else if (a == "--min-seconds")
      min_seconds = std::stod(value());
    else
      throw acc::Error(a, "unknown option (see the header of tokenizer_bench.cpp)");
  }
  if (workload.empty()) throw acc::Error("--workload", "is required");

  const nlohmann::json w = nlohmann::json::parse(acc::util::read_file_text(workload));
  std::vector<Part> parts;
  for (const auto& p : w["parts"]) {
    Part part{p["tpq"].get<int>(), {}};
    for (const auto& n : p["notes"]) {
      part.notes.push_back({n[0].get<int>(), n[1].get<int>(), n[2].get<int64_t>(), n[3].get<int64_t>()});
    }
    parts.push_back(std::move(part));
  }

  std::vector<TokenSeq> base;
  size_t base_tokens = 0, notes = 0;
  for (const Part& p : parts) {
    base.push_back(acc::tokenizer::encode_remi(p.notes, p.tpq));
    base_tokens += base.back().size();
    notes += p.notes.size();
  }

  nlohmann::ordered_json out;
  char host[256] = {0};
  gethostname(host, sizeof(host) - 1);
  out["git"] = acc::git_revision();
  out["host"] = host;
  out["cpu"] = cpu_model();
  out["parts"] = parts.size();
  out["notes"] = notes;
  out["base_tokens"] = base_tokens;

  acc::tokenizer::Tokenizer tok;
  if (train_vocab > 0) {
    acc::tokenizer::BpeTrainOptions options;
    options.vocab_size = train_vocab;
    const auto t0 = Clock::now();
    tok = acc::tokenizer::Tokenizer::train(base, options);
    out["train_seconds"] = std::chrono::duration<double>(Clock::now() - t0).count();
    if (!save_path.empty()) tok.save(save_path);
  } else if (!tokenizer_path.empty()) {
    tok = acc::tokenizer::Tokenizer::load(tokenizer_path);
  }
  out["vocab_size"] = tok.vocab_size();

  std::vector<TokenSeq> encoded(parts.size());
  size_t bpe_tokens = 0;
  for (size_t i = 0; i < parts.size(); ++i) {
    encoded[i] = tok.apply_bpe(base[i]);
    bpe_tokens += encoded[i].size();
  }
  out["bpe_tokens"] = bpe_tokens;

  size_t sink = 0;  // keeps the optimiser from dropping the work
  const double remi_s = time_passes(min_seconds, [&] {
    for (const Part& p : parts) sink += acc::tokenizer::encode_remi(p.notes, p.tpq).size();
  });
  TokenSeq scratch;
  const double bpe_s = time_passes(min_seconds, [&] {
    for (const TokenSeq& b : base) {
      tok.bpe().encode(b.data(), b.size(), scratch);
      sink += scratch.size();
    }
  });
  const double both_s = time_passes(min_seconds, [&] {
    for (const Part& p : parts) sink += tok.encode(p.notes, p.tpq).size();
  });
  const acc::tokenizer::Grammar grammar(tok.bpe());
  size_t steps = 0;
  const double grammar_s = time_passes(min_seconds, [&] {
    for (const TokenSeq& e : encoded) {
      auto s = grammar.start();
      for (auto id : e) s = grammar.next(s, id);
      sink += s;
    }
  });
  for (const TokenSeq& e : encoded) steps += e.size();
  out["remi_tokens_per_s"] = double(base_tokens) / remi_s;
  out["bpe_tokens_per_s"] = double(base_tokens) / bpe_s;
  out["remi_bpe_tokens_per_s"] = double(base_tokens) / both_s;
  out["grammar_steps_per_s"] = double(steps) / grammar_s;
  out["sink"] = sink % 7;

  if (!ids_out.empty()) {
    std::ofstream f(ids_out);
    f << nlohmann::json(encoded).dump();
  }
  std::cout << out.dump() << std::endl;
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  try {
    return run(argc, argv);
  } catch (const std::exception& e) {
    std::cerr << "error: " << e.what() << "\n";
    return 1;
  }
}

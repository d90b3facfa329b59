// Evaluation speed: the bit-parallel Levenshtein distance of bar rhythm
// strings over 10 million random pairs (thesis Table 2), against the plain
// dynamic programme on the same strings measured in the same run, and a whole
// evaluation of 300 samples (thesis 4.3) against a validation set.
//
//   bench_eval [--pairs 10000000] [--samples 300] [--validation 1000] [--threads 0]
//
// Prints JSON lines: git revision, machine, wall and CPU seconds, pairs per
// second, and the speed-up over the dynamic programme.
#include <time.h>
#include <unistd.h>

#include <chrono>
#include <fstream>
#include <iostream>
#include <nlohmann/json.hpp>
#include <random>
#include <string>
#include <vector>

#include "accompanist/eval/evaluation.h"
#include "accompanist/eval/levenshtein.h"
#include "accompanist/eval/rhythm.h"
#include "accompanist/tokenizer/tokenizer.h"
#include "accompanist/util/thread_pool.h"
#include "accompanist/util/version.h"
#include "common/bench_machine.h"

namespace {

using Clock = std::chrono::steady_clock;
using acc::tokenizer::TokenSeq;

using acc::bench::cpu_model;

nlohmann::ordered_json machine() {
  char host[256] = {0};
  gethostname(host, sizeof(host) - 1);
  return {{"git", acc::git_revision()},
          {"host", host},
          {"cpu", cpu_model()},
          {"cores", int(sysconf(_SC_NPROCESSORS_ONLN))}};
}

double cpu_seconds() {
  timespec ts;
  clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
  return double(ts.tv_sec) + 1e-9 * double(ts.tv_nsec);
}

double seconds_since(Clock::time_point t) {
  return std::chrono::duration<double>(Clock::now() - t).count();
}

// Bars like real parts: onsets mostly on beats and eighths, a few anywhere.
std::vector<uint32_t> realistic_bars(size_t n, uint64_t seed) {
  std::mt19937_64 rng(seed);
  std::vector<uint32_t> bars(n);
  for (uint32_t& bar : bars) {
    for (int p = 0; p < 32; ++p) {
      const double chance = p % 8 == 0 ? 0.7 : p % 4 == 0 ? 0.35 : p % 2 == 0 ? 0.12 : 0.03;
      if (std::uniform_real_distribution<double>(0, 1)(rng) < chance) bar |= 1u << p;
    }
  }
  return bars;
}

// A part of `bars` bars in a key: bass lines or piano chords on beat patterns.
std::vector<acc::midi::Note> make_part(std::mt19937_64& rng, int root, bool minor, bool piano, int bars) {
  const int tpq = 384, step = tpq / 8;
  const int scale_major[7] = {0, 2, 4, 5, 7, 9, 11}, scale_minor[7] = {0, 2, 3, 5, 7, 8, 10};
  const int* scale = minor ? scale_minor : scale_major;
  std::vector<acc::midi::Note> notes;
  for (int b = 0; b < bars; ++b) {
    const int degree = int(rng() % 7);
    for (int p = 0; p < 32; ++p) {
      const double chance = p % 8 == 0 ? 0.8 : p % 4 == 0 ? 0.3 : p % 2 == 0 ? 0.1 : 0.02;
      if (std::uniform_real_distribution<double>(0, 1)(rng) >= chance) continue;
      const int64_t start = int64_t(b) * 4 * tpq + p * step;
      const int64_t length = step * int64_t(1 + rng() % 8);
      const int base = root + scale[degree] + (piano ? 24 : 0);
      notes.push_back({base, 90, start, start + length});
      if (piano) {
        notes.push_back({root + scale[(degree + 2) % 7] + 24, 80, start, start + length});
        notes.push_back({root + scale[(degree + 4) % 7] + 24, 80, start, start + length});
      }
    }
  }
  return notes;
}

void bench_levenshtein(uint64_t pairs, int threads) {
  const std::vector<uint32_t> a = realistic_bars(100000, 1), b = realistic_bars(100000, 2);
  acc::eval::PairDistanceOptions options;
  options.pairs = pairs;
  options.seed = 7;
  for (int t : {1, acc::util::resolve_thread_count(threads)}) {
    options.threads = t;
    const double cpu0 = cpu_seconds();
    const auto wall0 = Clock::now();
    const auto result = acc::eval::mean_random_pair_distance(a, b, options);
    const double wall = seconds_since(wall0), cpu = cpu_seconds() - cpu0;

    // Baseline: the dynamic programme on the strings, on a slice of the pairs.
    const uint64_t baseline_pairs = std::min<uint64_t>(pairs, 200000);
    std::vector<std::string> sa, sb;
    for (uint64_t k = 0; k < baseline_pairs; ++k) {
      sa.push_back(acc::eval::rhythm_string(a[k % a.size()]));
      sb.push_back(acc::eval::rhythm_string(b[(k * 7919) % b.size()]));
    }
    const double base0 = cpu_seconds();
    uint64_t checksum = 0;
    for (uint64_t k = 0; k < baseline_pairs; ++k) checksum += uint64_t(acc::eval::levenshtein(sa[k], sb[k]));
    const double baseline_cpu = cpu_seconds() - base0;
    nlohmann::ordered_json line = machine();
    line["bench"] = "levenshtein_random_pairs";
    line["pairs"] = pairs;
    line["threads"] = t;
    line["mean_distance"] = result.mean;
    line["wall_s"] = wall;
    line["cpu_s"] = cpu;
    line["pairs_per_cpu_s"] = double(pairs) / cpu;
    line["dp_pairs_per_cpu_s"] = double(baseline_pairs) / baseline_cpu;
    line["speedup_vs_dp_per_cpu_s"] = (double(pairs) / cpu) / (double(baseline_pairs) / baseline_cpu);
    line["dp_checksum"] = checksum;
    std::cout << line.dump() << std::endl;
  }
}

void bench_evaluation(size_t samples, size_t validation, uint64_t pairs, int threads) {
  std::mt19937_64 rng(42);
  struct Pair {
    TokenSeq source, target;
  };
  auto make_pair = [&](int bars) {
    const int root = 36 + int(rng() % 12);
    const bool minor = rng() % 2;
    return Pair{acc::tokenizer::encode_remi(make_part(rng, root, minor, true, bars), 384),
                acc::tokenizer::encode_remi(make_part(rng, root, minor, false, bars), 384)};
  };
  std::vector<Pair> valid;
  for (size_t i = 0; i < validation; ++i) valid.push_back(make_pair(24));
  std::vector<TokenSeq> training;
  for (size_t i = 0; i < std::min<size_t>(validation, 400); ++i) {
    training.push_back(valid[i].source);
    training.push_back(valid[i].target);
  }
  acc::tokenizer::BpeTrainOptions train;
  train.vocab_size = 500;
  const auto train0 = Clock::now();
  const acc::tokenizer::Tokenizer tok = acc::tokenizer::Tokenizer::train(training, train);
  const double train_s = seconds_since(train0);

  acc::eval::EvaluationInput input;
  input.tokenizer = &tok;
  for (const Pair& p : valid) {
    input.validation.push_back(tok.apply_bpe(p.target));
    input.validation_sources.push_back(tok.apply_bpe(p.source));
  }
  for (size_t i = 0; i < samples; ++i) {
    const Pair& p = valid[i % valid.size()];
    // A "model": the reference with every fifth token dropped (grammar errors,
    // fewer notes), or a random other validation target.
    TokenSeq generated;
    if (i % 2 == 0) {
      for (size_t k = 0; k < p.target.size(); ++k)
        if (k % 5 != 3) generated.push_back(p.target[k]);
    } else {
      generated = valid[(i * 31) % valid.size()].target;
    }
    input.samples.push_back(
        {int64_t(i), tok.apply_bpe(p.source), tok.apply_bpe(p.target), tok.apply_bpe(generated), "", 0});
  }
  acc::eval::EvaluationOptions options;
  options.pairs = pairs;
  options.threads = threads;
  const double cpu0 = cpu_seconds();
  const auto wall0 = Clock::now();
  const auto evaluation = acc::eval::evaluate(input, options);
  const double wall = seconds_since(wall0), cpu = cpu_seconds() - cpu0;
  options.pairs = 1;  // everything but the random pairs
  const auto rest0 = Clock::now();
  acc::eval::evaluate(input, options);
  const double rest = seconds_since(rest0);
  nlohmann::ordered_json line = machine();
  line["bench"] = "evaluate_samples";
  line["samples"] = samples;
  line["validation_pairs"] = validation;
  line["validation_bars"] = evaluation.report["rhythm"]["bars"]["validation"];
  line["random_pairs_per_figure"] = pairs;
  line["threads"] = acc::util::resolve_thread_count(threads);
  line["wall_s"] = wall;
  line["cpu_s"] = cpu;
  line["wall_s_without_random_pairs"] = rest;
  line["bpe_training_s"] = train_s;
  line["levenshtein_generated"] = evaluation.report["rhythm"]["levenshtein"]["generated"];
  line["levenshtein_mock"] = evaluation.report["rhythm"]["levenshtein"]["mock"];
  std::cout << line.dump() << std::endl;
}

}  // namespace

int main(int argc, char** argv) {
  uint64_t pairs = 10'000'000;
  size_t samples = 300, validation = 1000;
  int threads = 0;
  for (int i = 1; i + 1 < argc; i += 2) {
    const std::string flag = argv[i];
    if (flag == "--pairs")
      pairs = std::stoull(argv[i + 1]);
    else if (flag == "--samples")
      samples = std::stoull(argv[i + 1]);
    else if (flag == "--validation")
      validation = std::stoull(argv[i + 1]);
    else if (flag == "--threads")
      threads = std::stoi(argv[i + 1]);
    else {
      std::cerr << "error: " << flag << ": unknown option\n";
      return 2;
    }
  }
  bench_levenshtein(pairs, threads);
  bench_evaluation(samples, validation, pairs, threads);
  return 0;
}

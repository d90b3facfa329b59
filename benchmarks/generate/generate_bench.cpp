// Generation throughput (JSON lines with the git revision and the machine):
//   bench_generate [--batches 1,16] [--source-len 256] [--tokens 256] [--threads N] [--repeats 2]
//                  [--d-model 128] [--layers 3] [--top-k 3]
// tokens/s of acc::generate::Generator with the key/value cache against the
// same generator recomputing the whole decoder input every step (the encoder
// runs once in both), for a small
// random model (EOS suppressed so every row runs to the token limit), at each
// batch size; the ratio cache/recompute is measured in the same process.
// Timings on a shared machine are indicative: rerun when it is quiet.
#include <ATen/Parallel.h>
#include <torch/torch.h>
#include <unistd.h>

#include <chrono>
#include <fstream>
#include <iostream>
#include <nlohmann/json.hpp>
#include <random>
#include <sstream>
#include <string>
#include <vector>

#include "accompanist/generate/generator.h"
#include "accompanist/util/version.h"
#include "common/bench_machine.h"

namespace {

using Clock = std::chrono::steady_clock;

using acc::bench::cpu_model;

std::vector<int> parse_list(const std::string& s) {
  std::vector<int> out;
  std::stringstream in(s);
  for (std::string item; std::getline(in, item, ',');) out.push_back(std::stoi(item));
  return out;
}

}  // namespace

int main(int argc, char** argv) {
  std::vector<int> batches = {1, 16};
  int source_len = 256, tokens = 256, threads = 0, repeats = 2, d_model = 128, layers = 3, top_k = 3;
  for (int i = 1; i + 1 < argc; i += 2) {
    const std::string k = argv[i], v = argv[i + 1];
    if (k == "--batches")
      batches = parse_list(v);
    else if (k == "--source-len")
      source_len = std::stoi(v);
    else if (k == "--tokens")
      tokens = std::stoi(v);
    else if (k == "--threads")
      threads = std::stoi(v);
    else if (k == "--repeats")
      repeats = std::stoi(v);
    else if (k == "--d-model")
      d_model = std::stoi(v);
    else if (k == "--layers")
      layers = std::stoi(v);
    else if (k == "--top-k")
      top_k = std::stoi(v);
    else {
      std::cerr << "error: " << k << ": unknown option\n";
      return 1;
    }
  }
  if (threads > 0) at::set_num_threads(threads);
  torch::manual_seed(1);
  acc::model::ModelConfig c;
  c.d_model = d_model;
  c.enc_layers = layers;
  c.dec_layers = layers;
  c.heads = 4;
  c.ff = 128;
  c.max_len = std::max(source_len, tokens) + 1;
  c.max_relative_distance = c.max_len;
  c.vocab_size = 500;
  acc::model::Seq2SeqTransformer model(c);
  {
    torch::NoGradGuard no_grad;
    model->out_proj->bias[acc::model::kEos] = -1e4;  // no early stop: every row makes `tokens` tokens
  }
  // BPE ids need merges to exist: any valid chain of merges gives a 500-id tokenizer.
  std::vector<acc::tokenizer::Merge> merges;
  for (int i = 0; i < 500 - 197; ++i) merges.push_back({4 + i % 150, 5 + i / 150 + (i % 150 >= 4 + i / 150 ? 1 : 0)});
  std::sort(merges.begin(), merges.end());
  merges.erase(std::unique(merges.begin(), merges.end()), merges.end());
  acc::tokenizer::Tokenizer tok{acc::tokenizer::Bpe(merges)};
  if (tok.vocab_size() > size_t(c.vocab_size)) return 1;

  std::mt19937 rng(3);
  char host[256] = {0};
  gethostname(host, sizeof host - 1);
  for (int batch : batches) {
    std::vector<acc::generate::GenerationRequest> requests(static_cast<size_t>(batch));
    for (auto& r : requests) {
      r.source.resize(size_t(source_len));
      for (auto& t : r.source) t = acc::tokenizer::TokenId(4 + rng() % 193);
    }
    double rate[2] = {0, 0};
    for (int cache = 1; cache >= 0; --cache) {
      acc::generate::GenerationOptions o;
      o.sampling.top_k = top_k;
      o.max_tokens = tokens;
      o.batch_size = batch;
      o.use_cache = cache == 1;
      acc::generate::Generator gen(model, tok, o);
      double best = 1e30;
      int64_t made = 0;
      for (int rep = 0; rep < repeats; ++rep) {
        const auto t0 = Clock::now();
        auto out = gen.generate(requests);
        best = std::min(best, std::chrono::duration<double>(Clock::now() - t0).count());
        made = 0;
        for (const auto& g : out) made += int64_t(g.tokens.size());
      }
      rate[cache] = double(made) / best;
      nlohmann::ordered_json j;
      j["bench"] = "generate";
      j["git"] = acc::git_revision();
      j["host"] = host;
      j["cpu"] = cpu_model();
      j["cores"] = int(sysconf(_SC_NPROCESSORS_ONLN));
      j["threads"] = at::get_num_threads();
      j["d_model"] = d_model;
      j["layers"] = layers;
      j["source_len"] = source_len;
      j["batch"] = batch;
      j["tokens_per_sample"] = tokens;
      j["cache"] = cache == 1;
      j["seconds"] = best;
      j["tokens_per_s"] = rate[cache];
      if (cache == 0) j["cache_speedup"] = rate[1] / rate[0];
      std::cout << j.dump() << std::endl;
    }
  }
  return 0;
}

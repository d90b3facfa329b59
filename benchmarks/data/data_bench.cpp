// Google Benchmarks of the data stage's hot paths, without disk effects:
//   BM_SongToPairs   parse MIDI bytes -> snippets -> REMI ids (prep's reading phase, per song)
//   BM_CorpusLoad    Corpus::open + loading a split (what each trainer rank does at start)
// Run: build/bin/bench_data --benchmark_format=json (prep end to end is
// benchmarks/data/prep_throughput.py).
#include <benchmark/benchmark.h>

#include <filesystem>
#include <random>

#include "accompanist/data/corpus.h"
#include "accompanist/data/corpus_writer.h"
#include "accompanist/data/snippets.h"
#include "accompanist/data/synthetic_song.h"
#include "accompanist/midi/reader.h"
#include "accompanist/midi/writer.h"
#include "accompanist/tokenizer/remi.h"
#include "accompanist/util/version.h"

namespace {

void BM_SongToPairs(benchmark::State& state) {
  std::vector<std::string> files;
  for (uint64_t i = 0; i < 64; ++i)
    files.push_back(acc::midi::write_midi_bytes(acc::data::make_synthetic_song(1, i).song));
  acc::data::PrepConfig cfg;
  size_t k = 0, notes = 0, tokens = 0;
  for (auto _ : state) {
    const std::string& bytes = files[k++ % files.size()];
    acc::midi::Song song = acc::midi::parse_midi(reinterpret_cast<const uint8_t*>(bytes.data()), bytes.size());
    for (const auto& p : acc::data::extract_snippets(song, cfg).pairs) {
      tokens += acc::tokenizer::encode_remi(p.source, song.ticks_per_quarter).size();
      tokens += acc::tokenizer::encode_remi(p.target, song.ticks_per_quarter).size();
      notes += p.source.size() + p.target.size();
    }
  }
  state.counters["files/s"] = benchmark::Counter(double(state.iterations()), benchmark::Counter::kIsRate);
  state.counters["notes/s"] = benchmark::Counter(double(notes), benchmark::Counter::kIsRate);
  state.counters["tokens/s"] = benchmark::Counter(double(tokens), benchmark::Counter::kIsRate);
}
BENCHMARK(BM_SongToPairs)->Unit(benchmark::kMicrosecond);

void BM_CorpusLoad(benchmark::State& state) {
  const size_t pairs = size_t(state.range(0));
  const std::string path =
      (std::filesystem::temp_directory_path() / ("acc_bench_corpus_" + std::to_string(pairs) + ".h5")).string();
  {
    std::mt19937 rng(1);
    std::string tok =
        "{\"format\": \"accompanist-tokenizer\", \"version\": 1, \"base\": \"remi-miditok-2.1\", "
        "\"vocab_size\": 197, \"merges\": []}";
    acc::data::CorpusWriter w(path, {tok, "piano->bass", ""});
    w.set_songs({"song.mid"});
    std::vector<int> src(1000), tgt(500);
    for (size_t i = 0; i < pairs; ++i) {
      for (int& t : src) t = int(rng() % 197);
      for (int& t : tgt) t = int(rng() % 197);
      w.add("train", src, tgt, 0, uint32_t(i));
    }
    w.commit();
  }
  size_t tokens = 0;
  for (auto _ : state) {
    acc::data::Corpus c = acc::data::Corpus::open(path);
    const auto& s = c.split("train");
    tokens += s.total_source_tokens() + s.total_target_tokens();
    benchmark::DoNotOptimize(s.source(pairs - 1)[0]);
  }
  state.counters["tokens/s"] = benchmark::Counter(double(tokens), benchmark::Counter::kIsRate);
  std::filesystem::remove(path);
}
BENCHMARK(BM_CorpusLoad)->Arg(1000)->Arg(20000)->Unit(benchmark::kMillisecond);

}  // namespace

int main(int argc, char** argv) {
  benchmark::AddCustomContext("git_revision", acc::git_revision());
  benchmark::Initialize(&argc, argv);
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
  return 0;
}

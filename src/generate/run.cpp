#include "accompanist/generate/run.h"

#include <fmt/format.h>
#include <spdlog/spdlog.h>
#include <torch/torch.h>

#include <chrono>
#include <filesystem>
#include <optional>

#include "accompanist/audio/render.h"
#include "accompanist/data/corpus.h"
#include "accompanist/data/corpus_record.h"
#include "accompanist/data/prep_config.h"
#include "accompanist/generate/run_defaults.h"
#include "accompanist/generate/sources.h"
#include "accompanist/midi/reader.h"
#include "accompanist/midi/writer.h"
#include "accompanist/model/checkpoint.h"
#include "accompanist/tokenizer/decoded_part.h"
#include "accompanist/util/config.h"
#include "accompanist/util/error.h"
#include "accompanist/util/file.h"
#include "accompanist/util/progress.h"
#include "accompanist/util/sha256.h"
#include "accompanist/util/version.h"

namespace acc::generate {

namespace fs = std::filesystem;
using tokenizer::TokenSeq;

namespace {

using Clock = std::chrono::steady_clock;

TokenSeq to_seq(const data::TokenSpan& span) {
  return TokenSeq(span.begin(), span.end());
}

// The families and window length of the corpus, else of the corpus the
// checkpoint was trained on (its corpus.json), else the defaults.
data::PrepConfig corpus_prep_config(const data::Corpus* corpus, const std::optional<data::CorpusRecord>& trained_on,
                                    const std::string& checkpoint) {
  data::PrepConfig config;
  if (corpus)
    util::load_config_text(config, corpus->prep_config_yaml(), corpus->path() + " (prep config)");
  else if (trained_on && !trained_on->prep_config.empty())
    util::load_config_text(config, trained_on->prep_config, checkpoint + "/corpus.json (prep config)");
  return config;
}

std::string split_direction(const std::string& direction, std::string* target) {
  const size_t arrow = direction.find("->");
  ACC_CHECK(arrow != std::string::npos && arrow > 0 && arrow + 2 < direction.size(), "--direction",
            fmt::format("'{}' is not SOURCE->TARGET (e.g. piano->bass)", direction));
  *target = direction.substr(arrow + 2);
  return direction.substr(0, arrow);
}

// ", grammar mask, at most 1 note per onset", for the log.
std::string describe_mask(const GenerationOptions& g) {
  if (!g.grammar_mask) return ", no grammar mask";
  if (g.max_notes_per_onset == 0) return ", grammar mask";
  return fmt::format(", grammar mask, at most {} note{} per onset", g.max_notes_per_onset,
                     g.max_notes_per_onset == 1 ? "" : "s");
}

// Runs the generator with a progress display in generated tokens; the total
// is the upper bound (every sample running to the token limit).
std::vector<GeneratedSequence> generate_with_progress(Generator& generator,
                                                      const std::vector<GenerationRequest>& requests, bool progress,
                                                      double* seconds) {
  util::Progress::Options popts;
  if (!progress) popts.mode = util::Progress::Mode::Off;
  util::Progress bar("generate", uint64_t(requests.size()) * uint64_t(generator.max_tokens()), "tokens", popts);
  const auto t0 = Clock::now();
  auto result = generator.generate(requests, [&](int64_t n) { bar.add(uint64_t(n)); });
  *seconds = std::chrono::duration<double>(Clock::now() - t0).count();
  bar.finish();
  return result;
}

void count(GenerationCounts& c, const GeneratedSequence& g, const tokenizer::DecodedPart& d) {
  ++c.samples;
  c.generated_tokens += int64_t(g.tokens.size());
  c.primed_tokens += g.primed;
  c.ended_eos += g.ended ? 1 : 0;
  c.grammar_errors += d.grammar_errors;
  c.unrepairable += d.unrepairable() ? 1 : 0;
  c.generated_notes += int64_t(d.notes.size());
}

// One listening file: the source with the generated part, or with the reference.
struct Mix {
  std::string wav;
  midi::Song song;
};

// NNNN.mid -> NNNN.<which>.wav
std::string mix_path(const std::string& mid, const std::string& which) {
  return fs::path(mid).replace_extension("." + which + ".wav").string();
}

// A missing renderer or a failed render is one warning: the MIDI files and
// samples.jsonl are the run's output, the audio is for listening.
void render_mixes(const std::vector<Mix>& mixes, const GenerateRunOptions& o, GenerateRunSummary* summary) {
  audio::RenderOptions render;
  render.fluidsynth = o.fluidsynth;
  render.soundfont = o.soundfont;
  const std::string unavailable = audio::renderer_unavailable(render);
  if (!unavailable.empty()) {
    spdlog::warn("generate: --render wav skipped: {}", unavailable);
    return;
  }
  for (const Mix& mix : mixes) {
    try {
      audio::render_song(mix.song, mix.wav, render);
    } catch (const Error& e) {
      spdlog::warn("generate: --render wav stopped: {}", e.what());
      return;
    }
    summary->wav_files.push_back(mix.wav);
  }
}

}  // namespace

std::string read_checkpoint_tokenizer(const std::string& checkpoint) {
  model::require_complete_checkpoint(checkpoint);
  const std::string path = (fs::path(checkpoint) / "tokenizer.json").string();
  std::error_code ec;
  ACC_CHECK(fs::is_regular_file(path, ec), checkpoint, "the checkpoint has no tokenizer.json");
  return util::read_file_text(path, uint64_t(64) << 20);
}

namespace {

void check_options(const GenerateRunOptions& o) {
  ACC_CHECK(!o.out.empty(), "--out", "an output directory is required");
  if (!o.midi.empty()) {
    ACC_CHECK(o.count == 0 && o.indices.empty(), "--midi", "takes no --count or --indices (the whole song is used)");
  } else {
    ACC_CHECK(!o.corpus.empty(), "generate", "give --corpus (with --count or --indices) or --midi FILE.mid");
    ACC_CHECK((o.count > 0) != !o.indices.empty(), "generate", "give exactly one of --count N and --indices LIST");
  }
  ACC_CHECK(o.render.empty() || o.render == "wav", "--render", fmt::format("unknown format '{}' (wav)", o.render));
  o.generation.sampling.validate();
}

// The checkpoint's tokenizer and what it was trained on, the corpus (when
// given), and what follows from them: checked to belong together.
struct RunInputs {
  std::string tokenizer_sha;
  tokenizer::Tokenizer tok;
  std::optional<data::CorpusRecord> trained_on;
  std::optional<data::Corpus> corpus;
  std::string direction, source_family, target_family;
  data::PrepConfig prep;
  GenerationOptions generation;  // with max_notes_per_onset resolved
};

RunInputs open_inputs(const GenerateRunOptions& o) {
  RunInputs in;
  const std::string tokenizer_text = read_checkpoint_tokenizer(o.checkpoint);
  in.tokenizer_sha = util::sha256_hex(tokenizer_text);
  in.tok = tokenizer::Tokenizer::from_json(tokenizer_text, (fs::path(o.checkpoint) / "tokenizer.json").string());
  in.trained_on = data::read_corpus_record(o.checkpoint);
  if (!o.corpus.empty()) in.corpus.emplace(data::Corpus::open(o.corpus));
  in.direction = resolve_direction(
      {in.trained_on, o.checkpoint, o.corpus, in.corpus ? in.corpus->direction() : std::string(), o.direction});
  if (in.corpus && in.corpus->tokenizer_sha256() != in.tokenizer_sha)
    throw Error(o.checkpoint,
                fmt::format("checkpoint tokenizer differs from the corpus tokenizer (sha256 {} vs {} "
                            "in {})",
                            in.tokenizer_sha.substr(0, 12), in.corpus->tokenizer_sha256().substr(0, 12), o.corpus));
  in.prep = corpus_prep_config(in.corpus ? &*in.corpus : nullptr, in.trained_on, o.checkpoint);
  in.generation = o.generation;
  in.generation.max_notes_per_onset =
      resolve_max_notes_per_onset(o.max_notes_per_onset, in.generation.grammar_mask, in.trained_on);
  in.source_family = split_direction(in.direction, &in.target_family);
  return in;
}

// What is generated, and what the outputs need besides the results.
struct RunRequests {
  std::vector<GenerationRequest> requests;
  std::vector<size_t> ids;           // per request: its corpus pair, or its window of the MIDI file
  std::vector<TokenSeq> references;  // corpus mode
  midi::Song song;                   // midi mode: the input
  midi::Part source_part;            // midi mode
  size_t window_count = 0;           // midi mode
};

RunRequests corpus_requests(const GenerateRunOptions& o, const RunInputs& in) {
  RunRequests r;
  const data::CorpusSplit& split = in.corpus->split(o.split);
  ACC_CHECK(!split.empty(), o.corpus, fmt::format("split {} has no pairs", o.split));
  r.ids = o.count > 0 ? choose_indices(split.size(), size_t(o.count), in.generation.seed)
                      : parse_indices(o.indices, split.size());
  for (size_t index : r.ids) {
    r.references.push_back(to_seq(split.target(index)));
    r.requests.push_back({index, to_seq(split.source(index)), r.references.back()});
  }
  return r;
}

RunRequests midi_requests(const GenerateRunOptions& o, const RunInputs& in) {
  RunRequests r;
  r.song = midi::read_midi_file(o.midi);
  ACC_CHECK(r.song.ticks_per_quarter >= tokenizer::kMinTicksPerQuarter, o.midi,
            fmt::format("ticks per quarter {} is below {}", r.song.ticks_per_quarter, tokenizer::kMinTicksPerQuarter));
  r.source_part = choose_source_part(r.song, o.part, in.source_family, in.prep.families, o.midi);
  const int64_t window_ticks = int64_t(in.prep.window_beats) * r.song.ticks_per_quarter;
  const auto windows = cut_into_windows(r.source_part.notes, window_ticks);
  r.window_count = windows.size();
  for (size_t w = 0; w < windows.size(); ++w) {
    TokenSeq source = in.tok.encode(windows[w], r.song.ticks_per_quarter);
    if (source.empty()) continue;  // no note in the REMI range: nothing to accompany
    r.requests.push_back({w, std::move(source), {}});
    r.ids.push_back(w);
  }
  ACC_CHECK(!r.requests.empty(), o.midi, "the source part has no notes in the REMI pitch range 21..108");
  return r;
}

// What the outputs of either mode collect.
struct RunOutputs {
  std::string lines;       // samples.jsonl
  std::vector<Mix> mixes;  // rendered after everything else is written
};

void write_corpus_outputs(const GenerateRunOptions& o, const RunInputs& in, const RunRequests& r,
                          const std::vector<GeneratedSequence>& results, GenerateRunSummary& summary, RunOutputs& out) {
  const int source_program = family_program(in.source_family, in.prep.families);
  const int target_program = family_program(in.target_family, in.prep.families);
  for (size_t i = 0; i < r.requests.size(); ++i) {
    const tokenizer::DecodedPart generated = tokenizer::decode_part(in.tok, results[i].tokens);
    count(summary.counts, results[i], generated);
    const std::vector<TrackSpec> tracks = {
        {"source (" + in.source_family + ")", source_program, 0, in.tok.decode(r.requests[i].source).notes},
        {"generated (" + in.target_family + ")", target_program, 1, generated.notes},
        {"reference (" + in.target_family + ")", target_program, 2, in.tok.decode(r.references[i]).notes}};
    const std::string path = (fs::path(o.out) / sample_file_name(int64_t(r.ids[i]), "mid")).string();
    midi::write_midi_file(make_output_song(tracks), path);
    summary.midi_files.push_back(path);
    out.mixes.push_back({mix_path(path, "generated"), make_output_song({tracks[0], tracks[1]})});
    out.mixes.push_back({mix_path(path, "reference"), make_output_song({tracks[0], tracks[2]})});
    out.lines +=
        sample_line(int64_t(r.ids[i]), r.requests[i].source, r.references[i], results[i].tokens, in.tokenizer_sha) +
        "\n";
  }
}

void write_midi_outputs(const GenerateRunOptions& o, const RunInputs& in, const RunRequests& r,
                        const std::vector<GeneratedSequence>& results, GenerateRunSummary& summary, RunOutputs& out) {
  const int tpq = r.song.ticks_per_quarter;
  std::vector<std::vector<midi::Note>> generated_windows(r.window_count);
  for (size_t i = 0; i < r.requests.size(); ++i) {
    tokenizer::DecodedPart generated = tokenizer::decode_part(in.tok, results[i].tokens);
    count(summary.counts, results[i], generated);
    generated_windows[r.ids[i]] = std::move(generated.notes);
    out.lines += sample_line(int64_t(r.ids[i]), r.requests[i].source, {}, results[i].tokens, in.tokenizer_sha) + "\n";
  }
  // Back on the input's time grid at tpq 384: the same beats, the same tempo map.
  std::vector<midi::TempoChange> tempos = r.song.tempos;
  for (auto& t : tempos) t.tick = rescale_tick(t.tick, tpq, midi::kOutputTicksPerQuarter);
  std::vector<midi::TimeSignature> signatures = r.song.time_signatures;
  for (auto& s : signatures) s.tick = rescale_tick(s.tick, tpq, midi::kOutputTicksPerQuarter);
  const std::vector<TrackSpec> tracks = {
      {"source (" + in.source_family + ")", r.source_part.program, 0,
       rescale_notes(r.source_part.notes, tpq, midi::kOutputTicksPerQuarter)},
      {"generated (" + in.target_family + ")", family_program(in.target_family, in.prep.families),
       r.source_part.channel == 1 ? 2 : 1,
       stitch_windows(generated_windows, int64_t(in.prep.window_beats) * midi::kOutputTicksPerQuarter)}};
  const std::string path = (fs::path(o.out) / sample_file_name(0, "mid")).string();
  midi::write_midi_file(make_output_song(tracks, tempos, signatures), path);
  summary.midi_files.push_back(path);
  out.mixes.push_back({mix_path(path, "generated"), make_output_song(tracks, tempos, signatures)});
}

nlohmann::ordered_json meta_json(const GenerateRunOptions& o, const RunInputs& in, const RunRequests& r,
                                 int64_t max_tokens, const GenerateRunSummary& summary) {
  nlohmann::ordered_json meta;
  meta["tokenizer_sha256"] = in.tokenizer_sha;
  meta["checkpoint"] = fs::absolute(o.checkpoint).string();
  if (in.corpus) meta["corpus"] = fs::absolute(o.corpus).string();
  if (!o.midi.empty()) {
    meta["midi"] = fs::absolute(o.midi).string();
    meta["part"] = fmt::format("{}:{}", r.source_part.track, r.source_part.channel);
    meta["windows"] = r.window_count;
  } else {
    meta["split"] = o.split;
    meta["indices"] = r.ids;
  }
  meta["direction"] = in.direction;
  // What the onset default was chosen from: the checkpoint's training targets (corpus.json).
  meta["trained_notes_per_onset"] = in.trained_on && in.trained_on->target.onsets > 0
                                        ? nlohmann::ordered_json(in.trained_on->target.notes_per_onset())
                                        : nlohmann::ordered_json(nullptr);
  const GenerationOptions& g = in.generation;
  meta["sampling"] = {{"temperature", g.sampling.temperature},
                      {"top_k", g.sampling.top_k},
                      {"top_p", g.sampling.top_p},
                      {"typical_p", g.sampling.typical_p},
                      {"seed", g.seed},
                      {"prime", g.prime},
                      {"max_tokens", max_tokens},
                      {"grammar_mask", g.grammar_mask},
                      {"max_notes_per_onset", g.max_notes_per_onset},
                      {"bars_within_source", g.bars_within_source},
                      {"end_with_source", g.end_with_source},
                      {"batch_size", g.batch_size}};
  meta["counts"] = summary.counts.to_json();
  meta["seconds"] = summary.seconds;
  meta["tokens_per_s"] = summary.tokens_per_s;
  meta["files"] = summary.midi_files.size();
  meta["accompanist"] = {{"version", acc::version()}, {"git_revision", acc::git_revision()}};
  return meta;
}

}  // namespace

GenerateRunSummary run_generate(const GenerateRunOptions& o) {
  check_options(o);
  const RunInputs in = open_inputs(o);
  model::Seq2SeqTransformer model = model::load_model(o.checkpoint);
  const int64_t max_tokens = token_limit(model->config(), in.tok, in.generation.max_tokens, o.checkpoint);

  // Read every input before writing anything.
  const bool from_midi = !o.midi.empty();
  const RunRequests r = from_midi ? midi_requests(o, in) : corpus_requests(o, in);
  spdlog::info("generate: {} {} from {}, {}{}{}, up to {} tokens each", r.requests.size(),
               from_midi ? "windows" : "samples", from_midi ? o.midi : o.corpus + ":" + o.split,
               in.generation.sampling.describe(),
               in.generation.prime > 0 ? fmt::format(", prime {}", in.generation.prime) : std::string(),
               describe_mask(in.generation), max_tokens);
  Generator generator(model, in.tok, in.generation);
  GenerateRunSummary summary;
  const auto results = generate_with_progress(generator, r.requests, o.progress, &summary.seconds);

  fs::create_directories(o.out);
  std::error_code ec;
  fs::remove(fs::path(o.out) / "meta.json", ec);  // an older run's marker must not vouch for this one
  RunOutputs out;
  if (from_midi)
    write_midi_outputs(o, in, r, results, summary, out);
  else
    write_corpus_outputs(o, in, r, results, summary, out);
  util::write_file_atomic((fs::path(o.out) / "samples.jsonl").string(), out.lines);
  if (o.render == "wav") render_mixes(out.mixes, o, &summary);

  const int64_t sampled = summary.counts.generated_tokens - summary.counts.primed_tokens;
  summary.tokens_per_s = summary.seconds > 0 ? double(sampled) / summary.seconds : 0.0;
  summary.meta_path = (fs::path(o.out) / "meta.json").string();
  util::write_file_atomic(summary.meta_path, meta_json(o, in, r, generator.max_tokens(), summary).dump(2) + "\n");
  return summary;
}

}  // namespace acc::generate

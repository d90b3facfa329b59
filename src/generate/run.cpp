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

void count(GenerationCounts& c, const GeneratedSequence& g, const DecodedPart& d) {
  ++c.samples;
  c.generated_tokens += int64_t(g.tokens.size());
  c.primed_tokens += g.primed;
  c.ended_eos += g.ended ? 1 : 0;
  c.grammar_errors += d.errors;
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

GenerateRunSummary run_generate(const GenerateRunOptions& o) {
  const bool from_midi = !o.midi.empty();
  ACC_CHECK(!o.out.empty(), "--out", "an output directory is required");
  if (from_midi) {
    ACC_CHECK(o.count == 0 && o.indices.empty(), "--midi", "takes no --count or --indices (the whole song is used)");
  } else {
    ACC_CHECK(!o.corpus.empty(), "generate", "give --corpus (with --count or --indices) or --midi FILE.mid");
    ACC_CHECK((o.count > 0) != !o.indices.empty(), "generate", "give exactly one of --count N and --indices LIST");
  }
  ACC_CHECK(o.render.empty() || o.render == "wav", "--render", fmt::format("unknown format '{}' (wav)", o.render));
  o.generation.sampling.validate();

  // Checkpoint, tokenizer and corpus must belong together.
  const std::string tokenizer_text = read_checkpoint_tokenizer(o.checkpoint);
  const std::string tokenizer_sha = util::sha256_hex(tokenizer_text);
  const tokenizer::Tokenizer tok =
      tokenizer::Tokenizer::from_json(tokenizer_text, (fs::path(o.checkpoint) / "tokenizer.json").string());
  const std::optional<data::CorpusRecord> trained_on = data::read_corpus_record(o.checkpoint);
  std::optional<data::Corpus> corpus;
  if (!o.corpus.empty()) corpus.emplace(data::Corpus::open(o.corpus));
  const std::string direction = resolve_direction(
      {trained_on, o.checkpoint, o.corpus, corpus ? corpus->direction() : std::string(), o.direction});
  if (corpus) {
    if (corpus->tokenizer_sha256() != tokenizer_sha)
      throw Error(o.checkpoint,
                  fmt::format("checkpoint tokenizer differs from the corpus tokenizer (sha256 {} vs {} "
                              "in {})",
                              tokenizer_sha.substr(0, 12), corpus->tokenizer_sha256().substr(0, 12), o.corpus));
  }
  const data::PrepConfig prep = corpus_prep_config(corpus ? &*corpus : nullptr, trained_on, o.checkpoint);
  GenerationOptions generation = o.generation;
  generation.max_notes_per_onset =
      resolve_max_notes_per_onset(o.max_notes_per_onset, generation.grammar_mask, trained_on);
  std::string target_family;
  const std::string source_family = split_direction(direction, &target_family);

  model::Seq2SeqTransformer model = model::load_model(o.checkpoint);
  const int64_t max_tokens = token_limit(model->config(), tok, generation.max_tokens, o.checkpoint);

  // Read every input before writing anything.
  std::vector<GenerationRequest> requests;
  std::vector<size_t> indices;       // corpus mode: pair index of each request
  std::vector<TokenSeq> references;  // corpus mode
  midi::Song input_song;             // midi mode
  midi::Part source_part;            // midi mode
  std::vector<size_t> windows_used;  // midi mode: window index of each request
  size_t window_count = 0;
  if (!from_midi) {
    const data::CorpusSplit& split = corpus->split(o.split);
    ACC_CHECK(!split.empty(), o.corpus, fmt::format("split {} has no pairs", o.split));
    indices = o.count > 0 ? choose_indices(split.size(), size_t(o.count), generation.seed)
                          : parse_indices(o.indices, split.size());
    for (size_t index : indices) {
      GenerationRequest r;
      r.stream = index;
      r.source = to_seq(split.source(index));
      references.push_back(to_seq(split.target(index)));
      r.prime = references.back();
      requests.push_back(std::move(r));
    }
  } else {
    input_song = midi::read_midi_file(o.midi);
    ACC_CHECK(
        input_song.ticks_per_quarter >= tokenizer::kMinTicksPerQuarter, o.midi,
        fmt::format("ticks per quarter {} is below {}", input_song.ticks_per_quarter, tokenizer::kMinTicksPerQuarter));
    source_part = choose_source_part(input_song, o.part, source_family, prep.families, o.midi);
    const int64_t window_ticks = int64_t(prep.window_beats) * input_song.ticks_per_quarter;
    const auto windows = cut_into_windows(source_part.notes, window_ticks);
    window_count = windows.size();
    for (size_t w = 0; w < windows.size(); ++w) {
      GenerationRequest r;
      r.stream = w;
      r.source = tok.encode(windows[w], input_song.ticks_per_quarter);
      if (r.source.empty()) continue;  // no note in the REMI range: nothing to accompany
      requests.push_back(std::move(r));
      windows_used.push_back(w);
    }
    ACC_CHECK(!requests.empty(), o.midi, "the source part has no notes in the REMI pitch range 21..108");
  }

  spdlog::info("generate: {} {} from {}, {}{}{}, up to {} tokens each", requests.size(),
               from_midi ? "windows" : "samples", from_midi ? o.midi : o.corpus + ":" + o.split,
               generation.sampling.describe(),
               generation.prime > 0 ? fmt::format(", prime {}", generation.prime) : std::string(),
               describe_mask(generation), max_tokens);
  Generator generator(model, tok, generation);
  GenerateRunSummary summary;
  const auto results = generate_with_progress(generator, requests, o.progress, &summary.seconds);

  fs::create_directories(o.out);
  std::error_code ec;
  fs::remove(fs::path(o.out) / "meta.json", ec);  // an older run's marker must not vouch for this one
  const int source_program = family_program(source_family, prep.families);
  const int target_program = family_program(target_family, prep.families);
  std::string lines;
  std::vector<Mix> mixes;  // rendered after everything else is written
  if (!from_midi) {
    for (size_t i = 0; i < requests.size(); ++i) {
      const DecodedPart generated = decode_part(tok, results[i].tokens);
      count(summary.counts, results[i], generated);
      const std::vector<TrackSpec> tracks = {
          {"source (" + source_family + ")", source_program, 0, tok.decode(requests[i].source).notes},
          {"generated (" + target_family + ")", target_program, 1, generated.notes},
          {"reference (" + target_family + ")", target_program, 2, tok.decode(references[i]).notes}};
      const std::string path = (fs::path(o.out) / sample_file_name(int64_t(indices[i]), "mid")).string();
      midi::write_midi_file(make_output_song(tracks), path);
      summary.midi_files.push_back(path);
      mixes.push_back({mix_path(path, "generated"), make_output_song({tracks[0], tracks[1]})});
      mixes.push_back({mix_path(path, "reference"), make_output_song({tracks[0], tracks[2]})});
      lines +=
          sample_line(int64_t(indices[i]), requests[i].source, references[i], results[i].tokens, tokenizer_sha) + "\n";
    }
  } else {
    const int tpq = input_song.ticks_per_quarter;
    std::vector<std::vector<midi::Note>> generated_windows(window_count);
    for (size_t i = 0; i < requests.size(); ++i) {
      DecodedPart generated = decode_part(tok, results[i].tokens);
      count(summary.counts, results[i], generated);
      generated_windows[windows_used[i]] = std::move(generated.notes);
      lines += sample_line(int64_t(windows_used[i]), requests[i].source, {}, results[i].tokens, tokenizer_sha) + "\n";
    }
    // Back on the input's time grid at tpq 384: the same beats, the same tempo map.
    std::vector<midi::TempoChange> tempos = input_song.tempos;
    for (auto& t : tempos) t.tick = rescale_tick(t.tick, tpq, midi::kOutputTicksPerQuarter);
    std::vector<midi::TimeSignature> signatures = input_song.time_signatures;
    for (auto& s : signatures) s.tick = rescale_tick(s.tick, tpq, midi::kOutputTicksPerQuarter);
    const std::vector<TrackSpec> tracks = {
        {"source (" + source_family + ")", source_part.program, 0,
         rescale_notes(source_part.notes, tpq, midi::kOutputTicksPerQuarter)},
        {"generated (" + target_family + ")", target_program, source_part.channel == 1 ? 2 : 1,
         stitch_windows(generated_windows, int64_t(prep.window_beats) * midi::kOutputTicksPerQuarter)}};
    const std::string path = (fs::path(o.out) / sample_file_name(0, "mid")).string();
    midi::write_midi_file(make_output_song(tracks, tempos, signatures), path);
    summary.midi_files.push_back(path);
    mixes.push_back({mix_path(path, "generated"), make_output_song(tracks, tempos, signatures)});
  }
  util::write_file_atomic((fs::path(o.out) / "samples.jsonl").string(), lines);

  if (o.render == "wav") render_mixes(mixes, o, &summary);

  const int64_t sampled = summary.counts.generated_tokens - summary.counts.primed_tokens;
  summary.tokens_per_s = summary.seconds > 0 ? double(sampled) / summary.seconds : 0.0;
  nlohmann::ordered_json meta;
  meta["tokenizer_sha256"] = tokenizer_sha;
  meta["checkpoint"] = fs::absolute(o.checkpoint).string();
  if (corpus) meta["corpus"] = fs::absolute(o.corpus).string();
  if (from_midi) {
    meta["midi"] = fs::absolute(o.midi).string();
    meta["part"] = fmt::format("{}:{}", source_part.track, source_part.channel);
    meta["windows"] = window_count;
  } else {
    meta["split"] = o.split;
    meta["indices"] = indices;
  }
  meta["direction"] = direction;
  // What the onset default was chosen from: the checkpoint's training targets (corpus.json).
  meta["trained_notes_per_onset"] = trained_on && trained_on->target.onsets > 0
                                        ? nlohmann::ordered_json(trained_on->target.notes_per_onset())
                                        : nlohmann::ordered_json(nullptr);
  const GenerationOptions& g = generation;
  meta["sampling"] = {{"temperature", g.sampling.temperature},
                      {"top_k", g.sampling.top_k},
                      {"top_p", g.sampling.top_p},
                      {"typical_p", g.sampling.typical_p},
                      {"seed", g.seed},
                      {"prime", g.prime},
                      {"max_tokens", generator.max_tokens()},
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
  summary.meta_path = (fs::path(o.out) / "meta.json").string();
  util::write_file_atomic(summary.meta_path, meta.dump(2) + "\n");
  return summary;
}

}  // namespace acc::generate

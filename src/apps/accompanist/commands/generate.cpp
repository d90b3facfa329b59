// accompanist generate --checkpoint DIR --corpus corpus.h5 --split valid
// --count N --out DIR [--top-k K] [--top-p P] [--temperature T] [--prime N]
// [--seed S] (SPEC section 9), plus --indices, --midi FILE.mid [--part
// TRACK:CHANNEL] [--direction A->B], --typical-p, --greedy, --max-tokens,
// --no-grammar-mask, --max-notes-per-onset, --batch-size, --no-cache,
// --render wav, --threads. The direction and the notes-per-onset limit
// default to what the checkpoint was trained on (run_defaults.h).
// Writes DIR/NNNN.mid, DIR/samples.jsonl and DIR/meta.json (acc::generate::run_generate).
#include <ATen/Parallel.h>
#include <fmt/format.h>

#include <iostream>
#include <memory>
#include <string>

#include "accompanist/command.h"
#include "accompanist/generate/run.h"

namespace {

struct GenerateArgs {
  acc::generate::GenerateRunOptions run;
  bool greedy = false;
  bool no_cache = false;
  bool allow_early_end = false;
  bool grammar_mask = false;  // the old opt-in flag, now the default: accepted, no effect
  bool no_grammar_mask = false;
  bool no_progress = false;
  int threads = 0;
};

std::function<int()> setup_generate(CLI::App& app) {
  auto* cmd = app.add_subcommand("generate", "Generate the target part for corpus pairs or a MIDI file");
  auto a = std::make_shared<GenerateArgs>();
  auto& r = a->run;
  auto& g = r.generation;
  cmd->add_option("--checkpoint", r.checkpoint, "Checkpoint directory (with its COMPLETE marker)")->required();
  cmd->add_option("--out", r.out, "Output directory")->required();
  cmd->add_option("--corpus", r.corpus, "Corpus HDF5 file (sources, references and the tokenizer check)");
  cmd->add_option("--split", r.split, "Corpus split")->check(CLI::IsMember({"train", "valid", "test"}));
  cmd->add_option("--count", r.count, "Number of random pairs of the split (chosen with the seed)")
      ->check(CLI::PositiveNumber);
  cmd->add_option("--indices", r.indices, "Comma-separated pair indices instead of --count (e.g. 3,7,9)");
  cmd->add_option("--midi", r.midi, "Generate for the source part of this MIDI file (whole song, in windows)");
  cmd->add_option("--part", r.part, "With --midi: the source part as TRACK:CHANNEL (default: the source family)");
  cmd->add_option("--direction", r.direction,
                  "SOURCE->TARGET, e.g. piano->bass (default: the checkpoint's, else the corpus's; must agree)");
  cmd->add_option("--top-k", g.sampling.top_k, "Sample among the k most likely tokens (0 = off; thesis 3)")
      ->check(CLI::NonNegativeNumber);
  cmd->add_option("--top-p", g.sampling.top_p, "Nucleus sampling mass (1 = off)")->check(CLI::Range(0.0, 1.0));
  cmd->add_option("--typical-p", g.sampling.typical_p, "Typical sampling mass (1 = off)")->check(CLI::Range(0.0, 1.0));
  cmd->add_option("--temperature", g.sampling.temperature, "Softmax temperature (0 = greedy; thesis 1)")
      ->check(CLI::NonNegativeNumber);
  cmd->add_flag("--greedy", a->greedy, "Always take the most likely token (same as --temperature 0)");
  cmd->add_option("--prime", g.prime, "Force the first N reference tokens (thesis: 50 bass, 75 piano)")
      ->check(CLI::NonNegativeNumber);
  cmd->add_option("--max-tokens", g.max_tokens, "Token limit per sample (0 = the model's max_len)")
      ->check(CLI::NonNegativeNumber);
  cmd->add_option("--seed", g.seed, "Seed of the pair choice and of sampling");
  auto* mask_on =
      cmd->add_flag("--grammar-mask", a->grammar_mask, "The default (kept for old scripts): grammar masking is on");
  cmd->add_flag("--no-grammar-mask", a->no_grammar_mask,
                "Sample from every token, grammatical or not (the thesis's setting); by default only tokens that keep "
                "a valid REMI sequence may be sampled")
      ->excludes(mask_on);
  cmd->add_option("--max-notes-per-onset", r.max_notes_per_onset,
                  "At most N notes at one onset, 0 = unlimited, up to 7 (default: 1 when the checkpoint's training "
                  "targets average under 1.25 notes per onset, else unlimited; needs the grammar mask)")
      ->check(CLI::NonNegativeNumber);
  cmd->add_flag("--allow-early-end", a->allow_early_end,
                "Let a part end (EOS) before it has as many bars as its source (by default it may not)");
  cmd->add_option("--batch-size", g.batch_size, "Samples generated together")->check(CLI::PositiveNumber);
  cmd->add_flag("--no-cache", a->no_cache, "Recompute the whole decoder input each step (slow; for checks)");
  cmd->add_option("--precision", g.precision,
                  "Precision of the encoder pass (with the cache): auto (bf16 on a GPU or a CPU with native bf16, "
                  "else fp32), fp32 or bf16 (default: $ACCOMPANIST_PRECISION, else auto)")
      ->check(CLI::IsMember({"auto", "fp32", "bf16"}));
  cmd->add_option("--render", r.render,
                  "Also render NNNN.generated.wav and NNNN.reference.wav (source with each part; needs fluidsynth)")
      ->check(CLI::IsMember({"wav"}));
  cmd->add_option("--fluidsynth", r.fluidsynth, "fluidsynth for --render (default /usr/bin/fluidsynth)");
  cmd->add_option("--soundfont", r.soundfont,
                  "General MIDI sound font for --render (default /usr/share/sounds/sf2/FluidR3_GM.sf2)");
  cmd->add_option("--threads", a->threads, "Torch threads (0 = default)")->check(CLI::NonNegativeNumber);
  cmd->add_flag("--no-progress", a->no_progress, "No progress display");
  return [a]() {
    if (a->threads > 0) at::set_num_threads(a->threads);
    auto& run = a->run;
    if (a->greedy) run.generation.sampling.temperature = 0;
    run.generation.use_cache = !a->no_cache;
    run.generation.grammar_mask = !a->no_grammar_mask;
    run.generation.end_with_source = !a->allow_early_end;
    run.progress = !a->no_progress;
    const auto s = acc::generate::run_generate(run);
    const auto& c = s.counts;
    std::cout << fmt::format(
        "generate: {} samples, {} tokens ({} primed) in {:.2f} s, {:.1f} tokens/s; ended at EOS {}, at the limit {}; "
        "grammar errors {} ({:.4f} per token); unrepairable {}; wrote {} MIDI files{} to {}\n",
        c.samples, c.generated_tokens, c.primed_tokens, s.seconds, s.tokens_per_s, c.ended_eos, c.samples - c.ended_eos,
        c.grammar_errors, c.grammar_error_rate(), c.unrepairable, s.midi_files.size(),
        s.wav_files.empty() ? std::string() : fmt::format(" and {} WAV files", s.wav_files.size()), run.out);
    std::cout.flush();
    return std::cout ? 0 : 1;
  };
}

}  // namespace

ACC_REGISTER_COMMAND(generate, setup_generate);

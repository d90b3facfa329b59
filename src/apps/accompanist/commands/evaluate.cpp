// accompanist evaluate: the thesis's evaluation (SPEC sections 8 and 9) of
// generated samples, or of a corpus split on its own:
//   accompanist evaluate --samples DIR --corpus corpus.h5 --out DIR
//   accompanist evaluate --reference-only --corpus corpus.h5 --split valid --out DIR
// writes report.json, report.md, plot_data.json, plots/ and report.html into --out.
#include <spdlog/spdlog.h>

#include <iostream>
#include <memory>
#include <string>

#include "accompanist/command.h"
#include "accompanist/data/corpus.h"
#include "accompanist/eval/evaluation.h"
#include "accompanist/eval/report.h"
#include "accompanist/eval/samples.h"
#include "accompanist/tokenizer/tokenizer.h"
#include "accompanist/util/error.h"

namespace {

struct EvaluateArgs {
  std::string samples_dir;
  std::string corpus;
  std::string out;
  std::string split = "valid";
  bool reference_only = false;
  bool no_plots = false;
  uint64_t limit = 0;
  acc::eval::EvaluationOptions options;
};

acc::tokenizer::TokenSeq to_seq(const acc::data::TokenSpan& span) {
  return acc::tokenizer::TokenSeq(span.begin(), span.end());
}

// Samples whose source differs from the corpus pair they name were probably
// made from another split or corpus: worth a warning, not an error.
void warn_on_foreign_samples(const acc::eval::SampleSet& set, const acc::data::CorpusSplit& split) {
  size_t mismatched = 0, outside = 0;
  for (const acc::eval::Sample& s : set.samples) {
    if (size_t(s.index) >= split.size()) {
      ++outside;
    } else if (to_seq(split.source(size_t(s.index))) != s.source) {
      ++mismatched;
    }
  }
  if (outside > 0)
    spdlog::warn("{}: {} samples have an index past the {} pairs of split '{}'", set.path, outside, split.size(),
                 split.name());
  if (mismatched > 0)
    spdlog::warn(
        "{}: the source of {} samples differs from the pair of the same index in split '{}' (samples made "
        "from another split or corpus?)",
        set.path, mismatched, split.name());
}

int run_evaluate(const EvaluateArgs& args) {
  if (args.reference_only) {
    ACC_CHECK(args.samples_dir.empty(), "--samples", "not used with --reference-only");
  } else {
    ACC_CHECK(!args.samples_dir.empty(), "--samples", "required (or --reference-only)");
  }
  ACC_CHECK(args.options.pairs > 0, "--pairs", "must be positive");
  ACC_CHECK(args.options.shuffles > 0, "--shuffles", "must be positive");

  const acc::data::Corpus corpus = acc::data::Corpus::open(args.corpus);
  const acc::tokenizer::Tokenizer tokenizer =
      acc::tokenizer::Tokenizer::from_json(corpus.tokenizer_json(), args.corpus);
  const acc::data::CorpusSplit& split = corpus.split(args.split);
  ACC_CHECK(!split.empty(), args.corpus, "split '" + args.split + "' is empty");

  acc::eval::EvaluationInput input;
  input.tokenizer = &tokenizer;
  input.validation.reserve(split.size());
  input.validation_sources.reserve(split.size());
  for (size_t i = 0; i < split.size(); ++i) {
    input.validation.push_back(to_seq(split.target(i)));
    input.validation_sources.push_back(to_seq(split.source(i)));
  }
  input.settings["corpus"] = args.corpus;
  input.settings["split"] = args.split;
  input.settings["direction"] = corpus.direction();

  if (args.reference_only) {
    // The split judged as if a model had written every reference: the
    // ceiling of each figure, next to the same baselines.
    input.mode = "reference-only";
    const size_t n = args.limit ? std::min<size_t>(args.limit, split.size()) : split.size();
    for (size_t i = 0; i < n; ++i) {
      acc::eval::Sample s;
      s.index = int64_t(i);
      s.source = to_seq(split.source(i));
      s.reference = to_seq(split.target(i));
      s.generated = s.reference;
      input.samples.push_back(std::move(s));
    }
  } else {
    acc::eval::SampleSet set = acc::eval::read_samples(args.samples_dir);
    acc::eval::check_samples(set, tokenizer.vocab_size(), corpus.tokenizer_sha256());
    warn_on_foreign_samples(set, split);
    if (args.limit && set.samples.size() > args.limit) set.samples.resize(args.limit);
    input.settings["samples_dir"] = args.samples_dir;
    input.samples = std::move(set.samples);
  }

  const acc::eval::Evaluation evaluation = acc::eval::evaluate(input, args.options);
  acc::eval::ReportOptions report_options;
  report_options.plots = !args.no_plots;
  report_options.samples_dir = args.samples_dir;  // the A/B mixes of generate --render wav
  const acc::eval::ReportFiles files = acc::eval::write_report(evaluation, args.out, report_options);

  const auto& r = evaluation.report;
  std::cout << "wrote " << files.report_json << " (" << r["samples"].get<int64_t>() << " samples, "
            << r["decodable"].get<int64_t>() << " decodable; Levenshtein generated "
            << r["rhythm"]["levenshtein"]["generated"].dump() << ", mock " << r["rhythm"]["levenshtein"]["mock"].dump()
            << "; top-1 key match " << r["key"]["topk_match"]["generated"][0].get<double>() << " vs shuffled "
            << r["key"]["topk_match"]["shuffled"][0].get<double>() << ")"
            << (files.plots_written ? ", plots in " + files.plots_dir : std::string()) << "\n";
  if (!files.report_html.empty()) std::cout << "report page: " << files.report_html << "\n";
  return 0;
}

std::function<int()> setup_evaluate(CLI::App& app) {
  auto* cmd = app.add_subcommand("evaluate", "Evaluate generated samples (rhythm, key, extras) and write a report");
  auto args = std::make_shared<EvaluateArgs>();
  cmd->add_option("--samples", args->samples_dir, "Directory with samples.jsonl from `accompanist generate`");
  cmd->add_option("--corpus", args->corpus, "The corpus (tokenizer and validation split)")->required();
  cmd->add_option("--out", args->out, "Output directory for report.json, report.md and plots")->required();
  cmd->add_option("--split", args->split, "Split used as the validation set (default valid)")
      ->check(CLI::IsMember({"train", "valid", "test"}));
  cmd->add_flag("--reference-only", args->reference_only,
                "Evaluate the split itself (generated = reference): the data's own figures");
  cmd->add_option("--seed", args->options.seed, "Seed of the random pairs, mock bars and shuffles (default 0)");
  cmd->add_option("--pairs", args->options.pairs, "Random bar pairs per Levenshtein figure (default 10000000)");
  cmd->add_option("--shuffles", args->options.shuffles, "Permutations for the shuffled key baselines (default 100)")
      ->check(CLI::Range(1, 1000000));
  cmd->add_option("--threads", args->options.threads, "Threads (0 = all cores)")->check(CLI::Range(0, 4096));
  cmd->add_option("--limit", args->limit, "Evaluate at most this many samples (0 = all)");
  cmd->add_flag("--no-plots", args->no_plots, "Do not run scripts/plot_evaluation.py");
  return [args]() { return run_evaluate(*args); };
}

}  // namespace

ACC_REGISTER_COMMAND(evaluate, setup_evaluate);

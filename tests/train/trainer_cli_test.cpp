// accompanist-train as one process: learning, exact resume after SIGTERM,
// crash safety of checkpoints, and clear errors for bad inputs.
#include <signal.h>

#include <cstdio>
#include <set>

#include <ATen/Parallel.h>

#include "accompanist/dist/gradient_bucketer.h"
#include "accompanist/generate/generator.h"
#include "accompanist/train/checkpoint_store.h"
#include "trainer_test_support.h"

namespace acc::testing {
namespace {

// The run's samples of `step` are what a greedy generate::Generator makes
// with the checkpoint of that step (no grammar mask, no bar rules: the
// trainer's sample writer has none), in one batch on one thread as there.
void expect_samples_match_generator(const std::string& run_dir, const std::string& checkpoint, int64_t step) {
  char name[64];
  std::snprintf(name, sizeof(name), "/samples/step-%08lld/samples.jsonl", static_cast<long long>(step));
  const std::string samples = run_dir + name;
  std::vector<generate::GenerationRequest> requests;
  std::vector<std::vector<int64_t>> written;
  std::istringstream lines(read_text(samples));
  for (std::string line; std::getline(lines, line);) {
    const nlohmann::json j = nlohmann::json::parse(line);
    const auto source = j.at("source").get<std::vector<int64_t>>();
    requests.push_back({j.at("index").get<uint64_t>(), tokenizer::TokenSeq(source.begin(), source.end()), {}});
    written.push_back(j.at("generated").get<std::vector<int64_t>>());
  }
  ASSERT_EQ(requests.size(), 3u) << samples;  // train.sample_count
  const auto tok = tokenizer::Tokenizer::from_json(read_text(checkpoint + "/tokenizer.json"), checkpoint);
  generate::GenerationOptions options;
  options.sampling.temperature = 0;
  options.max_tokens = 512;  // train.sample_max_tokens (the model's max_len limits it further)
  options.batch_size = int64_t(requests.size());
  options.bars_within_source = options.end_with_source = false;
  const int threads = at::get_num_threads();
  at::set_num_threads(1);  // tiny.yaml's train.threads
  generate::Generator generator(model::load_model(checkpoint), tok, options);
  const auto generated = generator.generate(requests);
  at::set_num_threads(threads);
  size_t tokens = 0;
  for (size_t i = 0; i < requests.size(); ++i) {
    EXPECT_EQ(written[i], std::vector<int64_t>(generated[i].tokens.begin(), generated[i].tokens.end())) << i;
    tokens += written[i].size();
  }
  EXPECT_GT(tokens, 0u);
}

TEST(TrainerCli, LossesDecreaseAndRunDirIsComplete) {
  const std::string dir = scratch_dir("learn");
  const std::string corpus = write_copy_corpus(dir);
  auto r = run_command(train_command(dir + "/run", "--set data.corpus=" + corpus +
                                                       " --set train.max_steps=120 --set train.valid_every=40"
                                                       " --set train.checkpoint_every=40 --set train.sample_every=40"),
                       300);
  ASSERT_EQ(r.exit_code, 0) << r.output;
  auto train = losses(dir + "/run", "train");
  auto valid = losses(dir + "/run", "valid");
  ASSERT_GE(train.size(), 10u);
  ASSERT_EQ(valid.size(), 3u);
  EXPECT_LT(train.back().second, 0.7 * train.front().second);
  EXPECT_LT(valid.back().second, valid.front().second);
  EXPECT_TRUE(fs::exists(dir + "/run/config.yaml"));
  train::CheckpointStore store(dir + "/run");
  EXPECT_EQ(store.complete_steps(), (std::vector<int64_t>{80, 120}));  // keep_last 2
  EXPECT_TRUE(train::CheckpointStore::is_complete(store.best_dir()));
  for (const char* f :
       {"model.pt", "model.yaml", "optimizer.pt", "trainer_state.json", "tokenizer.json", "config.yaml"})
    EXPECT_TRUE(fs::exists(store.final_dir(120) + "/" + f)) << f;
  expect_samples_match_generator(dir + "/run", store.final_dir(120), 120);
}

std::string run_json_precision(const std::string& run_dir) {
  const std::string text = read_text(run_dir + "/run.json");
  const auto at = text.find("\"precision\": \"");
  return at == std::string::npos ? "" : text.substr(at + 14, 4);
}

// bf16 autocast (emulated where the CPU lacks it, so the test holds on any
// x86) follows the fp32 loss curve: the tolerance, 0.01 nats per logged
// step (losses 5.2 -> 3.4), is 10x the largest gap seen on a Xeon with
// AMX-BF16 (1.0e-3 train, 0.5e-3 valid).
TEST(TrainerCli, Bf16FollowsTheFp32LossCurve) {
  const std::string dir = scratch_dir("bf16");
  const std::string corpus = write_copy_corpus(dir);
  const std::string sets = "--set data.corpus=" + corpus + " --set train.max_steps=60 --set train.valid_every=30";
  auto fp32 = run_command(train_command(dir + "/fp32", sets + " --set train.precision=fp32"), 300);
  ASSERT_EQ(fp32.exit_code, 0) << fp32.output;
  auto bf16 = run_command(train_command(dir + "/bf16", sets + " --set train.precision=bf16"), 300);
  ASSERT_EQ(bf16.exit_code, 0) << bf16.output;
  EXPECT_NE(bf16.output.find("precision bf16"), std::string::npos) << bf16.output;
  EXPECT_EQ(run_json_precision(dir + "/fp32"), "fp32");
  EXPECT_EQ(run_json_precision(dir + "/bf16"), "bf16");
  for (const char* split : {"train", "valid"}) {
    auto a = losses(dir + "/fp32", split), b = losses(dir + "/bf16", split);
    ASSERT_EQ(a.size(), b.size()) << split;
    ASSERT_FALSE(a.empty());
    double worst = 0;
    for (size_t i = 0; i < a.size(); ++i) worst = std::max(worst, std::abs(a[i].second - b[i].second));
    EXPECT_LT(worst, 0.01) << split;
    EXPECT_GT(worst, 0.0) << split << ": identical curves, bf16 was not used";
  }
  EXPECT_LT(losses(dir + "/bf16", "train").back().second, 0.8 * losses(dir + "/bf16", "train").front().second);
}

// data.pad_to_multiple changes shapes, not results: without dropout (whose
// masks depend on the shape) the fp32 loss curves agree to float rounding.
TEST(TrainerCli, PaddingToAMultipleKeepsTheLossCurve) {
  const std::string dir = scratch_dir("pad_multiple");
  const std::string corpus = write_copy_corpus(dir);
  const std::string sets = "--set data.corpus=" + corpus +
                           " --set train.max_steps=30 --set train.valid_every=15 --set train.precision=fp32"
                           " --set model.dropout=0";
  auto plain = run_command(train_command(dir + "/plain", sets), 300);
  ASSERT_EQ(plain.exit_code, 0) << plain.output;
  auto padded = run_command(train_command(dir + "/padded", sets + " --set data.pad_to_multiple=16"), 300);
  ASSERT_EQ(padded.exit_code, 0) << padded.output;
  for (const char* split : {"train", "valid"}) {
    auto a = losses(dir + "/plain", split), b = losses(dir + "/padded", split);
    ASSERT_EQ(a.size(), b.size()) << split;
    ASSERT_FALSE(a.empty());
    for (size_t i = 0; i < a.size(); ++i) EXPECT_NEAR(a[i].second, b[i].second, 1e-4) << split << " " << i;
  }
  EXPECT_NE(read_text(dir + "/padded/config.yaml").find("pad_to_multiple: 16"), std::string::npos);
  auto bad = run_command(train_command(dir + "/bad", sets + " --set data.pad_to_multiple=0"), 120);
  EXPECT_NE(bad.exit_code, 0);
  EXPECT_NE(bad.output.find("data.pad_to_multiple"), std::string::npos) << bad.output;
}

// auto = bf16 exactly where the CPU has native bf16 (the detection is
// overridden here so that both answers are tested on any machine).
TEST(TrainerCli, AutoPrecisionFollowsTheCpu) {
  const std::string dir = scratch_dir("auto_precision");
  const std::string corpus = write_copy_corpus(dir);
  const std::string sets = "--set data.corpus=" + corpus + " --set train.max_steps=2 --set train.precision=auto";
  auto no = run_command("ACCOMPANIST_NATIVE_BF16=0 " + train_command(dir + "/no", sets), 120);
  ASSERT_EQ(no.exit_code, 0) << no.output;
  EXPECT_EQ(run_json_precision(dir + "/no"), "fp32");
  EXPECT_NE(no.output.find("no native bf16"), std::string::npos) << no.output;
  auto yes = run_command("ACCOMPANIST_NATIVE_BF16=1 " + train_command(dir + "/yes", sets), 120);
  ASSERT_EQ(yes.exit_code, 0) << yes.output;
  EXPECT_EQ(run_json_precision(dir + "/yes"), "bf16");
  auto bad = run_command(train_command(dir + "/bad", sets + " --set train.precision=fp16"), 120);
  EXPECT_NE(bad.exit_code, 0);
  EXPECT_NE(bad.output.find("train.precision"), std::string::npos) << bad.output;
  auto budget = run_command(train_command(dir + "/budget", sets + " --set train.max_tokens=64"), 120);
  EXPECT_NE(budget.exit_code, 0);
  EXPECT_NE(budget.output.find("error: config: train.max_tokens: 64 is less than data.max_len 128"), std::string::npos)
      << budget.output;
}

// Run 40 steps; run again, SIGTERM it part way, resume: the same losses and
// parameters, bit for bit (CPU, one thread).
TEST(TrainerCli, ResumeAfterSigtermIsExact) {
  const std::string dir = scratch_dir("resume");
  const std::string corpus = write_copy_corpus(dir);
  const std::string sets = "--set data.corpus=" + corpus +
                           " --set train.log_every=1 --set model.dropout=0.1 --set train.checkpoint_every=100";
  auto full = run_command(train_command(dir + "/full", sets), 300);
  ASSERT_EQ(full.exit_code, 0) << full.output;

  const std::string run = dir + "/stopped";
  const pid_t pid = spawn_command(train_command(run, sets + " --set train.max_steps=100000"), dir + "/stopped.log");
  // Stop once a few steps are logged (the exact step does not matter).
  for (int i = 0; i < 3000 && losses_or_empty(run).size() < 12; ++i) usleep(10000);
  kill(pid, SIGTERM);
  ASSERT_EQ(wait_command(pid, 60), 0) << read_text(dir + "/stopped.log");
  train::CheckpointStore store(run);
  ASSERT_FALSE(store.complete_steps().empty()) << read_text(dir + "/stopped.log");
  const int64_t stopped_at = store.complete_steps().back();
  EXPECT_GE(stopped_at, 12);
  EXPECT_LT(stopped_at, 40) << "the run was not stopped early enough to test resuming";

  auto resumed = run_command(train_command(run, sets + " --resume auto"), 300);
  ASSERT_EQ(resumed.exit_code, 0) << resumed.output;
  EXPECT_NE(resumed.output.find("resumed from"), std::string::npos);
  auto a = losses(dir + "/full", "train"), b = losses(run, "train");
  ASSERT_EQ(a.size(), b.size());
  for (size_t i = 0; i < a.size(); ++i) {
    EXPECT_EQ(a[i].first, b[i].first);
    EXPECT_EQ(a[i].second, b[i].second) << "step " << a[i].first;
  }
  EXPECT_EQ(losses(dir + "/full", "valid"), losses(run, "valid"));
  EXPECT_EQ(max_parameter_difference(dir + "/full/checkpoints/step-00000040", run + "/checkpoints/step-00000040"), 0.0);
}

// A checkpoint write killed half way (no COMPLETE marker) is never resumed from.
TEST(TrainerCli, ResumeSkipsIncompleteCheckpoints) {
  const std::string dir = scratch_dir("incomplete");
  const std::string corpus = write_copy_corpus(dir);
  const std::string sets = "--set data.corpus=" + corpus + " --set train.max_steps=20 --set train.checkpoint_every=20";
  ASSERT_EQ(run_command(train_command(dir + "/run", sets), 300).exit_code, 0);
  train::CheckpointStore store(dir + "/run");
  // What kill -9 can leave: a staging folder, and a step folder without its marker.
  fs::create_directories(store.staging_dir(30));
  fs::copy(store.final_dir(20), store.final_dir(30), fs::copy_options::recursive);
  fs::remove(store.final_dir(30) + "/COMPLETE");
  fs::resize_file(store.final_dir(30) + "/model.pt", 10);
  auto r = run_command(train_command(dir + "/run", sets + " --set train.max_steps=30 --resume auto"), 300);
  ASSERT_EQ(r.exit_code, 0) << r.output;
  EXPECT_NE(r.output.find("step-00000020 (step 20)"), std::string::npos) << r.output;
  EXPECT_TRUE(train::CheckpointStore::is_complete(store.final_dir(30)));
  EXPECT_FALSE(fs::exists(store.staging_dir(30)));
}

// kill -9 at arbitrary moments, then --resume auto: always a loadable checkpoint.
TEST(TrainerCli, KillNineThenResume) {
  const std::string dir = scratch_dir("kill9");
  const std::string corpus = write_copy_corpus(dir);
  const std::string sets = "--set data.corpus=" + corpus + " --set train.checkpoint_every=2 --set train.log_every=1";
  const std::string run = dir + "/run";
  for (int round = 0; round < 3; ++round) {
    const pid_t pid = spawn_command(train_command(run, sets + " --set train.max_steps=100000 --resume auto"),
                                    dir + "/log" + std::to_string(round));
    const size_t target = losses_or_empty(run).size() + 5;
    for (int i = 0; i < 3000 && losses_or_empty(run).size() < target; ++i) usleep(5000);
    usleep(3000 * round);
    kill(-pid, SIGKILL);
    wait_command(pid, 30);
  }
  auto r = run_command(train_command(run, sets + " --set train.max_steps=60 --resume auto"), 300);
  ASSERT_EQ(r.exit_code, 0) << r.output;
  EXPECT_NE(r.output.find("resumed from"), std::string::npos);
}

void expect_clean_error(const CommandResult& r, const std::string& text) {
  EXPECT_FALSE(r.timed_out);
  EXPECT_NE(r.exit_code, 0);
  EXPECT_NE(r.output.find("error: "), std::string::npos) << r.output;
  EXPECT_NE(r.output.find(text), std::string::npos) << r.output;
}

TEST(TrainerCli, BadInputsGiveClearErrors) {
  const std::string dir = scratch_dir("bad");
  const std::string corpus = write_copy_corpus(dir);
  expect_clean_error(run_command(train_command(dir + "/a", "--set train.bath_size=3"), 60),
                     "train.bath_size: unknown key");
  expect_clean_error(run_command(train_command(dir + "/a", "--set train.batch_size=abc"), 60),
                     "train.batch_size: expected a positive integer");
  expect_clean_error(run_command(train_command(dir + "/a", "--set data.corpus=" + dir + "/missing.h5"), 60),
                     "missing.h5: no such file");
  expect_clean_error(run_command(train_binary() + " --config " + dir + "/nope.yaml --run-dir " + dir + "/a", 60),
                     "nope.yaml: no such file");
  // Resuming with another model shape or another tokenizer.
  const std::string sets = "--set data.corpus=" + corpus + " --set train.max_steps=4 --set train.checkpoint_every=4";
  ASSERT_EQ(run_command(train_command(dir + "/run", sets), 120).exit_code, 0);
  expect_clean_error(run_command(train_command(dir + "/run", sets + " --set model.d_model=48 --resume auto"), 60),
                     "different model shape");
  const std::string other = write_copy_corpus(scratch_dir("bad_other"), 3);
  expect_clean_error(
      run_command(train_command(dir + "/run", sets + " --set data.corpus=" + other + " --resume auto"), 60),
      "tokenizer differs");
  // A fresh run into a directory that holds checkpoints.
  expect_clean_error(run_command(train_command(dir + "/run", sets), 60), "--resume auto");
}

// ---- train.init_from: pretrain, then fine-tune -------------------------

nlohmann::json json_file(const std::string& path) {
  return nlohmann::json::parse(read_text(path));
}

// Adam's step count of every parameter in a checkpoint's optimizer.pt.
std::set<int64_t> adam_steps(const std::string& checkpoint) {
  auto model = model::load_model(checkpoint);
  torch::optim::Adam adam(model->parameters(), torch::optim::AdamOptions(1e-3));
  torch::load(adam, checkpoint + "/optimizer.pt");
  std::set<int64_t> steps;
  for (const auto& [key, state] : adam.state())
    steps.insert(static_cast<const torch::optim::AdamParamState&>(*state).step());
  return steps;
}

// A pretraining run of 20 steps on one corpus; the fine-tuning corpus has
// other pairs but the same tokenizer.
struct Pretrained {
  std::string dir, checkpoint, finetune_corpus;
};
Pretrained pretrain(const std::string& name) {
  Pretrained p;
  p.dir = scratch_dir(name);
  const std::string corpus = write_copy_corpus(p.dir);
  auto r = run_command(train_command(p.dir + "/pre", "--set data.corpus=" + corpus +
                                                         " --set train.max_steps=20 --set train.checkpoint_every=20"),
                       120);
  EXPECT_EQ(r.exit_code, 0) << r.output;
  p.checkpoint = p.dir + "/pre/checkpoints/best";
  p.finetune_corpus = write_copy_corpus(scratch_dir(name + "_ft"), 0, 60, 12);
  return p;
}

// The run starts from the checkpoint's weights (checksummed before any step)
// with a fresh optimizer (Adam's step 1 after one update, not 21), step count
// and learning-rate schedule (warmup from its start).
TEST(TrainerCli, InitFromStartsAFreshRunFromTheWeights) {
  const Pretrained p = pretrain("init_from");
  EXPECT_EQ(adam_steps(p.checkpoint), (std::set<int64_t>{20}));
  const std::string run = p.dir + "/ft";
  auto r = run_command(
      train_command(run, "--set data.corpus=" + p.finetune_corpus + " --set train.init_from=" + p.checkpoint +
                             " --set train.max_steps=1 --set train.log_every=1"
                             " --set train.warmup_steps=10 --set train.checkpoint_every=1"),
      120);
  ASSERT_EQ(r.exit_code, 0) << r.output;
  EXPECT_NE(r.output.find("train.init_from: weights of " + p.checkpoint + " (step 20)"), std::string::npos) << r.output;
  const auto record = json_file(run + "/run.json");
  ASSERT_TRUE(record.contains("init_from")) << record.dump(2);
  EXPECT_EQ(record["init_from"]["checkpoint"], p.checkpoint);
  EXPECT_EQ(record["init_from"]["step"], 20);
  EXPECT_EQ(record["init_from"]["parameters_sha256"], dist::parameters_sha256(*model::load_model(p.checkpoint)));
  const std::string first = run + "/checkpoints/step-00000001";
  EXPECT_EQ(json_file(first + "/trainer_state.json")["step"], 1);
  EXPECT_EQ(json_file(first + "/trainer_state.json")["epoch"], 0);
  EXPECT_EQ(adam_steps(first), (std::set<int64_t>{1}));
  std::istringstream metrics(read_text(run + "/metrics.jsonl"));
  std::string first_line;
  std::getline(metrics, first_line);
  const auto line = nlohmann::json::parse(first_line);
  EXPECT_EQ(line["step"], 1);
  EXPECT_DOUBLE_EQ(line["lr"].get<double>(), 1e-3 / 10);          // tiny.yaml's lr, warmup step 1 of 10
  EXPECT_GT(max_parameter_difference(p.checkpoint, first), 0.0);  // and it trained
  // corpus.json: what generate takes its defaults from.
  const auto corpus_record = json_file(first + "/corpus.json");
  EXPECT_EQ(corpus_record["direction"], "piano->bass");
  EXPECT_EQ(corpus_record["train_pairs"], 60);
}

TEST(TrainerCli, InitFromRefusesAnotherModelOrTokenizer) {
  const Pretrained p = pretrain("init_from_bad");
  const std::string sets = "--set train.max_steps=2 --set train.init_from=" + p.checkpoint;
  expect_clean_error(
      run_command(train_command(p.dir + "/a", sets + " --set data.corpus=" + p.finetune_corpus +
                                                  " --set model.d_model=48 --set model.ff=96"),
                  60),
      "error: train.init_from: " + p.checkpoint +
          ": the checkpoint's model differs from this run's: d_model 32 (checkpoint) vs 48 (this run), ff 64 vs 96");
  const std::string other = write_copy_corpus(scratch_dir("init_from_bad_other"), 3);
  expect_clean_error(run_command(train_command(p.dir + "/b", sets + " --set data.corpus=" + other), 60),
                     "error: train.init_from: " + p.checkpoint + ": trained with another tokenizer");
  const std::string partial = p.dir + "/partial";
  fs::copy(p.checkpoint, partial, fs::copy_options::recursive);
  fs::remove(partial + "/COMPLETE");
  expect_clean_error(
      run_command(train_command(p.dir + "/c", "--set train.max_steps=2 --set data.corpus=" + p.finetune_corpus +
                                                  " --set train.init_from=" + partial),
                  60),
      "error: train.init_from: " + partial + ": incomplete checkpoint");
  for (const char* d : {"/a", "/b", "/c"}) EXPECT_FALSE(fs::exists(p.dir + d + "/checkpoints")) << d;
}

// An interrupted fine-tune resumes from its own checkpoint, not from
// init_from again: 4 + 4 steps give exactly the parameters of 8 steps.
TEST(TrainerCli, ResumeWinsOverInitFrom) {
  const Pretrained p = pretrain("init_from_resume");
  const std::string sets = "--set data.corpus=" + p.finetune_corpus + " --set train.init_from=" + p.checkpoint +
                           " --set train.checkpoint_every=4 --set train.max_steps=8 --set train.log_every=1";
  ASSERT_EQ(run_command(train_command(p.dir + "/full", sets), 120).exit_code, 0);
  auto half = run_command(train_command(p.dir + "/half", sets + " --set train.max_steps=4 --resume auto"), 120);
  ASSERT_EQ(half.exit_code, 0) << half.output;
  EXPECT_NE(half.output.find("train.init_from: weights of"), std::string::npos) << half.output;
  auto rest = run_command(train_command(p.dir + "/half", sets + " --resume auto"), 120);
  ASSERT_EQ(rest.exit_code, 0) << rest.output;
  EXPECT_NE(rest.output.find("step-00000004 (step 4)"), std::string::npos) << rest.output;
  EXPECT_NE(rest.output.find("train.init_from " + p.checkpoint + " not used"), std::string::npos) << rest.output;
  EXPECT_EQ(
      max_parameter_difference(p.dir + "/full/checkpoints/step-00000008", p.dir + "/half/checkpoints/step-00000008"),
      0.0);
  EXPECT_EQ(losses(p.dir + "/full", "train"), losses(p.dir + "/half", "train"));
  const auto record = json_file(p.dir + "/half/run.json");
  EXPECT_FALSE(record.contains("init_from"));
  EXPECT_NE(record["resumed_from"].get<std::string>().find("step-00000004"), std::string::npos);
  EXPECT_TRUE(record["history"][0].contains("init_from"));
}

// run.json's status, which launch/slurm/train.sbatch decides on: running while
// training, stopped at the saved step after SIGUSR1 (SLURM's pre-emption
// signal), complete once max_steps are done; each start's own in "history".
TEST(TrainerCli, RunJsonSaysWhetherTheRunFinished) {
  const std::string dir = scratch_dir("status");
  const std::string corpus = write_copy_corpus(dir);
  const std::string sets = "--set data.corpus=" + corpus + " --set train.log_every=1 --set train.checkpoint_every=4";
  const std::string run = dir + "/run";
  const pid_t pid = spawn_command(train_command(run, sets + " --set train.max_steps=100000"), dir + "/stopped.log");
  for (int i = 0; i < 3000 && losses_or_empty(run).size() < 6; ++i) usleep(10000);
  const auto running = json_file(run + "/run.json");  // replaced by a rename: never torn
  EXPECT_EQ(running["status"], "running") << running.dump(2);
  EXPECT_EQ(running["max_steps"], 100000);
  kill(pid, SIGUSR1);
  ASSERT_EQ(wait_command(pid, 60), 0) << read_text(dir + "/stopped.log");
  train::CheckpointStore store(run);
  ASSERT_FALSE(store.complete_steps().empty()) << read_text(dir + "/stopped.log");
  const int64_t saved = store.complete_steps().back();
  const auto stopped = json_file(run + "/run.json");
  EXPECT_EQ(stopped["status"], "stopped") << stopped.dump(2);
  EXPECT_EQ(stopped["step"], saved);
  EXPECT_EQ(stopped["max_steps"], 100000);

  const std::string goal = " --set train.max_steps=" + std::to_string(saved + 3) + " --resume auto";
  auto rest = run_command(train_command(run, sets + goal), 300);
  ASSERT_EQ(rest.exit_code, 0) << rest.output;
  const auto complete = json_file(run + "/run.json");
  EXPECT_EQ(complete["status"], "complete") << complete.dump(2);
  EXPECT_EQ(complete["step"], saved + 3);
  EXPECT_EQ(complete["max_steps"], saved + 3);
  ASSERT_EQ(complete["history"].size(), 1u);
  EXPECT_EQ(complete["history"][0]["status"], "stopped");
  EXPECT_EQ(complete["history"][0]["step"], saved);
  // Started again when there is nothing left to do: complete at once.
  auto again = run_command(train_command(run, sets + goal), 300);
  ASSERT_EQ(again.exit_code, 0) << again.output;
  const auto done = json_file(run + "/run.json");
  EXPECT_EQ(done["status"], "complete") << done.dump(2);
  EXPECT_EQ(done["step"], saved + 3);
  EXPECT_EQ(done["history"].size(), 2u);
}

// ---- data.replay: the pretraining corpus's pairs mixed into fine-tuning --

// The fine-tuning corpus's 60 train pairs plus 60 of the other's 160 (fraction
// 0.5); validation stays on data.corpus; the key is in the resolved config.
TEST(TrainerCli, ReplayMixesAnotherCorpusIntoTraining) {
  const std::string dir = scratch_dir("replay");
  const std::string replay = write_copy_corpus(dir + "/pre");
  const std::string finetune = write_copy_corpus(scratch_dir("replay_ft"), 0, 60, 12);
  auto r =
      run_command(train_command(dir + "/run", "--set data.corpus=" + finetune + " --set data.replay.corpus=" + replay +
                                                  " --set train.max_steps=2 --set train.log_every=1"),
                  120);
  ASSERT_EQ(r.exit_code, 0) << r.output;
  EXPECT_NE(r.output.find("replay " + replay +
                          ": 60 of its 160 train pairs join the 60 of data.corpus (50% of each "
                          "epoch)"),
            std::string::npos)
      << r.output;
  EXPECT_NE(r.output.find("120 train pairs, 12 valid pairs"), std::string::npos) << r.output;
  const std::string resolved = read_text(dir + "/run/config.yaml");
  EXPECT_NE(resolved.find("replay:"), std::string::npos) << resolved;
  EXPECT_NE(resolved.find(replay), std::string::npos) << resolved;
}

TEST(TrainerCli, ReplayRefusesAnotherTokenizerAndBadFractions) {
  const std::string dir = scratch_dir("replay_bad");
  const std::string corpus = write_copy_corpus(dir + "/a");
  const std::string other = write_copy_corpus(dir + "/b", 3);
  expect_clean_error(
      run_command(train_command(dir + "/r1", "--set data.corpus=" + corpus + " --set data.replay.corpus=" + other), 60),
      "error: data.replay.corpus: " + other + ": its tokenizer is not data.corpus's");
  expect_clean_error(
      run_command(train_command(dir + "/r2", "--set data.corpus=" + corpus + " --set data.replay.corpus=" + corpus +
                                                 " --set data.replay.fraction=1.5"),
                  60),
      "data.replay.fraction");
  expect_clean_error(run_command(train_command(dir + "/r3", "--set data.corpus=" + corpus +
                                                                " --set data.replay.corpus=" + dir + "/missing.h5"),
                                 60),
                     dir + "/missing.h5");
  for (const char* d : {"/r1", "/r2", "/r3"}) EXPECT_FALSE(fs::exists(dir + d + "/checkpoints")) << d;
}

}  // namespace
}  // namespace acc::testing

// The training configuration (configs/train/*.yaml): data, model, train, dist.
// The model's vocabulary comes from the corpus's tokenizer and its maximum
// length from data.max_len, so neither is a key of the model section.
#pragma once

#include <string>

#include "accompanist/dist/dist_config.h"
#include "accompanist/model/config.h"
#include "accompanist/util/config.h"

namespace acc::train {

// Rehearsal while fine-tuning: the training pairs of a second corpus (the
// pretraining one) mixed into every epoch, so that a model fine-tuned on a few
// songs keeps what it learned on many. Off when corpus is "".
struct ReplayOptions {
  std::string corpus;     // HDF5 corpus with data.corpus's tokenizer and direction
  double fraction = 0.5;  // of the training pairs: replay / (main + replay); drawn once per run (train.seed)
  void visit(util::ConfigVisitor& v);
};

struct DataOptions {
  std::string corpus;  // HDF5 corpus (accompanist prep)
  ReplayOptions replay;
  int max_len = 1500;           // source and decoder input are truncated to this
  int synthetic_len = 0;        // > 0: random tokens of this length, no corpus read (throughput runs)
  int synthetic_vocab = 500;    // vocabulary of the synthetic tokens
  bool group_by_length = true;  // batches of similar lengths, less padding
  // > 1: batch lengths padded up to a multiple of this (model/batch.h,
  // pad_batch_length): fewer shapes for oneDNN to compile kernels for in bf16.
  int pad_to_multiple = 1;
  int prefetch_batches = 4;  // background loader queue depth
  void visit(util::ConfigVisitor& v);
};

struct TrainOptions {
  int batch_size = 16;  // per rank; global batch = batch_size x ranks x accumulation
  // > 0: token-budget batches instead (fairseq's max_tokens): per rank and
  // micro-step, examples x longest max(source, decoder input) <= max_tokens.
  int64_t max_tokens = 0;
  int accumulation = 1;
  int64_t max_steps = 20000;
  // Adam (thesis Table 1); weight_decay > 0 with optimizer adamw.
  std::string optimizer = "adam";
  double lr = 1e-4;
  double beta1 = 0.9;
  double beta2 = 0.999;
  double eps = 1e-8;
  double weight_decay = 0.0;
  double clip_norm = 0.0;             // 0 = no clipping
  std::string schedule = "constant";  // constant | cosine | inverse_sqrt (after warmup)
  int64_t warmup_steps = 0;
  double min_lr_ratio = 0.0;  // cosine floor as a fraction of lr
  uint64_t seed = 1;
  int64_t log_every = 10;
  int64_t valid_every = 200;
  int valid_batches = 10;
  int64_t checkpoint_every = 1000;
  int keep_last = 3;
  int64_t sample_every = 0;  // 0 = off
  int sample_count = 3;
  int sample_max_tokens = 512;
  int max_bad_steps = 5;  // NaN/Inf losses in a row before giving up
  int threads = 0;        // torch threads per rank (BLAS single-threaded inside); 0 = cores / ranks on the node
  std::string precision = "auto";    // auto (bf16 on a GPU or a CPU with native bf16, else fp32), fp32, bf16
  int64_t check_replicas_every = 0;  // > 0: compare parameter checksums across ranks every N steps (debug, tests)
  double peak_tflops = 989.0;        // per GPU, for MFU (H100 SXM dense bf16); 0 = no MFU
  // A complete checkpoint whose weights start a fresh run (pretrain, then
  // fine-tune); optimizer, schedule, step and data order start anew. "" = off;
  // a resume (--resume) wins over it.
  std::string init_from;
  void visit(util::ConfigVisitor& v);
};

struct TrainConfig {
  DataOptions data;
  model::ModelConfig model;
  TrainOptions train;
  dist::DistConfig dist;

  void visit(util::ConfigVisitor& v);
  // Cross-key checks (after reading); throws acc::Error("config", why).
  void validate() const;
};

// Reads path (may be empty) with --set overrides, then validates.
TrainConfig load_train_config(const std::string& path, const std::vector<std::string>& overrides);

}  // namespace acc::train

// A background thread that turns the batch plan into this rank's padded
// tensors, a few steps ahead of the training loop.
#pragma once

#include <condition_variable>
#include <deque>
#include <exception>
#include <mutex>
#include <thread>
#include <vector>

#include "accompanist/model/batch.h"
#include "accompanist/train/batch_plan.h"
#include "accompanist/train/pair_source.h"

namespace acc::train {

// One optimizer step's data for this rank: `accumulation` micro-batches.
struct StepData {
  DataPosition position;  // of the global batch these come from
  std::vector<model::Batch> micro;
  int64_t label_tokens = 0;  // over all micro-batches
  int64_t source_tokens = 0;
  int64_t padded_tokens = 0;  // source and decoder input positions, PAD included
};

struct LoaderShape {
  int rank = 0;
  int world = 1;
  int batch_size = 1;
  int accumulation = 1;
  int64_t max_len = 0;
  int64_t vocab_size = 0;
  int depth = 4;                // steps prepared ahead
  model::MusicalTime time;      // the bar indices and chords batches carry
  int64_t length_multiple = 1;  // data.pad_to_multiple (model::pad_batch_length)
};

class BatchLoader {
 public:
  BatchLoader(const PairSource& pairs, BatchPlan plan, LoaderShape shape, DataPosition start);
  ~BatchLoader();
  BatchLoader(const BatchLoader&) = delete;
  BatchLoader& operator=(const BatchLoader&) = delete;

  // Blocks until the next step is ready; rethrows a loader error.
  StepData next();

 private:
  void run();
  StepData build(DataPosition position);

  const PairSource& pairs_;
  BatchPlan plan_;
  LoaderShape shape_;
  DataPosition position_;
  std::mutex mutex_;
  std::condition_variable cv_;
  std::deque<StepData> queue_;
  std::exception_ptr error_;
  bool stop_ = false;
  std::thread thread_;
};

}  // namespace acc::train

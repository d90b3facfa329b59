#include "batch_loader.h"

namespace acc::train {

BatchLoader::BatchLoader(const PairSource& pairs, BatchPlan plan, LoaderShape shape, DataPosition start)
    : pairs_(pairs), plan_(std::move(plan)), shape_(shape), position_(start) {
  thread_ = std::thread([this] { run(); });
}

BatchLoader::~BatchLoader() {
  {
    std::lock_guard<std::mutex> lock(mutex_);
    stop_ = true;
  }
  cv_.notify_all();
  thread_.join();
}

StepData BatchLoader::build(DataPosition position) {
  StepData step;
  step.position = position;
  const std::vector<uint32_t> global =
      plan_.has_token_budget() ? std::vector<uint32_t>() : plan_.global_batch(position.epoch, position.cursor);
  for (int micro = 0; micro < shape_.accumulation; ++micro) {
    std::vector<std::vector<int64_t>> sources, targets;
    model::BarChords chords;
    const std::vector<uint32_t> mine =
        plan_.has_token_budget()
            ? plan_.slot(position.epoch, position.cursor, int64_t(micro) * shape_.world + shape_.rank)
            : rank_slice(global, micro, shape_.rank, shape_.world, shape_.batch_size);
    for (uint32_t i : mine) {
      TokenExample ex = pairs_.get(i);
      sources.push_back(std::move(ex.source));
      targets.push_back(std::move(ex.target));
      chords.push_back(std::move(ex.source_bar_chords));
    }
    model::Batch batch = model::make_batch(sources, targets, shape_.max_len, shape_.vocab_size, shape_.time, chords);
    model::pad_batch_length(batch, shape_.length_multiple, shape_.max_len);
    step.label_tokens += batch.label_tokens;
    step.source_tokens += batch.source_tokens;
    step.padded_tokens += batch.source.numel() + batch.decoder_input.numel();
    step.micro.push_back(std::move(batch));
  }
  return step;
}

void BatchLoader::run() {
  try {
    for (;;) {
      {
        std::unique_lock<std::mutex> lock(mutex_);
        cv_.wait(lock, [&] { return stop_ || int(queue_.size()) < shape_.depth; });
        if (stop_) return;
      }
      StepData step = build(position_);
      position_ = plan_.next(position_);
      {
        std::lock_guard<std::mutex> lock(mutex_);
        queue_.push_back(std::move(step));
      }
      cv_.notify_all();
    }
  } catch (...) {
    std::lock_guard<std::mutex> lock(mutex_);
    error_ = std::current_exception();
    cv_.notify_all();
  }
}

StepData BatchLoader::next() {
  std::unique_lock<std::mutex> lock(mutex_);
  cv_.wait(lock, [&] { return !queue_.empty() || error_; });
  if (queue_.empty() && error_) std::rethrow_exception(error_);
  StepData step = std::move(queue_.front());
  queue_.pop_front();
  lock.unlock();
  cv_.notify_all();
  return step;
}

}  // namespace acc::train

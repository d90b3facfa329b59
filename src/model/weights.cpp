#include "accompanist/model/weights.h"

#include <set>

#include "accompanist/util/error.h"
#include "accompanist/util/file.h"
#include "accompanist/util/hdf5.h"

namespace acc::model {

namespace {

std::string shape_string(const std::vector<int64_t>& dims) {
  std::string s = "[";
  for (size_t i = 0; i < dims.size(); ++i) s += (i ? ", " : "") + std::to_string(dims[i]);
  return s + "]";
}

}  // namespace

void export_weights(const Seq2SeqTransformer& model, const std::string& path) {
  acc::util::AtomicPath out(path);
  {
    auto file = acc::util::h5::File::create(out.temp_path());
    auto root = file.root();
    root.set_attr("config", model->config().to_json());
    auto weights = root.create_group("weights");
    for (const auto& item : model->named_parameters()) {
      torch::Tensor t = item.value().detach().to(torch::kCPU, torch::kFloat).contiguous();
      std::vector<uint64_t> dims(t.sizes().begin(), t.sizes().end());
      weights.write_raw(item.key(), acc::util::h5::native_type<float>(), dims, t.data_ptr<float>());
    }
    file.close();
  }
  out.commit();
}

void import_weights_into(Seq2SeqTransformer& model, const std::string& path) {
  auto file = acc::util::h5::File::open_read(path);
  auto root = file.root();
  if (!root.has_attr("config")) throw acc::Error(path, "no `config` attribute (not an accompanist weights file)");
  ModelConfig stored = ModelConfig::from_json(root.attr_string("config"), path + ": config");
  if (stored != model->config())
    throw acc::Error(path, "config " + stored.to_json() + " differs from the model's " + model->config().to_json());
  if (!root.has("weights")) throw acc::Error(path, "no /weights group");
  auto weights = root.group("weights");

  std::set<std::string> expected;
  torch::NoGradGuard no_grad;
  for (auto& item : model->named_parameters()) {
    const std::string& name = item.key();
    expected.insert(name);
    if (!weights.has(name)) throw acc::Error(weights.where(name), "missing");
    std::vector<uint64_t> stored_dims = weights.shape(name);
    std::vector<int64_t> dims(stored_dims.begin(), stored_dims.end());
    std::vector<int64_t> want(item.value().sizes().begin(), item.value().sizes().end());
    if (dims != want)
      throw acc::Error(weights.where(name), "shape " + shape_string(dims) + ", expected " + shape_string(want));
    torch::Tensor buffer = torch::empty(want, torch::kFloat);
    weights.read_raw(name, acc::util::h5::native_type<float>(), static_cast<uint64_t>(buffer.numel()),
                     buffer.data_ptr<float>());
    item.value().copy_(buffer);
  }
  for (const std::string& name : weights.children())
    if (!expected.count(name)) throw acc::Error(weights.where(name), "unexpected dataset (not a model parameter)");
}

Seq2SeqTransformer import_weights(const std::string& path) {
  ModelConfig config;
  {
    auto file = acc::util::h5::File::open_read(path);
    auto root = file.root();
    if (!root.has_attr("config")) throw acc::Error(path, "no `config` attribute (not an accompanist weights file)");
    config = ModelConfig::from_json(root.attr_string("config"), path + ": config");
  }
  Seq2SeqTransformer model(config);
  import_weights_into(model, path);
  return model;
}

}  // namespace acc::model

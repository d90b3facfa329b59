// accompanist export --checkpoint DIR --out weights.h5: the model weights of a
// complete checkpoint as float32 HDF5 datasets /weights/<name> with the model
// config as JSON in the root attribute `config` (SPEC section 9).
#include <spdlog/spdlog.h>

#include <memory>
#include <string>

#include "accompanist/command.h"
#include "accompanist/model/checkpoint.h"
#include "accompanist/model/flops.h"
#include "accompanist/model/weights.h"

namespace {

std::function<int()> setup_export(CLI::App& app) {
  auto* cmd = app.add_subcommand("export", "Write a checkpoint's model weights as HDF5");
  auto checkpoint = std::make_shared<std::string>();
  auto out = std::make_shared<std::string>();
  cmd->add_option("--checkpoint", *checkpoint, "Checkpoint directory (with its COMPLETE marker)")->required();
  cmd->add_option("--out", *out, "Output HDF5 file")->required();
  return [checkpoint, out]() {
    acc::model::require_complete_checkpoint(*checkpoint);
    acc::model::Seq2SeqTransformer model = acc::model::load_model(*checkpoint);
    acc::model::export_weights(model, *out);
    spdlog::info("wrote {} ({} parameters)", *out, acc::model::parameter_count(model->config()));
    return 0;
  };
}

}  // namespace

ACC_REGISTER_COMMAND(export, setup_export);

// Model weights as HDF5 (SPEC section 9, `accompanist export`): float32
// datasets /weights/<name> under the SPEC parameter names (PyTorch Linear
// layout [out, in]) and the model config as JSON in the root attribute
// `config`. Readable with h5py alone (tests/reference/model_reference.py).
#pragma once

#include <string>

#include "accompanist/model/transformer.h"

namespace acc::model {

// Writes atomically (temporary name, then rename).
void export_weights(const Seq2SeqTransformer& model, const std::string& path);

// Builds a model from the file's config and loads every parameter. Throws
// acc::Error naming the file and dataset for a missing config, a missing,
// extra or wrongly shaped dataset.
Seq2SeqTransformer import_weights(const std::string& path);

// Loads the file into an existing model (same checks, and the file's config
// must describe the same shape).
void import_weights_into(Seq2SeqTransformer& model, const std::string& path);

}  // namespace acc::model

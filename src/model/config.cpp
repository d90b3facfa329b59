#include "accompanist/model/config.h"

#include "accompanist/util/error.h"

namespace acc::model {

void ModelConfig::visit(acc::util::ConfigVisitor& v) {
  v.field("d_model", d_model, 1, 1 << 16);
  v.field("enc_layers", enc_layers, 1, 1024);
  v.field("dec_layers", dec_layers, 1, 1024);
  v.field("heads", heads, 1, 1024);
  v.field("ff", ff, 1, 1 << 20);
  v.field("dropout", dropout, 0.0, 1.0);
  v.field("max_len", max_len, 1, 1 << 20);
  v.field("max_relative_distance", max_relative_distance, 1, 1 << 20);
  // Token ids are stored as uint16 in the corpus; ids 0..3 are special.
  v.field("vocab_size", vocab_size, 4, 65536);
  // Written to JSON only when used, so that the SPEC model's export JSON stays as it was.
  v.optional_section(
      "bar_alignment", [&] { bar_alignment.visit(v); }, [&] { return bar_alignment.enabled(); });
  v.optional_section(
      "chord_conditioning", [&] { chord_conditioning.visit(v); }, [&] { return chord_conditioning.enabled(); });
}

void ChordConditioning::visit(acc::util::ConfigVisitor& v) {
  v.field("source", source);
  v.field("target", target);
}

void BarAlignment::visit(acc::util::ConfigVisitor& v) {
  v.field("embeddings", embeddings);
  v.field("max_bars", max_bars, 1, 1 << 20);
  v.field("window", window);
  v.field("window_before", window_before, 0, 1 << 20);
  v.field("window_after", window_after, 0, 1 << 20);
  v.field("bias", bias);
  v.field("bias_distance", bias_distance, 0, 1024);
}

void ModelConfig::validate() const {
  auto fail = [](const std::string& why) { throw acc::Error("model config", why); };
  if (d_model < 1 || heads < 1 || ff < 1 || enc_layers < 1 || dec_layers < 1)
    fail("d_model, heads, ff, enc_layers and dec_layers must be positive");
  if (d_model % heads != 0)
    fail("d_model (" + std::to_string(d_model) + ") must be divisible by heads (" + std::to_string(heads) + ")");
  if (!(dropout >= 0.0 && dropout < 1.0)) fail("dropout must be in [0, 1), got " + std::to_string(dropout));
  if (max_len < 1) fail("max_len must be positive");
  if (max_relative_distance < 1) fail("max_relative_distance must be positive");
  const BarAlignment& a = bar_alignment;
  if (a.max_bars < 1) fail("bar_alignment.max_bars must be positive");
  if (a.window_before < 0 || a.window_after < 0) fail("bar_alignment.window_before and window_after must be >= 0");
  if (a.bias_distance < 0) fail("bar_alignment.bias_distance must be >= 0");
  if (vocab_size < 4 || vocab_size > 65536)
    fail("vocab_size must be in [4, 65536] (ids 0..3 are PAD, BOS, EOS, MASK), got " + std::to_string(vocab_size));
}

std::string ModelConfig::to_json() const {
  return acc::util::to_json(*this);
}

ModelConfig ModelConfig::from_json(const std::string& text, const std::string& source) {
  ModelConfig c;
  acc::util::from_json(c, text, source, "model config");
  try {
    c.validate();
  } catch (const acc::Error& e) {
    throw acc::Error(source, e.what());
  }
  return c;
}

bool ModelConfig::operator==(const ModelConfig& o) const {
  return acc::util::configs_equal(*this, o);
}

}  // namespace acc::model

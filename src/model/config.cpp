#include "accompanist/model/config.h"

#include <nlohmann/json.hpp>

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
  v.section("bar_alignment", [&] { bar_alignment.visit(v); });
  v.section("chord_conditioning", [&] { chord_conditioning.visit(v); });
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

bool BarAlignment::operator==(const BarAlignment& o) const {
  return embeddings == o.embeddings && max_bars == o.max_bars && window == o.window &&
         window_before == o.window_before && window_after == o.window_after && bias == o.bias &&
         bias_distance == o.bias_distance;
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
  nlohmann::ordered_json j;
  j["d_model"] = d_model;
  j["enc_layers"] = enc_layers;
  j["dec_layers"] = dec_layers;
  j["heads"] = heads;
  j["ff"] = ff;
  j["dropout"] = dropout;
  j["max_len"] = max_len;
  j["max_relative_distance"] = max_relative_distance;
  j["vocab_size"] = vocab_size;
  // Only when used, so that the SPEC model's JSON stays exactly as it was.
  if (bar_alignment.enabled()) {
    const BarAlignment& a = bar_alignment;
    j["bar_alignment"] = {{"embeddings", a.embeddings},       {"max_bars", a.max_bars},         {"window", a.window},
                          {"window_before", a.window_before}, {"window_after", a.window_after}, {"bias", a.bias},
                          {"bias_distance", a.bias_distance}};
  }
  if (chord_conditioning.enabled())
    j["chord_conditioning"] = {{"source", chord_conditioning.source}, {"target", chord_conditioning.target}};
  return j.dump();
}

ModelConfig ModelConfig::from_json(const std::string& text, const std::string& source) {
  nlohmann::json j;
  try {
    j = nlohmann::json::parse(text);
  } catch (const nlohmann::json::exception& e) {
    throw acc::Error(source, std::string("model config is not valid JSON: ") + e.what());
  }
  if (!j.is_object()) throw acc::Error(source, "model config is not a JSON object");
  ModelConfig c;
  auto take_int = [&](const char* key, int64_t& out) {
    auto it = j.find(key);
    if (it == j.end()) throw acc::Error(source, std::string("model config: missing key ") + key);
    if (!it->is_number_integer())
      throw acc::Error(source, std::string("model config: ") + key + ": expected an integer");
    out = it->get<int64_t>();
  };
  take_int("d_model", c.d_model);
  take_int("enc_layers", c.enc_layers);
  take_int("dec_layers", c.dec_layers);
  take_int("heads", c.heads);
  take_int("ff", c.ff);
  take_int("max_len", c.max_len);
  take_int("max_relative_distance", c.max_relative_distance);
  take_int("vocab_size", c.vocab_size);
  auto it = j.find("dropout");
  if (it == j.end() || !it->is_number()) throw acc::Error(source, "model config: dropout: expected a number");
  c.dropout = it->get<double>();
  if (auto ba = j.find("bar_alignment"); ba != j.end()) {
    if (!ba->is_object()) throw acc::Error(source, "model config: bar_alignment: expected an object");
    BarAlignment& a = c.bar_alignment;
    for (auto& [key, value] : ba->items()) {
      auto flag = [&](bool& out) {
        if (!value.is_boolean())
          throw acc::Error(source, "model config: bar_alignment." + key + ": expected a boolean");
        out = value.get<bool>();
      };
      auto integer = [&](int64_t& out) {
        if (!value.is_number_integer())
          throw acc::Error(source, "model config: bar_alignment." + key + ": expected an integer");
        out = value.get<int64_t>();
      };
      if (key == "embeddings")
        flag(a.embeddings);
      else if (key == "window")
        flag(a.window);
      else if (key == "bias")
        flag(a.bias);
      else if (key == "max_bars")
        integer(a.max_bars);
      else if (key == "window_before")
        integer(a.window_before);
      else if (key == "window_after")
        integer(a.window_after);
      else if (key == "bias_distance")
        integer(a.bias_distance);
      else
        throw acc::Error(source, "model config: unknown key bar_alignment." + key);
    }
  }
  if (auto cc = j.find("chord_conditioning"); cc != j.end()) {
    if (!cc->is_object()) throw acc::Error(source, "model config: chord_conditioning: expected an object");
    for (auto& [key, value] : cc->items()) {
      bool* out = key == "source"   ? &c.chord_conditioning.source
                  : key == "target" ? &c.chord_conditioning.target
                                    : nullptr;
      if (!out) throw acc::Error(source, "model config: unknown key chord_conditioning." + key);
      if (!value.is_boolean())
        throw acc::Error(source, "model config: chord_conditioning." + key + ": expected a boolean");
      *out = value.get<bool>();
    }
  }
  for (auto& [key, value] : j.items()) {
    static const char* known[] = {"d_model",    "enc_layers",    "dec_layers",        "heads",
                                  "ff",         "dropout",       "max_len",           "max_relative_distance",
                                  "vocab_size", "bar_alignment", "chord_conditioning"};
    bool found = false;
    for (const char* k : known) found = found || key == k;
    if (!found) throw acc::Error(source, "model config: unknown key " + key);
  }
  try {
    c.validate();
  } catch (const acc::Error& e) {
    throw acc::Error(source, e.what());
  }
  return c;
}

bool ModelConfig::operator==(const ModelConfig& o) const {
  return d_model == o.d_model && enc_layers == o.enc_layers && dec_layers == o.dec_layers && heads == o.heads &&
         ff == o.ff && dropout == o.dropout && max_len == o.max_len &&
         max_relative_distance == o.max_relative_distance && vocab_size == o.vocab_size &&
         bar_alignment == o.bar_alignment && chord_conditioning == o.chord_conditioning;
}

}  // namespace acc::model

// Typed configuration trees read from YAML.
//
// Each config section is a plain struct with defaults and a
//   void visit(acc::util::ConfigVisitor& v);
// that names its fields (and nested sections). The same visit() serves reading
// (with type and range checks that name the full key path), `--set a.b=v`
// overrides, dumping the resolved tree as YAML, reading and writing it as JSON
// (to_json, from_json) and comparing two trees (configs_equal,
// config_differences): a new key is one line in visit(). No yaml-cpp or
// nlohmann-json in this header.
#pragma once

#include <cstdint>
#include <functional>
#include <limits>
#include <map>
#include <string>
#include <vector>

namespace acc::util {

class ConfigVisitor {
 public:
  virtual ~ConfigVisitor() = default;

  // A nested section "key:"; body visits its fields.
  virtual void section(const char* key, const std::function<void()>& body) = 0;
  // A section that JSON (to_json) writes only when present() is true, e.g. an
  // optional feature that is off, so that the JSON stays as it was before the
  // feature existed; from_json accepts it absent or partial (missing keys keep
  // their defaults). YAML dumps and comparisons always include it.
  virtual void optional_section(const char* key, const std::function<void()>& body,
                                const std::function<bool()>& present) {
    section(key, body);
  }

  virtual void field(const char* key, bool& value) = 0;
  virtual void field(const char* key, int& value, int64_t min = std::numeric_limits<int>::min(),
                     int64_t max = std::numeric_limits<int>::max()) = 0;
  virtual void field(const char* key, int64_t& value, int64_t min = std::numeric_limits<int64_t>::min(),
                     int64_t max = std::numeric_limits<int64_t>::max()) = 0;
  virtual void field(const char* key, double& value, double min = -std::numeric_limits<double>::infinity(),
                     double max = std::numeric_limits<double>::infinity()) = 0;
  // choices: when not empty, the value must be one of them.
  virtual void field(const char* key, std::string& value, const std::vector<std::string>& choices = {}) = 0;
  virtual void field(const char* key, std::vector<int>& value) = 0;
  virtual void field(const char* key, std::vector<double>& value) = 0;
  virtual void field(const char* key, std::vector<std::string>& value) = 0;
  virtual void field(const char* key, std::map<std::string, std::vector<int>>& value) = 0;
};

using ConfigBody = std::function<void(ConfigVisitor&)>;

// A key whose values differ between two trees; the values as JSON text.
struct ConfigDifference {
  std::string key;  // full path, "bar_alignment.window"
  std::string a, b;
};

namespace detail {
// source: a name for messages (the file path, or "<checkpoint>/config.yaml").
void read_config_yaml(const std::string& yaml_text, const std::string& source,
                      const std::vector<std::string>& overrides, const ConfigBody& body);
std::string dump_config_yaml(const ConfigBody& body);
std::string config_to_json(const ConfigBody& body);
void config_from_json(const std::string& json_text, const std::string& source, const std::string& what,
                      const ConfigBody& body);
std::vector<ConfigDifference> config_differences(const ConfigBody& a, const ConfigBody& b);
}  // namespace detail

// Reads the YAML file at path (empty path: defaults only), applies overrides
// ("a.b=v", v parsed as YAML), and fills cfg. Throws acc::Error with messages like
//   "configs/x.yaml: train.batch_size: expected an integer, got \"abc\"".
template <class Config>
void load_config_file(Config& cfg, const std::string& path, const std::vector<std::string>& overrides = {});

// Same from YAML text (e.g. a config stored in a corpus or checkpoint).
template <class Config>
void load_config_text(Config& cfg, const std::string& yaml_text, const std::string& source,
                      const std::vector<std::string>& overrides = {}) {
  detail::read_config_yaml(yaml_text, source, overrides, [&](ConfigVisitor& v) { cfg.visit(v); });
}

// The resolved tree as YAML (every key, defaults included).
template <class Config>
std::string dump_config(const Config& cfg) {
  return detail::dump_config_yaml([&](ConfigVisitor& v) { const_cast<Config&>(cfg).visit(v); });
}

std::string read_config_source(const std::string& path);  // the file's text, or an acc::Error

// The tree as one compact JSON object, keys in visit order (optional sections
// only when present).
template <class Config>
std::string to_json(const Config& cfg) {
  return detail::config_to_json([&](ConfigVisitor& v) { const_cast<Config&>(cfg).visit(v); });
}

// Reads to_json()'s output into cfg. Every key outside an optional section is
// required; unknown keys, wrong types and values out of range are errors
// acc::Error(source, what + ": <why>"), e.g.
//   "x.h5: config: model config: unknown key bar_alignment.windw",
//   "...: model config: bar_alignment.window: expected a boolean".
template <class Config>
void from_json(Config& cfg, const std::string& json_text, const std::string& source,
               const std::string& what = "config") {
  detail::config_from_json(json_text, source, what, [&](ConfigVisitor& v) { cfg.visit(v); });
}

// Every key (optional sections included) whose values differ, in visit order.
template <class Config>
std::vector<ConfigDifference> config_differences(const Config& a, const Config& b) {
  return detail::config_differences([&](ConfigVisitor& v) { const_cast<Config&>(a).visit(v); },
                                    [&](ConfigVisitor& v) { const_cast<Config&>(b).visit(v); });
}

template <class Config>
bool configs_equal(const Config& a, const Config& b) {
  return config_differences(a, b).empty();
}

template <class Config>
void load_config_file(Config& cfg, const std::string& path, const std::vector<std::string>& overrides) {
  load_config_text(cfg, path.empty() ? std::string() : read_config_source(path), path.empty() ? "<defaults>" : path,
                   overrides);
}

}  // namespace acc::util

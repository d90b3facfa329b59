// Typed configuration trees read from YAML.
//
// Each config section is a plain struct with defaults and a
//   void visit(acc::util::ConfigVisitor& v);
// that names its fields (and nested sections). The same visit() serves reading
// (with type and range checks that name the full key path), `--set a.b=v`
// overrides, and dumping the resolved tree as YAML. No yaml-cpp in this header.
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

namespace detail {
// source: a name for messages (the file path, or "<checkpoint>/config.yaml").
void read_config_yaml(const std::string& yaml_text, const std::string& source,
                      const std::vector<std::string>& overrides, const ConfigBody& body);
std::string dump_config_yaml(const ConfigBody& body);
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

template <class Config>
void load_config_file(Config& cfg, const std::string& path, const std::vector<std::string>& overrides) {
  load_config_text(cfg, path.empty() ? std::string() : read_config_source(path), path.empty() ? "<defaults>" : path,
                   overrides);
}

}  // namespace acc::util

#include "accompanist/util/config.h"

#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <cerrno>
#include <charconv>
#include <cmath>
#include <set>
#include <sstream>
#include <type_traits>

#include "accompanist/util/error.h"
#include "accompanist/util/file.h"
#include "config_range.h"

namespace acc::util {
namespace {

std::string join_path(const std::string& prefix, const std::string& key) {
  return prefix.empty() ? key : prefix + "." + key;
}

std::string quoted(const YAML::Node& node) {
  if (!node.IsDefined() || node.IsNull()) return "null";
  if (node.IsScalar()) return "\"" + node.Scalar() + "\"";
  YAML::Emitter out;
  out << YAML::Flow << node;
  return out.c_str();
}

// Walks a YAML tree alongside the config structs. Every map it enters records
// the keys that were claimed; anything left over is an unknown key.
class YamlReader final : public ConfigVisitor {
 public:
  YamlReader(YAML::Node root, std::string source, std::map<std::string, std::string> origins)
      : source_(std::move(source)), origins_(std::move(origins)) {
    stack_.push_back({root, "", {}});
  }

  void finish() { check_unknown(stack_.back()); }

  void section(const char* key, const std::function<void()>& body) override {
    Frame& top = stack_.back();
    const std::string path = join_path(top.path, key);
    YAML::Node child = lookup(top, key);
    if (child.IsDefined() && !child.IsNull() && !child.IsMap())
      fail(path, "expected a section (a map), got " + quoted(child));
    stack_.push_back({child.IsMap() ? child : YAML::Node(YAML::NodeType::Undefined), path, {}});
    body();
    check_unknown(stack_.back());
    stack_.pop_back();
  }

  void field(const char* key, bool& value) override {
    read_scalar(key, [&](const std::string& path, const YAML::Node& node) {
      bool v = false;
      if (!YAML::convert<bool>::decode(node, v)) fail(path, "expected true or false, got " + quoted(node));
      value = v;
    });
  }

  void field(const char* key, int& value, int64_t min, int64_t max) override {
    int64_t v = value;
    field(key, v, min, max);
    value = int(v);
  }

  void field(const char* key, int64_t& value, int64_t min, int64_t max) override {
    read_scalar(key, [&](const std::string& path, const YAML::Node& node) { value = parse_int(path, node, min, max); });
  }

  void field(const char* key, double& value, double min, double max) override {
    read_scalar(key,
                [&](const std::string& path, const YAML::Node& node) { value = parse_double(path, node, min, max); });
  }

  void field(const char* key, std::string& value, const std::vector<std::string>& choices) override {
    read_scalar(key, [&](const std::string& path, const YAML::Node& node) {
      const std::string& s = node.Scalar();
      if (!choices.empty() && std::find(choices.begin(), choices.end(), s) == choices.end()) {
        std::string list;
        for (const auto& c : choices) list += (list.empty() ? "" : ", ") + c;
        fail(path, "expected one of " + list + ", got " + quoted(node));
      }
      value = s;
    });
  }

  void field(const char* key, std::vector<int>& value) override {
    read_list(key, value, [&](const std::string& path, const YAML::Node& n) {
      return int(parse_int(path, n, std::numeric_limits<int>::min(), std::numeric_limits<int>::max()));
    });
  }
  void field(const char* key, std::vector<double>& value) override {
    read_list(key, value,
              [&](const std::string& path, const YAML::Node& n) { return parse_double(path, n, -INFINITY, INFINITY); });
  }
  void field(const char* key, std::vector<std::string>& value) override {
    read_list(key, value, [&](const std::string&, const YAML::Node& n) { return n.Scalar(); });
  }

  void field(const char* key, std::map<std::string, std::vector<int>>& value) override {
    Frame& top = stack_.back();
    const std::string path = join_path(top.path, key);
    YAML::Node node = lookup(top, key);
    if (!node.IsDefined() || node.IsNull()) return;
    if (!node.IsMap()) fail(path, "expected a map of lists, got " + quoted(node));
    std::map<std::string, std::vector<int>> out;
    for (const auto& kv : node) {
      const std::string name = kv.first.Scalar();
      std::vector<int> list;
      read_list_node(join_path(path, name), kv.second, list, [&](const std::string& p, const YAML::Node& n) {
        return int(parse_int(p, n, std::numeric_limits<int>::min(), std::numeric_limits<int>::max()));
      });
      out[name] = std::move(list);
    }
    value = std::move(out);
  }

 private:
  struct Frame {
    YAML::Node node;
    std::string path;
    std::set<std::string> claimed;
  };

  YAML::Node lookup(Frame& top, const char* key) {
    top.claimed.insert(key);
    if (!top.node.IsDefined() || !top.node.IsMap()) return YAML::Node(YAML::NodeType::Undefined);
    return top.node[key];
  }

  [[noreturn]] void fail(const std::string& path, const std::string& why) const {
    // A value that came from --set is reported against the override.
    for (const auto& [prefix, origin] : origins_) {
      const bool inside = path == prefix || path.rfind(prefix + ".", 0) == 0 || prefix.rfind(path + ".", 0) == 0;
      if (inside) throw Error(origin, path + ": " + why);
    }
    throw Error(source_, path + ": " + why);
  }

  void check_unknown(const Frame& frame) const {
    if (!frame.node.IsDefined() || !frame.node.IsMap()) return;
    for (const auto& kv : frame.node) {
      const std::string key = kv.first.Scalar();
      if (frame.claimed.count(key)) continue;
      std::string known;
      for (const auto& k : frame.claimed) known += (known.empty() ? "" : ", ") + k;
      fail(join_path(frame.path, key), "unknown key (known here: " + known + ")");
    }
  }

  template <class Fn>
  void read_scalar(const char* key, Fn&& fn) {
    Frame& top = stack_.back();
    const std::string path = join_path(top.path, key);
    YAML::Node node = lookup(top, key);
    if (!node.IsDefined() || node.IsNull()) return;  // keep the default
    if (!node.IsScalar()) fail(path, "expected a single value, got " + quoted(node));
    fn(path, node);
  }

  template <class T, class Parse>
  void read_list(const char* key, std::vector<T>& value, Parse&& parse) {
    Frame& top = stack_.back();
    const std::string path = join_path(top.path, key);
    YAML::Node node = lookup(top, key);
    if (!node.IsDefined() || node.IsNull()) return;
    read_list_node(path, node, value, parse);
  }

  template <class T, class Parse>
  void read_list_node(const std::string& path, const YAML::Node& node, std::vector<T>& value, Parse&& parse) {
    if (!node.IsSequence()) fail(path, "expected a list, got " + quoted(node));
    std::vector<T> out;
    for (size_t i = 0; i < node.size(); ++i) {
      const std::string item = path + "[" + std::to_string(i) + "]";
      if (!node[i].IsScalar()) fail(item, "expected a single value, got " + quoted(node[i]));
      out.push_back(parse(item, node[i]));
    }
    value = std::move(out);
  }

  int64_t parse_int(const std::string& path, const YAML::Node& node, int64_t min, int64_t max) const {
    const std::string& s = node.Scalar();
    int64_t v = 0;
    auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
    if (ec != std::errc() || end != s.data() + s.size() || s.empty()) {
      fail(path, std::string(min >= 1   ? "expected a positive integer"
                             : min >= 0 ? "expected a non-negative integer"
                                        : "expected an integer") +
                     ", got " + quoted(node));
    }
    if (v < min || v > max) fail(path, "value " + s + " out of range [" + detail::range_text(min, max) + "]");
    return v;
  }

  double parse_double(const std::string& path, const YAML::Node& node, double min, double max) const {
    const std::string& s = node.Scalar();
    char* end = nullptr;
    errno = 0;
    double v = std::strtod(s.c_str(), &end);
    if (s.empty() || end != s.c_str() + s.size() || std::isnan(v)) fail(path, "expected a number, got " + quoted(node));
    if (v < min || v > max) fail(path, "value " + s + " out of range [" + detail::range_text(min, max) + "]");
    return v;
  }

  std::vector<Frame> stack_;
  std::string source_;
  std::map<std::string, std::string> origins_;  // overridden key path -> "--set a.b=v"
};

// Emits the resolved tree; every field in visit order.
class YamlWriter final : public ConfigVisitor {
 public:
  YamlWriter() { out_ << YAML::BeginMap; }
  std::string finish() {
    out_ << YAML::EndMap;
    return std::string(out_.c_str()) + "\n";
  }

  void section(const char* key, const std::function<void()>& body) override {
    out_ << YAML::Key << key << YAML::Value << YAML::BeginMap;
    body();
    out_ << YAML::EndMap;
  }
  void field(const char* key, bool& v) override { out_ << YAML::Key << key << YAML::Value << v; }
  void field(const char* key, int& v, int64_t, int64_t) override { out_ << YAML::Key << key << YAML::Value << v; }
  void field(const char* key, int64_t& v, int64_t, int64_t) override { out_ << YAML::Key << key << YAML::Value << v; }
  void field(const char* key, double& v, double, double) override {
    // Shortest text that reads back to the same double.
    char buf[64];
    auto [end, ec] = std::to_chars(buf, buf + sizeof buf, v);
    std::string s(buf, end);
    if (s.find_first_of(".einn") == std::string::npos) s += ".0";
    out_ << YAML::Key << key << YAML::Value << s;
  }
  void field(const char* key, std::string& v, const std::vector<std::string>&) override {
    out_ << YAML::Key << key << YAML::Value << YAML::DoubleQuoted << v;
  }
  void field(const char* key, std::vector<int>& v) override { flow_list(key, v); }
  void field(const char* key, std::vector<double>& v) override { flow_list(key, v); }
  void field(const char* key, std::vector<std::string>& v) override { flow_list(key, v); }
  void field(const char* key, std::map<std::string, std::vector<int>>& v) override {
    out_ << YAML::Key << key << YAML::Value << YAML::BeginMap;
    for (auto& [name, list] : v) flow_list(name.c_str(), list);
    out_ << YAML::EndMap;
  }

 private:
  template <class T>
  void flow_list(const char* key, const std::vector<T>& v) {
    out_ << YAML::Key << key << YAML::Value << YAML::Flow << YAML::BeginSeq;
    for (const auto& x : v) out_ << x;
    out_ << YAML::EndSeq;
  }
  YAML::Emitter out_;
};

// Applies "a.b.c=value" to the tree, creating maps on the way.
void apply_override(YAML::Node& root, const std::string& text, std::map<std::string, std::string>& origins) {
  const std::string origin = "--set " + text;
  const auto eq = text.find('=');
  if (eq == std::string::npos || eq == 0) throw Error(origin, "expected key=value (e.g. train.lr=3e-4)");
  const std::string path = text.substr(0, eq);
  const std::string value_text = text.substr(eq + 1);
  YAML::Node value;
  try {
    value = YAML::Load(value_text);
  } catch (const YAML::Exception& e) {
    throw Error(origin, "value is not valid YAML: " + e.msg);
  }
  std::vector<std::string> keys;
  std::stringstream ss(path);
  for (std::string k; std::getline(ss, k, '.');) {
    if (k.empty()) throw Error(origin, "empty key in path \"" + path + "\"");
    keys.push_back(k);
  }
  // yaml-cpp nodes are handles: walk by reassignment of copies that alias the tree.
  std::vector<YAML::Node> chain{root};
  for (size_t i = 0; i + 1 < keys.size(); ++i) {
    YAML::Node parent = chain.back();
    YAML::Node child = parent[keys[i]];
    if (!child.IsDefined() || child.IsNull()) {
      parent[keys[i]] = YAML::Node(YAML::NodeType::Map);
      child = parent[keys[i]];
    } else if (!child.IsMap()) {
      throw Error(origin, std::string(keys[i]) + " is not a section");
    }
    chain.push_back(child);
  }
  chain.back()[keys.back()] = value;
  origins[path] = origin;
}

}  // namespace

std::string read_config_source(const std::string& path) {
  return read_file_text(path, 16u << 20);
}

namespace detail {

void read_config_yaml(const std::string& yaml_text, const std::string& source,
                      const std::vector<std::string>& overrides, const ConfigBody& body) {
  YAML::Node root;
  try {
    root = yaml_text.empty() ? YAML::Node(YAML::NodeType::Map) : YAML::Load(yaml_text);
  } catch (const YAML::Exception& e) {
    throw Error(source, "invalid YAML at line " + std::to_string(e.mark.line + 1) + ": " + e.msg);
  }
  if (root.IsNull()) root = YAML::Node(YAML::NodeType::Map);
  if (!root.IsMap()) throw Error(source, "expected a map of sections at the top level");
  std::map<std::string, std::string> origins;
  for (const auto& o : overrides) apply_override(root, o, origins);
  YamlReader reader(root, source, origins);
  body(reader);
  reader.finish();
}

std::string dump_config_yaml(const ConfigBody& body) {
  YamlWriter writer;
  body(writer);
  return writer.finish();
}

}  // namespace detail
}  // namespace acc::util

// JSON reading and writing and comparison of config trees, driven by the same
// visit() as YAML (config.h).
#include <nlohmann/json.hpp>

#include <algorithm>
#include <limits>
#include <set>
#include <utility>

#include "accompanist/util/config.h"
#include "accompanist/util/error.h"
#include "config_range.h"

namespace acc::util {
namespace {

using Json = nlohmann::ordered_json;

std::string join_path(const std::string& prefix, const std::string& key) {
  return prefix.empty() ? key : prefix + "." + key;
}

// Builds the JSON tree; optional sections only when present.
class JsonWriter final : public ConfigVisitor {
 public:
  JsonWriter() { stack_.push_back(&root_); }
  Json& root() { return root_; }

  void section(const char* key, const std::function<void()>& body) override {
    Json& child = (*stack_.back())[key] = Json::object();
    stack_.push_back(&child);
    body();
    stack_.pop_back();
  }
  void optional_section(const char* key, const std::function<void()>& body,
                        const std::function<bool()>& present) override {
    if (present()) section(key, body);
  }
  void field(const char* key, bool& v) override { put(key, v); }
  void field(const char* key, int& v, int64_t, int64_t) override { put(key, v); }
  void field(const char* key, int64_t& v, int64_t, int64_t) override { put(key, v); }
  void field(const char* key, double& v, double, double) override { put(key, v); }
  void field(const char* key, std::string& v, const std::vector<std::string>&) override { put(key, v); }
  void field(const char* key, std::vector<int>& v) override { put(key, v); }
  void field(const char* key, std::vector<double>& v) override { put(key, v); }
  void field(const char* key, std::vector<std::string>& v) override { put(key, v); }
  void field(const char* key, std::map<std::string, std::vector<int>>& v) override { put(key, v); }

 private:
  template <class T>
  void put(const char* key, const T& v) {
    (*stack_.back())[key] = v;
  }
  Json root_ = Json::object();
  std::vector<Json*> stack_;
};

// Walks a parsed JSON object alongside the config structs, claiming keys; a
// key left over is unknown. Keys outside optional sections are required.
class JsonReader final : public ConfigVisitor {
 public:
  JsonReader(const nlohmann::json& root, std::string source, std::string what)
      : source_(std::move(source)), what_(std::move(what)) {
    stack_.push_back({&root, "", false, {}});
  }

  void finish() { check_unknown(stack_.back()); }

  void section(const char* key, const std::function<void()>& body) override { enter(key, body, false); }
  void optional_section(const char* key, const std::function<void()>& body, const std::function<bool()>&) override {
    enter(key, body, true);
  }

  void field(const char* key, bool& value) override {
    read(key, [&](const std::string& path, const nlohmann::json& j) {
      if (!j.is_boolean()) fail(path + ": expected a boolean");
      value = j.get<bool>();
    });
  }
  void field(const char* key, int& value, int64_t min, int64_t max) override {
    read(key, [&](const std::string& path, const nlohmann::json& j) { value = int(integer(path, j, min, max)); });
  }
  void field(const char* key, int64_t& value, int64_t min, int64_t max) override {
    read(key, [&](const std::string& path, const nlohmann::json& j) { value = integer(path, j, min, max); });
  }
  void field(const char* key, double& value, double min, double max) override {
    read(key, [&](const std::string& path, const nlohmann::json& j) {
      if (!j.is_number()) fail(path + ": expected a number");
      const double v = j.get<double>();
      if (v < min || v > max)
        fail(path + ": value " + j.dump() + " out of range [" + detail::range_text(min, max) + "]");
      value = v;
    });
  }
  void field(const char* key, std::string& value, const std::vector<std::string>& choices) override {
    read(key, [&](const std::string& path, const nlohmann::json& j) {
      if (!j.is_string()) fail(path + ": expected a string");
      std::string s = j.get<std::string>();
      if (!choices.empty() && std::find(choices.begin(), choices.end(), s) == choices.end()) {
        std::string list;
        for (const auto& c : choices) list += (list.empty() ? "" : ", ") + c;
        fail(path + ": expected one of " + list + ", got " + j.dump());
      }
      value = std::move(s);
    });
  }
  void field(const char* key, std::vector<int>& value) override {
    read(key, [&](const std::string& path, const nlohmann::json& j) { value = int_list(path, j); });
  }
  void field(const char* key, std::vector<double>& value) override {
    read(key, [&](const std::string& path, const nlohmann::json& j) {
      value = list<double>(path, j, [&](const std::string& item, const nlohmann::json& x) {
        if (!x.is_number()) fail(item + ": expected a number");
        return x.get<double>();
      });
    });
  }
  void field(const char* key, std::vector<std::string>& value) override {
    read(key, [&](const std::string& path, const nlohmann::json& j) {
      value = list<std::string>(path, j, [&](const std::string& item, const nlohmann::json& x) {
        if (!x.is_string()) fail(item + ": expected a string");
        return x.get<std::string>();
      });
    });
  }
  void field(const char* key, std::map<std::string, std::vector<int>>& value) override {
    read(key, [&](const std::string& path, const nlohmann::json& j) {
      if (!j.is_object()) fail(path + ": expected an object of lists");
      std::map<std::string, std::vector<int>> out;
      for (const auto& [name, list] : j.items()) out[name] = int_list(join_path(path, name), list);
      value = std::move(out);
    });
  }

 private:
  struct Frame {
    const nlohmann::json* node;  // nullptr: an optional section that is absent
    std::string path;
    bool optional;  // inside an optional section: absent keys keep their defaults
    std::set<std::string> claimed;
  };

  [[noreturn]] void fail(const std::string& why) const { throw Error(source_, what_ + ": " + why); }

  // The value of key in the current object; nullptr when absent (an error
  // unless the key or the section it is in is optional).
  const nlohmann::json* lookup(const char* key, bool optional = false) {
    Frame& top = stack_.back();
    top.claimed.insert(key);
    if (!top.node) return nullptr;
    auto it = top.node->find(key);
    if (it != top.node->end()) return &*it;
    if (!optional && !top.optional) fail("missing key " + join_path(top.path, key));
    return nullptr;
  }

  void enter(const char* key, const std::function<void()>& body, bool optional) {
    const std::string path = join_path(stack_.back().path, key);
    const bool inside_optional = optional || stack_.back().optional;
    const nlohmann::json* node = lookup(key, optional);
    if (node && !node->is_object()) fail(path + ": expected an object");
    stack_.push_back({node, path, inside_optional, {}});
    body();
    check_unknown(stack_.back());
    stack_.pop_back();
  }

  template <class Fn>
  void read(const char* key, Fn&& fn) {
    const std::string path = join_path(stack_.back().path, key);
    if (const nlohmann::json* j = lookup(key)) fn(path, *j);
  }

  void check_unknown(const Frame& frame) const {
    if (!frame.node) return;
    for (const auto& [key, value] : frame.node->items())
      if (!frame.claimed.count(key)) fail("unknown key " + join_path(frame.path, key));
  }

  int64_t integer(const std::string& path, const nlohmann::json& j, int64_t min, int64_t max) const {
    if (!j.is_number_integer()) fail(path + ": expected an integer");
    const bool too_big = j.is_number_unsigned() && j.get<uint64_t>() > uint64_t(std::numeric_limits<int64_t>::max());
    const int64_t v = too_big ? std::numeric_limits<int64_t>::max() : j.get<int64_t>();
    if (too_big || v < min || v > max)
      fail(path + ": value " + j.dump() + " out of range [" + detail::range_text(min, max) + "]");
    return v;
  }

  std::vector<int> int_list(const std::string& path, const nlohmann::json& j) const {
    return list<int>(path, j, [&](const std::string& item, const nlohmann::json& x) {
      return int(integer(item, x, std::numeric_limits<int>::min(), std::numeric_limits<int>::max()));
    });
  }

  template <class T, class Parse>
  std::vector<T> list(const std::string& path, const nlohmann::json& j, Parse&& parse) const {
    if (!j.is_array()) fail(path + ": expected a list");
    std::vector<T> out;
    for (size_t i = 0; i < j.size(); ++i) out.push_back(parse(path + "[" + std::to_string(i) + "]", j[i]));
    return out;
  }

  std::vector<Frame> stack_;
  std::string source_, what_;
};

// Every key of a tree with its value, in visit order (optional sections included).
class ValueCollector final : public ConfigVisitor {
 public:
  std::vector<std::pair<std::string, Json>> values;

  void section(const char* key, const std::function<void()>& body) override {
    const std::string outer = prefix_;
    prefix_ = join_path(prefix_, key);
    body();
    prefix_ = outer;
  }
  void field(const char* key, bool& v) override { put(key, v); }
  void field(const char* key, int& v, int64_t, int64_t) override { put(key, v); }
  void field(const char* key, int64_t& v, int64_t, int64_t) override { put(key, v); }
  void field(const char* key, double& v, double, double) override { put(key, v); }
  void field(const char* key, std::string& v, const std::vector<std::string>&) override { put(key, v); }
  void field(const char* key, std::vector<int>& v) override { put(key, v); }
  void field(const char* key, std::vector<double>& v) override { put(key, v); }
  void field(const char* key, std::vector<std::string>& v) override { put(key, v); }
  void field(const char* key, std::map<std::string, std::vector<int>>& v) override { put(key, v); }

 private:
  template <class T>
  void put(const char* key, const T& v) {
    values.emplace_back(join_path(prefix_, key), Json(v));
  }
  std::string prefix_;
};

}  // namespace

namespace detail {

std::string config_to_json(const ConfigBody& body) {
  JsonWriter writer;
  body(writer);
  return writer.root().dump();
}

void config_from_json(const std::string& json_text, const std::string& source, const std::string& what,
                      const ConfigBody& body) {
  nlohmann::json root;
  try {
    root = nlohmann::json::parse(json_text);
  } catch (const nlohmann::json::exception& e) {
    throw Error(source, what + " is not valid JSON: " + e.what());
  }
  if (!root.is_object()) throw Error(source, what + " is not a JSON object");
  JsonReader reader(root, source, what);
  body(reader);
  reader.finish();
}

std::vector<ConfigDifference> config_differences(const ConfigBody& a, const ConfigBody& b) {
  ValueCollector va, vb;
  a(va);
  b(vb);
  std::vector<ConfigDifference> out;
  // Both are trees of one struct type, so the keys come in the same order.
  for (size_t i = 0; i < va.values.size() && i < vb.values.size(); ++i) {
    const auto& [key, x] = va.values[i];
    const Json& y = vb.values[i].second;
    if (x != y) out.push_back({key, x.dump(), y.dump()});
  }
  return out;
}

}  // namespace detail
}  // namespace acc::util

// JSON writing and reading and comparison of config trees by their visit().
#include <gtest/gtest.h>

#include "accompanist/util/config.h"
#include "accompanist/util/error.h"

namespace {

struct Inner {
  int batch_size = 16;
  double lr = 1e-4;
  std::string schedule = "constant";
  bool shuffle = true;
  void visit(acc::util::ConfigVisitor& v) {
    v.field("batch_size", batch_size, 1);
    v.field("lr", lr, 0.0);
    v.field("schedule", schedule, {"constant", "cosine"});
    v.field("shuffle", shuffle);
  }
};

struct Feature {
  bool on = false;
  int64_t size = 4;
  void visit(acc::util::ConfigVisitor& v) {
    v.field("on", on);
    v.field("size", size, 0, 100);
  }
};

// Every kind of field, a plain and an optional section.
struct Root {
  Inner train;
  int64_t steps = 7;
  std::vector<int> shifts{-1, 2};
  std::vector<double> weights{0.5};
  std::vector<std::string> names{"a"};
  std::map<std::string, std::vector<int>> families{{"piano", {0, 1}}, {"bass", {32}}};
  Feature feature;
  void visit(acc::util::ConfigVisitor& v) {
    v.section("train", [&] { train.visit(v); });
    v.field("steps", steps);
    v.field("shifts", shifts);
    v.field("weights", weights);
    v.field("names", names);
    v.field("families", families);
    v.optional_section(
        "feature", [&] { feature.visit(v); }, [&] { return feature.on; });
  }
};

std::string error_of(const std::string& json) {
  Root r;
  try {
    acc::util::from_json(r, json, "x.h5", "cfg");
  } catch (const acc::Error& e) {
    return e.what();
  }
  return "(no error)";
}

constexpr const char* kDefaults =
    R"({"train":{"batch_size":16,"lr":0.0001,"schedule":"constant","shuffle":true},"steps":7,"shifts":[-1,2],)"
    R"("weights":[0.5],"names":["a"],"families":{"bass":[32],"piano":[0,1]}})";

// Replaces the body of the top-level key `key` in kDefaults-like text.
std::string with(const std::string& key, const std::string& value) {
  Root r;
  std::string text = acc::util::to_json(r);
  const std::string needle = "\"" + key + "\":";
  const size_t at = text.find(needle);
  EXPECT_NE(at, std::string::npos) << key;
  size_t end = at + needle.size();
  int depth = 0;
  for (; end < text.size(); ++end) {
    const char c = text[end];
    if (c == '{' || c == '[') ++depth;
    if (c == '}' || c == ']') {
      if (depth == 0) break;
      --depth;
    }
    if (c == ',' && depth == 0) break;
  }
  return text.substr(0, at + needle.size()) + value + text.substr(end);
}

TEST(ConfigJson, WritesKeysInVisitOrderAndOptionalSectionsOnlyWhenPresent) {
  Root r;
  EXPECT_EQ(acc::util::to_json(r), kDefaults);
  r.feature.size = 9;  // not on: still left out
  EXPECT_EQ(acc::util::to_json(r), kDefaults);
  r.feature.on = true;
  const std::string on = acc::util::to_json(r);
  EXPECT_EQ(on.substr(on.size() - 32), R"(,"feature":{"on":true,"size":9}})");
}

TEST(ConfigJson, RoundTrip) {
  Root r;
  r.train.batch_size = 3;
  r.train.lr = 0.1;
  r.train.schedule = "cosine";
  r.train.shuffle = false;
  r.steps = -5;
  r.shifts = {};
  r.weights = {1e-300, -2.5};
  r.names = {"x", "y z"};
  r.families = {{"drums", {}}};
  r.feature = {true, 100};
  Root back;
  acc::util::from_json(back, acc::util::to_json(r), "t");
  EXPECT_TRUE(acc::util::configs_equal(back, r));
  EXPECT_EQ(acc::util::to_json(back), acc::util::to_json(r));
  EXPECT_EQ(back.weights, r.weights);
  EXPECT_EQ(back.feature.size, 100);
  // An optional section absent or partial: its missing keys keep their defaults.
  Root partial;
  acc::util::from_json(partial, with("families", R"({},"feature":{"on":true})"), "t");
  EXPECT_TRUE(partial.feature.on);
  EXPECT_EQ(partial.feature.size, 4);
  EXPECT_TRUE(partial.families.empty());
}

TEST(ConfigJson, UnknownAndMissingKeysNameThePath) {
  EXPECT_EQ(error_of(with("steps", R"(1,"stepz":2)")), "x.h5: cfg: unknown key stepz");
  EXPECT_EQ(error_of(with("train", R"({"batch_size":1,"lr":0.1,"schedule":"cosine","shuffle":true,"x":1})")),
            "x.h5: cfg: unknown key train.x");
  EXPECT_EQ(error_of(with("families", R"({},"feature":{"of":true})")), "x.h5: cfg: unknown key feature.of");
  EXPECT_EQ(error_of(R"({"train":{}})"), "x.h5: cfg: missing key train.batch_size");
  EXPECT_EQ(error_of(with("train", R"({"batch_size":1,"lr":0.1,"schedule":"cosine","shuffle":true})")
                         .replace(std::string(kDefaults).find("\"steps\":7,"), 10, "")),
            "x.h5: cfg: missing key steps");
  EXPECT_EQ(error_of("{}"), "x.h5: cfg: missing key train");
  EXPECT_EQ(error_of("[1]"), "x.h5: cfg is not a JSON object");
  EXPECT_EQ(error_of("{").rfind("x.h5: cfg is not valid JSON: ", 0), 0u);
}

TEST(ConfigJson, WrongTypesAndRangesNameThePath) {
  const auto train = [](const std::string& field) {
    std::string t = R"({"batch_size":1,"lr":0.1,"schedule":"cosine","shuffle":true})";
    const std::string key = field.substr(0, field.find(':'));
    const size_t at = t.find(key);
    const size_t end = t.find_first_of(",}", at);
    return with("train", t.substr(0, at) + field + t.substr(end));
  };
  EXPECT_EQ(error_of(train(R"(shuffle":1)")), "x.h5: cfg: train.shuffle: expected a boolean");
  EXPECT_EQ(error_of(train(R"(batch_size":1.5)")), "x.h5: cfg: train.batch_size: expected an integer");
  EXPECT_EQ(error_of(train(R"(batch_size":0)")), "x.h5: cfg: train.batch_size: value 0 out of range [1, 2147483647]");
  EXPECT_EQ(error_of(train(R"(batch_size":4294967296)")),
            "x.h5: cfg: train.batch_size: value 4294967296 out of range [1, 2147483647]");
  EXPECT_EQ(error_of(train(R"(lr":"fast")")), "x.h5: cfg: train.lr: expected a number");
  EXPECT_EQ(error_of(train(R"(lr":-1.0)")), "x.h5: cfg: train.lr: value -1.0 out of range [0, inf]");
  EXPECT_EQ(error_of(train(R"(schedule":3)")), "x.h5: cfg: train.schedule: expected a string");
  EXPECT_EQ(error_of(train(R"(schedule":"linear")")),
            "x.h5: cfg: train.schedule: expected one of constant, cosine, got \"linear\"");
  EXPECT_EQ(error_of(with("train", "3")), "x.h5: cfg: train: expected an object");
  EXPECT_EQ(error_of(with("steps", "18446744073709551615")),
            "x.h5: cfg: steps: value 18446744073709551615 out of range [-inf, inf]");
  EXPECT_EQ(error_of(with("shifts", "3")), "x.h5: cfg: shifts: expected a list");
  EXPECT_EQ(error_of(with("shifts", "[1,true]")), "x.h5: cfg: shifts[1]: expected an integer");
  EXPECT_EQ(error_of(with("weights", R"(["a"])")), "x.h5: cfg: weights[0]: expected a number");
  EXPECT_EQ(error_of(with("names", "[1]")), "x.h5: cfg: names[0]: expected a string");
  EXPECT_EQ(error_of(with("families", "[]")), "x.h5: cfg: families: expected an object of lists");
  EXPECT_EQ(error_of(with("families", R"({"bass":[1.5]})")), "x.h5: cfg: families.bass[0]: expected an integer");
  EXPECT_EQ(error_of(with("families", R"({},"feature":true)")), "x.h5: cfg: feature: expected an object");
  EXPECT_EQ(error_of(with("families", R"({},"feature":{"size":101})")),
            "x.h5: cfg: feature.size: value 101 out of range [0, 100]");
}

// Changes the n-th field of a tree (visit order); records its key path.
class ChangeNthField final : public acc::util::ConfigVisitor {
 public:
  explicit ChangeNthField(int n) : n_(n) {}
  std::string changed;  // "" when the tree has fewer fields

  void section(const char* key, const std::function<void()>& body) override {
    const std::string outer = prefix_;
    prefix_ += std::string(key) + ".";
    body();
    prefix_ = outer;
  }
  void field(const char* key, bool& v) override {
    change(key, [&] { v = !v; });
  }
  void field(const char* key, int& v, int64_t, int64_t) override {
    change(key, [&] { ++v; });
  }
  void field(const char* key, int64_t& v, int64_t, int64_t) override {
    change(key, [&] { ++v; });
  }
  void field(const char* key, double& v, double, double) override {
    change(key, [&] { v *= 1.5; });
  }
  void field(const char* key, std::string& v, const std::vector<std::string>&) override {
    change(key, [&] { v += "x"; });
  }
  void field(const char* key, std::vector<int>& v) override {
    change(key, [&] { v.push_back(0); });
  }
  void field(const char* key, std::vector<double>& v) override {
    change(key, [&] { v.push_back(0); });
  }
  void field(const char* key, std::vector<std::string>& v) override {
    change(key, [&] { v.push_back(""); });
  }
  void field(const char* key, std::map<std::string, std::vector<int>>& v) override {
    change(key, [&] { v["piano"].push_back(9); });
  }

 private:
  template <class Fn>
  void change(const char* key, Fn&& fn) {
    if (seen_++ != n_) return;
    fn();
    changed = prefix_ + key;
  }
  int n_, seen_ = 0;
  std::string prefix_;
};

TEST(ConfigJson, EqualityDetectsEveryField) {
  Root defaults, same;
  EXPECT_TRUE(acc::util::configs_equal(defaults, same));
  int fields = 0;
  for (;; ++fields) {
    Root r;
    ChangeNthField change(fields);
    r.visit(change);
    if (change.changed.empty()) break;
    EXPECT_FALSE(acc::util::configs_equal(r, defaults)) << change.changed;
    const auto differences = acc::util::config_differences(r, defaults);
    ASSERT_EQ(differences.size(), 1u) << change.changed;
    EXPECT_EQ(differences[0].key, change.changed);
  }
  EXPECT_EQ(fields, 11);  // the optional section's fields included
  Root a;
  a.train.batch_size = 32;
  a.feature.size = 5;
  const auto d = acc::util::config_differences(a, defaults);
  ASSERT_EQ(d.size(), 2u);
  EXPECT_EQ(d[0].key, "train.batch_size");
  EXPECT_EQ(d[0].a, "32");
  EXPECT_EQ(d[0].b, "16");
  EXPECT_EQ(d[1].key, "feature.size");
}

}  // namespace

// Reading report.json values for the report writers (report.md, report.html).
#pragma once

#include <fmt/format.h>

#include <initializer_list>
#include <nlohmann/json.hpp>
#include <string>

namespace acc::eval::detail {

// The value at a key path, or null when a key on the way is missing.
inline const nlohmann::ordered_json& at(const nlohmann::ordered_json& j, std::initializer_list<const char*> path) {
  static const nlohmann::ordered_json null_value;
  const nlohmann::ordered_json* node = &j;
  for (const char* key : path) {
    if (!node->is_object() || !node->contains(key)) return null_value;
    node = &(*node)[key];
  }
  return *node;
}

// Integers as they are, other numbers with `decimals` decimals, "n/a" for anything else.
inline std::string num(const nlohmann::ordered_json& value, int decimals = 4) {
  if (value.is_number_integer()) return std::to_string(value.get<int64_t>());
  if (value.is_number()) return fmt::format("{:.{}f}", value.get<double>(), decimals);
  return "n/a";
}

}  // namespace acc::eval::detail

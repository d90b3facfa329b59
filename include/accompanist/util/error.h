// acc::Error: the one exception type for bad input and failed operations.
// Its message reads "<what>: <why>"; apps print it as "error: <message>".
#pragma once

#include <stdexcept>
#include <string>

namespace acc {

class Error : public std::runtime_error {
 public:
  explicit Error(const std::string& message) : std::runtime_error(message) {}
  Error(const std::string& what, const std::string& why) : std::runtime_error(what + ": " + why) {}
};

// ACC_CHECK(cond, what, why): throws acc::Error when cond is false.
#define ACC_CHECK(cond, what, why)              \
  do {                                          \
    if (!(cond)) throw ::acc::Error(what, why); \
  } while (0)

}  // namespace acc

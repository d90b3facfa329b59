// "[min, max]" in the messages of the YAML and JSON config readers.
#pragma once

#include <limits>
#include <sstream>
#include <string>
#include <type_traits>

namespace acc::util::detail {

template <class T>
std::string range_text(T min, T max) {
  auto text = [](T v) {
    std::ostringstream os;
    // numeric_limits<int>::infinity() is 0: compare with it only for floating point.
    const bool inf =
        v == std::numeric_limits<T>::max() || (std::is_floating_point_v<T> && v == std::numeric_limits<T>::infinity());
    const bool minus_inf = v == std::numeric_limits<T>::lowest() ||
                           (std::is_floating_point_v<T> && v == -std::numeric_limits<T>::infinity());
    if (inf) return std::string("inf");
    if (minus_inf) return std::string("-inf");
    os << v;
    return os.str();
  };
  return text(min) + ", " + text(max);
}

}  // namespace acc::util::detail

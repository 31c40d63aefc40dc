#pragma once

// Lets GoogleTest print the broker's codes by name ("kTimeout") in failure messages rather
// than as raw bytes.

#include <ostream>

#include "core/error.hpp"

namespace vegha {

inline void PrintTo(Errc code, std::ostream* os) {
    *os << errc_name(code);
}

}  // namespace vegha

#pragma once

namespace acc {

const char* version();       // "0.1.0"
const char* git_revision();  // short hash, "+dirty" when the tree was modified, or "unknown"

}  // namespace acc

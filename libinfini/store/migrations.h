// The numbered schema migrations of the store, oldest first. Migration i (1-based)
// brings the schema from version i-1 to version i. Never edit a released migration:
// append a new one.
#pragma once

#include <vector>

namespace infini::store {

const std::vector<const char*>& Migrations();

}  // namespace infini::store

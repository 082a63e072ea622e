// The business config's "calendar" object (private to dialogue; docs/flow-format.md).
#pragma once

#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "infini/business.h"

namespace infini::dialogue {

// Errors read "<source>: calendar.<field>: <what>". `resources` are the business's
// resources (for checking calendar.resources keys).
Status ParseCalendarSettings(const nlohmann::json& value, const std::string& source, CalendarSettings* out,
                             const std::vector<std::string>& resources);

}  // namespace infini::dialogue

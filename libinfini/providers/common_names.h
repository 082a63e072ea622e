// The personal names callers most often give, for biasing the embedded recognizer's LM when it
// listens for "my name is ...". Without them pocketsphinx's generic LM prefers any common word
// sequence over a name ("Sarah Johnson" -> "storage on Sunday"). Lower case, one word each.
#pragma once

#include <span>
#include <string_view>

namespace infini::providers {

// ~200 given names: the most frequent in US Social Security birth data 1950-2010 (both sexes),
// plus the short forms people give on the phone ("Pat", "Sam", "Alex", "Chris").
std::span<const std::string_view> CommonFirstNames();

// The 100 most frequent US surnames (2010 census).
std::span<const std::string_view> CommonSurnames();

}  // namespace infini::providers

// Helpers shared by the REST API's files: business-local time and percentiles.
// Private to the api layer.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "infini/business.h"
#include "infini/store.h"

namespace date {
class time_zone;
}

namespace infini::api {

using Json = nlohmann::ordered_json;

// The zone named `name`, or UTC when it is empty or unknown.
const date::time_zone* Zone(const std::string& name);
// "YYYY-MM-DDTHH:MM:SS" / "YYYY-MM-DD" in `tz`.
std::string LocalIso(int64_t utc, const date::time_zone* tz);
std::string LocalDate(int64_t utc, const date::time_zone* tz);
// Local midnight of the day holding `utc`, as UTC seconds.
int64_t LocalDayStart(int64_t utc, const date::time_zone* tz);
// Local wall time "YYYY-MM-DD" or "YYYY-MM-DDTHH:MM[:SS]" -> UTC; nullopt if malformed.
// `end_of_day`: a bare date means the start of the NEXT day (an inclusive "to" date).
std::optional<int64_t> ParseLocalTime(const std::string& text, const date::time_zone* tz,
                                      bool end_of_day);
// Whether the business is open at `utc` (its weekly hours, local time).
bool IsOpenAt(const BusinessConfig& biz, int64_t utc, const date::time_zone* tz);

// Nearest-rank percentile of a sorted, non-empty vector (p in 0..100).
double Percentile(const std::vector<double>& sorted, double p);

// The latency stages of one turn, in ms, present only when both ends were measured:
// asr (end of speech -> ASR final), decision, tts (-> first TTS audio), send (-> first frame
// out), total (end of speech -> first frame out).
Json TurnLatency(const TurnRecord& t);

struct AnalyticsInput {
  std::string business_id;
  int64_t from_utc = 0;
  int64_t to_utc = 0;
  const BusinessConfig* business = nullptr;  // for after-hours and the time zone; may be null
};

// The analytics document of docs/api.md for calls started in [from_utc, to_utc).
Result<Json> ComputeAnalytics(Store& store, const AnalyticsInput& in);

}  // namespace infini::api

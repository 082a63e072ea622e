// How the agent says times, days, phone numbers and offers (private to dialogue).
#pragma once

#include <string>
#include <vector>

#include "dialogue/scheduler.h"

namespace infini::dialogue {

std::string WeekdayName(int weekday);                // 0 = "Sunday"
std::string SayClock(int minute_of_day);             // 540 -> "9 AM", 870 -> "2:30 PM", 720 -> "noon"
std::string SayDay(LocalMinute day, LocalMinute now);  // "today", "tomorrow", "Friday, December 11"
std::string SayPhone(const std::string& e164);       // "+15125557788" -> "512-555-7788"
// "2:30 PM or 3 PM on Sunday, December 13" (grouped by day, in order).
std::string SaySlots(const std::vector<Slot>& slots, LocalMinute now, bool with_resource);
std::string LowerFirst(std::string text);            // "Oil change" -> "oil change"
std::string WithArticle(const std::string& noun);    // "Oil change" -> "an oil change"

}  // namespace infini::dialogue

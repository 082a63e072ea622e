#include "dialogue/speech_format.h"

#include <cctype>

namespace infini::dialogue {

std::string WeekdayName(int weekday) {
  static const char* kNames[7] = {"Sunday", "Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday"};
  return kNames[((weekday % 7) + 7) % 7];
}

std::string SayClock(int minute_of_day) {
  int h = minute_of_day / 60, m = minute_of_day % 60;
  if (h == 12 && m == 0) return "noon";
  if (h == 0 && m == 0) return "midnight";
  const char* ampm = h < 12 ? "AM" : "PM";
  int h12 = h % 12 == 0 ? 12 : h % 12;
  std::string out = std::to_string(h12);
  if (m) out += (m < 10 ? ":0" : ":") + std::to_string(m);
  return out + " " + ampm;
}

std::string SayDay(LocalMinute day, LocalMinute now) {
  constexpr int64_t kDay = 24 * 60;
  LocalMinute d = day - ((day % kDay) + kDay) % kDay;
  LocalMinute today = now - ((now % kDay) + kDay) % kDay;
  if (d == today) return "today";
  if (d == today + kDay) return "tomorrow";
  static const char* kMonths[12] = {"January", "February", "March",     "April",   "May",      "June",
                                    "July",    "August",   "September", "October", "November", "December"};
  int y, mo, dd, h, mi;
  SplitLocalMinute(d, &y, &mo, &dd, &h, &mi);
  return WeekdayName(WeekdayOf(d)) + ", " + kMonths[mo - 1] + " " + std::to_string(dd);
}

std::string SayPhone(const std::string& e164) {
  if (e164.size() == 12 && e164.rfind("+1", 0) == 0)
    return e164.substr(2, 3) + "-" + e164.substr(5, 3) + "-" + e164.substr(8);
  return e164;
}

std::string SaySlots(const std::vector<Slot>& slots, LocalMinute now, bool with_resource) {
  constexpr int64_t kDay = 24 * 60;
  std::string out;
  size_t i = 0;
  while (i < slots.size()) {
    LocalMinute day = slots[i].start - slots[i].start % kDay;
    size_t j = i;
    std::string group;
    while (j < slots.size() && slots[j].start - slots[j].start % kDay == day) {
      if (j > i) group += (j + 1 == slots.size() || slots[j + 1].start - slots[j + 1].start % kDay != day) ? " or " : ", ";
      group += SayClock(int(slots[j].start % kDay));
      if (with_resource) group += " with " + slots[j].resource;
      ++j;
    }
    if (!out.empty()) out += ", or ";
    std::string when = SayDay(day, now);
    out += group + (when == "today" || when == "tomorrow" ? " " + when : " on " + when);
    i = j;
  }
  return out;
}

std::string LowerFirst(std::string text) {
  // Keep acronyms ("AC repair") as they are.
  if (text.size() >= 2 && std::isupper(static_cast<unsigned char>(text[1]))) return text;
  if (!text.empty()) text[0] = char(std::tolower(static_cast<unsigned char>(text[0])));
  return text;
}

std::string WithArticle(const std::string& noun) {
  std::string n = LowerFirst(noun);
  if (n.empty()) return n;
  char c = char(std::tolower(static_cast<unsigned char>(n[0])));
  bool vowel = c == 'a' || c == 'e' || c == 'i' || c == 'o' || c == 'u';
  return (vowel ? "an " : "a ") + n;
}

}  // namespace infini::dialogue

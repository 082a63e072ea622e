// The rule NLU: a normalizer, a few word tables, and one extractor per slot.
// Extractors look for anchored patterns ("at nine", "my name is", "<number> <street> Street")
// so that numbers in phone numbers, addresses and car years do not leak into times.
#include "dialogue/nlu.h"
#include "dialogue/speech_format.h"

#include <algorithm>
#include <array>
#include <cctype>
#include <cstring>
#include <map>
#include <set>

#include <date/date.h>

namespace infini::dialogue {
namespace {

using Words = std::vector<std::string>;

const std::map<std::string, int>& Units() {
  static const std::map<std::string, int> m = {
      {"zero", 0}, {"one", 1}, {"two", 2}, {"three", 3}, {"four", 4}, {"five", 5}, {"six", 6},
      {"seven", 7}, {"eight", 8}, {"nine", 9}, {"ten", 10}, {"eleven", 11}, {"twelve", 12},
      {"thirteen", 13}, {"fourteen", 14}, {"fifteen", 15}, {"sixteen", 16}, {"seventeen", 17},
      {"eighteen", 18}, {"nineteen", 19}};
  return m;
}
const std::map<std::string, int>& Tens() {
  static const std::map<std::string, int> m = {{"twenty", 20}, {"thirty", 30}, {"forty", 40},
                                               {"fifty", 50}, {"sixty", 60}, {"seventy", 70},
                                               {"eighty", 80}, {"ninety", 90}};
  return m;
}
const std::map<std::string, int>& Ordinals() {
  static const std::map<std::string, int> m = {
      {"first", 1}, {"second", 2}, {"third", 3}, {"fourth", 4}, {"fifth", 5}, {"sixth", 6},
      {"seventh", 7}, {"eighth", 8}, {"ninth", 9}, {"tenth", 10}, {"eleventh", 11},
      {"twelfth", 12}, {"thirteenth", 13}, {"fourteenth", 14}, {"fifteenth", 15},
      {"sixteenth", 16}, {"seventeenth", 17}, {"eighteenth", 18}, {"nineteenth", 19},
      {"twentieth", 20}, {"thirtieth", 30}};
  return m;
}
const std::map<std::string, int>& Weekdays() {
  static const std::map<std::string, int> m = {
      {"sunday", 0}, {"monday", 1}, {"tuesday", 2}, {"wednesday", 3}, {"thursday", 4},
      {"friday", 5}, {"saturday", 6}};
  return m;
}
const std::map<std::string, int>& Months() {
  static const std::map<std::string, int> m = {
      {"january", 1}, {"february", 2}, {"march", 3}, {"april", 4}, {"may", 5}, {"june", 6},
      {"july", 7}, {"august", 8}, {"september", 9}, {"october", 10}, {"november", 11},
      {"december", 12}, {"jan", 1}, {"feb", 2}, {"mar", 3}, {"apr", 4}, {"jun", 6}, {"jul", 7},
      {"aug", 8}, {"sep", 9}, {"sept", 9}, {"oct", 10}, {"nov", 11}, {"dec", 12}};
  return m;
}

bool IsDigits(const std::string& s) {
  return !s.empty() && std::all_of(s.begin(), s.end(), [](unsigned char c) { return std::isdigit(c); });
}

std::string Join(const Words& w, size_t from = 0, size_t to = std::string::npos) {
  std::string out;
  for (size_t i = from; i < std::min(to, w.size()); ++i) {
    if (!out.empty()) out += ' ';
    out += w[i];
  }
  return out;
}

// " a b c " form, for phrase search on word boundaries.
std::string Padded(const Words& w) { return " " + Join(w) + " "; }
bool HasPhrase(const std::string& padded, std::string_view phrase) {
  return padded.find(" " + std::string(phrase) + " ") != std::string::npos;
}
template <typename... P>
bool HasAny(const std::string& padded, P... phrases) {
  return (HasPhrase(padded, phrases) || ...);
}

std::string TitleCase(const Words& w) {
  std::string out;
  for (const auto& word : w) {
    if (!out.empty()) out += ' ';
    std::string t = word;
    if (!t.empty()) t[0] = static_cast<char>(std::toupper(static_cast<unsigned char>(t[0])));
    out += t;
  }
  return out;
}

// Number 0..99 spoken or written starting at w[i]: value and words used.
std::optional<std::pair<int, size_t>> NumberAt(const Words& w, size_t i) {
  if (i >= w.size()) return std::nullopt;
  if (IsDigits(w[i]) && w[i].size() <= 2) return std::pair{std::stoi(w[i]), size_t{1}};
  if (auto u = Units().find(w[i]); u != Units().end()) return std::pair{u->second, size_t{1}};
  if (auto t = Tens().find(w[i]); t != Tens().end()) {
    if (i + 1 < w.size()) {
      if (auto u = Units().find(w[i + 1]); u != Units().end() && u->second > 0 && u->second < 10) {
        return std::pair{t->second + u->second, size_t{2}};
      }
    }
    return std::pair{t->second, size_t{1}};
  }
  return std::nullopt;
}

// Day of month at w[i]: "15th", "15", "fifteenth", "twenty first".
std::optional<std::pair<int, size_t>> DayOfMonthAt(const Words& w, size_t i, bool allow_plain_number) {
  if (i >= w.size()) return std::nullopt;
  const std::string& s = w[i];
  if (s.size() >= 3 && std::isdigit(static_cast<unsigned char>(s[0]))) {
    std::string suffix = s.substr(s.size() - 2);
    std::string num = s.substr(0, s.size() - 2);
    if ((suffix == "st" || suffix == "nd" || suffix == "rd" || suffix == "th") && IsDigits(num)) {
      int d = std::stoi(num);
      if (d >= 1 && d <= 31) return std::pair{d, size_t{1}};
    }
  }
  if (auto o = Ordinals().find(s); o != Ordinals().end()) return std::pair{o->second, size_t{1}};
  if (auto t = Tens().find(s); t != Tens().end() && i + 1 < w.size()) {
    if (auto o = Ordinals().find(w[i + 1]); o != Ordinals().end() && o->second < 10) {
      return std::pair{t->second + o->second, size_t{2}};
    }
  }
  if (allow_plain_number) {
    if (auto n = NumberAt(w, i); n && n->first >= 1 && n->first <= 31) return n;
  }
  return std::nullopt;
}

date::sys_days ToDays(const LocalDate& d) {
  return date::sys_days{date::year{d.year} / date::month{static_cast<unsigned>(d.month)} /
                        date::day{static_cast<unsigned>(d.day)}};
}
LocalDate FromDays(date::sys_days days) {
  date::year_month_day ymd{days};
  return {static_cast<int>(ymd.year()), static_cast<int>(static_cast<unsigned>(ymd.month())),
          static_cast<int>(static_cast<unsigned>(ymd.day()))};
}
LocalDate AddDays(const LocalDate& d, int n) { return FromDays(ToDays(d) + date::days{n}); }
int WeekdayOf(const LocalDate& d) { return static_cast<int>(date::weekday{ToDays(d)}.c_encoding()); }
bool ValidDate(int y, int m, int d) {
  return m >= 1 && m <= 12 && d >= 1 &&
         date::year_month_day{date::year{y} / date::month{static_cast<unsigned>(m)} /
                              date::day{static_cast<unsigned>(d)}}.ok();
}

// Next date on or after `today` with this day of month (skipping months that lack it).
LocalDate NextDayOfMonth(const LocalDate& today, int day) {
  int y = today.year, m = today.month;
  for (int k = 0; k < 14; ++k) {
    if (ValidDate(y, m, day) && !(k == 0 && day < today.day)) return {y, m, day};
    if (++m > 12) { m = 1; ++y; }
  }
  return today;
}

const std::set<std::string>& NameStopWords() {
  static const std::set<std::string> s = {
      "hi", "hello", "hey", "yes", "yeah", "yep", "no", "nope", "ok", "okay", "sure", "thanks",
      "thank", "you", "the", "a", "an", "um", "uh", "i", "my", "me", "is", "am", "and", "please",
      "calling", "here", "just", "well", "so", "good", "fine", "morning", "afternoon", "evening",
      "bye", "new", "patient", "looking", "need", "want", "would", "like", "to", "for", "that",
      "this", "it", "its", "it's", "name", "of", "in", "on", "at", "with", "can", "could", "not",
      "sorry", "what", "who", "how", "why", "when", "where", "speaking", "right", "correct",
      "actually", "said", "meant", "all", "about", "have", "has", "do", "does", "be", "calling",
      "appointment", "emergency", "gas", "smell", "help", "don't", "know", "there", "today",
      "tomorrow", "again", "one", "number", "phone", "are", "was", "we", "our", "your", "they",
      "got", "get", "was", "just", "really", "very", "think", "message", "leave", "take", "call",
      "back", "time", "any", "anyone", "anybody", "someone", "person", "human", "going", "off",
      "alarm", "car", "cleaning", "haircut", "also", "but", "or", "if", "as", "up", "out"};
  return s;
}

bool NameWord(const std::string& w) {
  if (w.empty() || NameStopWords().count(w) || Weekdays().count(w) || Months().count(w) ||
      Units().count(w) || Tens().count(w) || Ordinals().count(w)) {
    return false;
  }
  return std::all_of(w.begin(), w.end(), [](unsigned char c) { return std::isalpha(c) || c == '\'' || c == '-'; });
}

const std::set<std::string>& StreetSuffixes() {
  static const std::set<std::string> s = {
      "street", "st", "avenue", "ave", "road", "rd", "lane", "ln", "drive", "dr", "court", "ct",
      "boulevard", "blvd", "way", "place", "pl", "circle", "cir", "parkway", "pkwy", "trail",
      "terrace", "highway", "hwy", "loop", "square", "alley", "run", "path", "pike", "cove"};
  return s;
}

const std::set<std::string>& CarMakes() {
  static const std::set<std::string> s = {
      "toyota", "honda", "ford", "chevy", "chevrolet", "nissan", "hyundai", "kia", "subaru",
      "mazda", "volkswagen", "vw", "bmw", "mercedes", "audi", "lexus", "jeep", "dodge", "ram",
      "gmc", "tesla", "volvo", "acura", "infiniti", "buick", "cadillac", "chrysler",
      "mitsubishi", "lincoln", "porsche", "mini", "genesis", "fiat", "saturn", "pontiac"};
  return s;
}

// Joins runs of one-letter words ("a c" -> "ac", "a s a p" -> "asap") so spelled-out
// acronyms match their written form.
Words JoinLetters(const Words& w) {
  Words merged;
  for (size_t i = 0; i < w.size();) {
    size_t j = i;
    while (j < w.size() && w[j].size() == 1 && std::isalpha(static_cast<unsigned char>(w[j][0]))) ++j;
    if (j - i >= 2) {
      std::string joined;
      for (size_t k = i; k < j; ++k) joined += w[k];
      merged.push_back(joined);
      i = j;
    } else {
      merged.push_back(w[i]);
      ++i;
    }
  }
  return merged;
}

std::string Singular(const std::string& w) {
  if (w.size() > 3 && w.back() == 's' && w[w.size() - 2] != 's') return w.substr(0, w.size() - 1);
  return w;
}

}  // namespace

int LocalDateTime::weekday() const { return WeekdayOf(date); }

bool Understanding::has(Intent i) const { return std::find(intents.begin(), intents.end(), i) != intents.end(); }

const char* IntentName(Intent intent) {
  switch (intent) {
    case Intent::kNone: return "none";
    case Intent::kBook: return "book";
    case Intent::kQuestion: return "question";
    case Intent::kLeaveMessage: return "leave_message";
    case Intent::kHuman: return "human";
    case Intent::kEmergency: return "emergency";
    case Intent::kYes: return "yes";
    case Intent::kNo: return "no";
    case Intent::kCorrection: return "correction";
    case Intent::kGoodbye: return "goodbye";
    case Intent::kDontKnow: return "dont_know";
    case Intent::kReschedule: return "reschedule";
    case Intent::kCancel: return "cancel";
    case Intent::kRepeat: return "repeat";
  }
  return "?";
}

Words NormalizeWords(std::string_view text) {
  std::string s;
  s.reserve(text.size() + 8);
  for (size_t i = 0; i < text.size(); ++i) {
    unsigned char c = static_cast<unsigned char>(text[i]);
    if (c >= 0x80) {  // non-ASCII: a word break (names with accents still split cleanly)
      s += ' ';
      continue;
    }
    char lc = static_cast<char>(std::tolower(c));
    if (std::isalnum(c)) {
      // "9am" -> "9 am"; "15th" stays (digit then letters is an ordinal only for st/nd/rd/th).
      if (!s.empty() && std::isdigit(static_cast<unsigned char>(s.back())) && std::isalpha(c)) {
        std::string rest;
        for (size_t k = i; k < text.size() && std::isalpha(static_cast<unsigned char>(text[k])); ++k) {
          rest += static_cast<char>(std::tolower(static_cast<unsigned char>(text[k])));
        }
        if (rest != "st" && rest != "nd" && rest != "rd" && rest != "th") s += ' ';
      }
      s += lc;
    } else if (c == ':' && !s.empty() && std::isdigit(static_cast<unsigned char>(s.back())) &&
               i + 1 < text.size() && std::isdigit(static_cast<unsigned char>(text[i + 1]))) {
      s += ':';
    } else if (c == '\'' && !s.empty() && std::isalpha(static_cast<unsigned char>(s.back())) &&
               i + 1 < text.size() && std::isalpha(static_cast<unsigned char>(text[i + 1]))) {
      s += '\'';
    } else if (c == '.' && !s.empty() && std::isalpha(static_cast<unsigned char>(s.back()))) {
      // "a.m." -> "am": drop dots inside abbreviations
      continue;
    } else {
      s += ' ';
    }
  }
  Words words;
  size_t i = 0;
  while (i < s.size()) {
    while (i < s.size() && s[i] == ' ') ++i;
    size_t j = i;
    while (j < s.size() && s[j] != ' ') ++j;
    if (j > i) words.push_back(s.substr(i, j - i));
    i = j;
  }
  // "a m" / "p m" after a number -> "am" / "pm".
  Words out;
  for (size_t k = 0; k < words.size(); ++k) {
    if ((words[k] == "a" || words[k] == "p") && k + 1 < words.size() && words[k + 1] == "m" && !out.empty()) {
      out.push_back(words[k] + "m");
      ++k;
    } else {
      out.push_back(words[k]);
    }
  }
  return out;
}

std::optional<TimeRequest> ExtractTime(std::string_view text, const LocalDateTime& now) {
  Words w = NormalizeWords(text);
  std::string p = Padded(w);
  TimeRequest r;
  const LocalDate today = now.date;

  // Day parts and urgency of timing.
  if (HasAny(p, "first thing", "early morning", "first thing in the morning")) {
    r.part = DayPart::kFirstThing;
  } else if (HasAny(p, "morning")) {
    r.part = DayPart::kMorning;
  } else if (HasAny(p, "afternoon")) {
    r.part = DayPart::kAfternoon;
  } else if (HasAny(p, "evening", "tonight")) {
    r.part = DayPart::kEvening;
  }
  if (HasAny(p, "as soon as possible", "asap", "soonest", "earliest", "as early as possible",
             "right away", "a s a p", "first available", "next available", "as soon as you can", "earliest available")) {
    r.asap = true;
  }
  if (HasAny(p, "any time", "anytime", "whenever", "any day")) r.any_time = true;

  // Dates.
  for (size_t i = 0; i < w.size(); ++i) {
    const std::string& t = w[i];
    if (t == "today" || t == "tonight") {
      r.date = today;
    } else if (t == "tomorrow") {
      bool after = i >= 2 && w[i - 1] == "after" && w[i - 2] == "day";
      r.date = AddDays(today, after ? 2 : 1);
    } else if (auto wd = Weekdays().find(Singular(t) == "monday" ? "monday" : t); wd != Weekdays().end()) {
      int target = wd->second, cur = WeekdayOf(today);
      int ahead = (target - cur + 7) % 7;
      bool this_week = i >= 1 && w[i - 1] == "this";
      if (!this_week && ahead == 0) ahead = 7;  // "Tuesday" / "next Tuesday" on a Tuesday
      if (!r.date) r.date = AddDays(today, ahead);  // an explicit date ("Monday the 14th") wins below
      // "Monday the 14th": the day of month decides.
      size_t k = i + 1;
      if (k < w.size() && w[k] == "the") ++k;
      if (auto dom = DayOfMonthAt(w, k, false)) r.date = NextDayOfMonth(today, dom->first);
    } else if (auto m = Months().find(t); m != Months().end() && !(t == "may" && i + 1 < w.size() && !DayOfMonthAt(w, i + 1, true))) {
      size_t k = i + 1;
      if (k < w.size() && w[k] == "the") ++k;
      if (auto dom = DayOfMonthAt(w, k, true)) {
        int y = today.year;
        if (m->second < today.month || (m->second == today.month && dom->first < today.day)) ++y;
        if (ValidDate(y, m->second, dom->first)) r.date = LocalDate{y, m->second, dom->first};
      }
    } else if (auto dom = DayOfMonthAt(w, i, false)) {
      // "the 15th", "15th of December" ("first" alone is a choice, not a date).
      bool anchored = (i >= 1 && (w[i - 1] == "the" || w[i - 1] == "on")) || IsDigits(t.substr(0, 1));
      bool is_choice_word = Ordinals().count(t) && i + 1 < w.size() && (w[i + 1] == "one" || w[i + 1] == "thing");
      if (anchored && !is_choice_word && !(Ordinals().count(t) && dom->first <= 3 && i + 1 >= w.size())) {
        size_t k = i + dom->second;
        if (k + 1 < w.size() && w[k] == "of" && Months().count(w[k + 1])) {
          int month = Months().at(w[k + 1]);
          int y = today.year;
          if (month < today.month || (month == today.month && dom->first < today.day)) ++y;
          if (ValidDate(y, month, dom->first)) r.date = LocalDate{y, month, dom->first};
        } else if (!(Ordinals().count(t) && dom->first <= 3)) {
          r.date = NextDayOfMonth(today, dom->first);
        }
      }
    }
  }

  // Times of day.
  std::optional<int> hour, minute;
  std::optional<bool> pm;
  for (size_t i = 0; i < w.size() && !hour; ++i) {
    const std::string& t = w[i];
    auto meridiem_at = [&](size_t k) -> std::optional<bool> {
      if (k < w.size() && (w[k] == "am" || w[k] == "a.m")) return false;
      if (k < w.size() && (w[k] == "pm" || w[k] == "p.m")) return true;
      return std::nullopt;
    };
    // "with noon": a person misheard ("with Ana" on a phone line), not a time; a time may follow.
    if ((t == "noon" || t == "midday") && !(i >= 1 && w[i - 1] == "with")) {
      hour = 12;
      minute = 0;
      pm = true;
      break;
    }
    if ((t == "half" || t == "quarter") && i + 2 < w.size() && (w[i + 1] == "past" || w[i + 1] == "after" || w[i + 1] == "to")) {
      if (auto n = NumberAt(w, i + 2); n && n->first >= 1 && n->first <= 12) {
        int mins = t == "half" ? 30 : 15;
        if (w[i + 1] == "to") {
          hour = n->first == 1 ? 12 : n->first - 1;
          minute = 60 - mins;
        } else {
          hour = n->first;
          minute = mins;
        }
        pm = meridiem_at(i + 2 + n->second);
        break;
      }
    }
    size_t colon = t.find(':');
    if (colon != std::string::npos && IsDigits(t.substr(0, colon)) && IsDigits(t.substr(colon + 1)) &&
        t.size() - colon == 3) {
      int h = std::stoi(t.substr(0, colon)), m = std::stoi(t.substr(colon + 1));
      if (h <= 23 && m <= 59) {
        hour = h;
        minute = m;
        pm = meridiem_at(i + 1);
        break;
      }
    }
    auto n = NumberAt(w, i);
    if (!n || n->first < 1 || n->first > 12) continue;
    size_t after = i + n->second;
    bool anchored = i >= 1 && (w[i - 1] == "at" || w[i - 1] == "around" || w[i - 1] == "about" ||
                               w[i - 1] == "by" || w[i - 1] == "after" || w[i - 1] == "before" ||
                               w[i - 1] == "til" || w[i - 1] == "until");
    // Minutes: "nine thirty", "two fifteen", "ten oh five", "8 30".
    std::optional<int> mins;
    size_t end = after;
    if (after < w.size() && (w[after] == "oh" || w[after] == "o") && after + 1 < w.size()) {
      if (auto m = NumberAt(w, after + 1); m && m->first < 10) {
        mins = m->first;
        end = after + 1 + m->second;
      }
    } else if (auto m = NumberAt(w, after); m && m->first >= 10 && m->first <= 59 && !(IsDigits(w[after]) && w[after].size() != 2)) {
      mins = m->first;
      end = after + m->second;
    }
    auto mer = meridiem_at(end);
    bool oclock = end < w.size() && (w[end] == "o'clock" || w[end] == "oclock" ||
                                     (w[end] == "o" && end + 1 < w.size() && w[end + 1] == "clock"));
    if (mer || oclock || anchored) {
      hour = n->first;
      minute = mins.value_or(0);
      pm = mer;
      break;
    }
  }
  if (hour) {
    int h = *hour;
    if (pm.has_value()) {
      if (*pm && h < 12) h += 12;
      if (!*pm && h == 12) h = 0;
    } else if (h < 12) {
      if (r.part == DayPart::kAfternoon || r.part == DayPart::kEvening) {
        h += 12;
      } else if (r.part != DayPart::kMorning && r.part != DayPart::kFirstThing && h >= 1 && h <= 6) {
        h += 12;  // business hours: "at three" is 3 p.m.
      }
    }
    r.minute_of_day = h * 60 + minute.value_or(0);
  }

  if (r.empty() && !r.any_time) return std::nullopt;
  return r;
}

std::optional<std::string> ExtractPhone(std::string_view text, const std::string& caller_phone,
                                        const std::string& region) {
  Words w = NormalizeWords(text);
  std::string p = Padded(w);
  if (!caller_phone.empty() &&
      HasAny(p, "calling from", "this number", "same number", "this one", "caller id", "the one i'm on",
             "number i'm on", "that one", "the number you have", "number you see")) {
    return caller_phone;
  }
  // Runs of number words/digits; a run of 10 digits (or 11 starting with the region) is a number.
  std::vector<std::string> runs;
  std::string cur;
  auto digit_word = [](const std::string& t) {
    if (IsDigits(t) || t == "oh" || t == "o" || t == "double" || t == "triple" || Tens().count(t)) return true;
    auto u = Units().find(t);
    return u != Units().end() && u->second < 10;
  };
  // What a recognizer writes for a spoken digit ("five five five for four", "to two"): a digit
  // only inside a run, followed by more digits or completing one, so "for" and "to" elsewhere stay words.
  static const std::map<std::string, char> kHomophones = {{"for", '4'}, {"fore", '4'}, {"to", '2'}, {"too", '2'},
                                                          {"won", '1'}, {"ate", '8'}};
  for (size_t i = 0; i < w.size(); ++i) {
    const std::string& t = w[i];
    std::string digits;
    if (auto h = kHomophones.find(t); h != kHomophones.end() && !cur.empty() &&
        ((i + 1 < w.size() && (digit_word(w[i + 1]) || kHomophones.count(w[i + 1]))) || cur.size() == 9 ||
         cur.size() == 10)) {
      digits = std::string(1, h->second);
    } else if (IsDigits(t)) {
      digits = t;
    } else if (t == "oh" || t == "o") {
      digits = "0";
    } else if (auto u = Units().find(t); u != Units().end() && u->second < 10) {
      digits = std::to_string(u->second);
    } else if (auto tn = Tens().find(t); tn != Tens().end()) {
      if (i + 1 < w.size()) {
        if (auto u = Units().find(w[i + 1]); u != Units().end() && u->second > 0 && u->second < 10) {
          digits = std::to_string(tn->second + u->second);
          ++i;
        }
      }
      if (digits.empty()) digits = std::to_string(tn->second);
    } else if ((t == "double" || t == "triple") && i + 1 < w.size()) {
      if (auto u = Units().find(w[i + 1]); u != Units().end() && u->second < 10) {
        digits = std::string(t == "double" ? 2 : 3, static_cast<char>('0' + u->second));
        ++i;
      }
    } else if (t == "hundred" && !cur.empty()) {
      digits = "00";
    }
    if (!digits.empty()) {
      cur += digits;
    } else if (t != "and" && t != "dash") {
      if (!cur.empty()) runs.push_back(cur);
      cur.clear();
    }
  }
  if (!cur.empty()) runs.push_back(cur);
  for (const auto& run : runs) {
    if (run.size() == 10 && run[0] != '0' && run[0] != '1') return "+" + region + run;
    if (run.size() == 11 && run.substr(0, region.size()) == region) return "+" + run;
  }
  return std::nullopt;
}

std::optional<std::string> ExtractName(std::string_view text, bool expecting_name) {
  Words w = NormalizeWords(text);
  // Recognizers write a trailing possessive ("john smith's") that no caller means.
  auto strip_possessive = [](Words name) {
    if (!name.empty() && name.back().size() > 3 && name.back().ends_with("'s")) name.back().resize(name.back().size() - 2);
    return name;
  };
  auto take_from = [&](size_t i) -> std::optional<std::string> {
    Words name;
    while (i < w.size() && name.size() < 3 && NameWord(w[i])) name.push_back(w[i++]);
    if (name.empty()) return std::nullopt;
    return TitleCase(strip_possessive(name));
  };
  for (size_t i = 0; i + 1 < w.size(); ++i) {
    if (w[i] == "name" && (w[i + 1] == "is" || w[i + 1] == "'s")) {
      if (auto n = take_from(i + 2)) return n;
    }
    if (w[i] == "name's") {
      if (auto n = take_from(i + 1)) return n;
    }
    if (w[i] == "this" && w[i + 1] == "is" && (i == 0 || w[i - 1] == "hi" || w[i - 1] == "hello" || w[i - 1] == "yes" || w[i - 1] == "hey")) {
      if (auto n = take_from(i + 2)) return n;
    }
    if ((w[i] == "call" && w[i + 1] == "me")) {
      if (auto n = take_from(i + 2)) return n;
    }
  }
  if (!expecting_name) return std::nullopt;
  // The answer to "what's your name?": "It's Maria Lopez", "Bob Lee", "Sure, John Smith".
  size_t i = 0;
  while (i < w.size() && (w[i] == "it's" || w[i] == "its" || w[i] == "it" || w[i] == "is" || w[i] == "sure" ||
                          w[i] == "yes" || w[i] == "yeah" || w[i] == "ok" || w[i] == "okay" || w[i] == "um" ||
                          w[i] == "uh" || w[i] == "i'm" || w[i] == "im" || w[i] == "this" || w[i] == "my" ||
                          w[i] == "name" || w[i] == "hi" || w[i] == "hello" || w[i] == "well")) {
    ++i;
  }
  Words name;
  while (i < w.size() && NameWord(w[i]) && name.size() < 3) name.push_back(w[i++]);
  // Allow a trailing courtesy ("John Smith, thanks").
  while (i < w.size() && (w[i] == "thanks" || w[i] == "please" || w[i] == "thank" || w[i] == "you" || w[i] == "here")) ++i;
  if (name.empty() || i != w.size()) return std::nullopt;
  return TitleCase(strip_possessive(name));
}

std::optional<std::string> ExtractLeadingName(std::string_view text) {
  Words w = NormalizeWords(text);
  if (w.empty() || w.size() > 5) return std::nullopt;
  size_t i = 0;
  // Fillers, and the articles a recognizer puts in place of a first name it lost ("Ada Moss"
  // over a phone line: "a the moss"): the surname that survives is still worth reading back.
  while (i < w.size() && (w[i] == "it's" || w[i] == "its" || w[i] == "um" || w[i] == "uh" || w[i] == "i'm" ||
                          w[i] == "im" || w[i] == "this" || w[i] == "is" || w[i] == "yes" || w[i] == "yeah" ||
                          w[i] == "a" || w[i] == "an" || w[i] == "the" || w[i] == "and")) {
    ++i;
  }
  Words name;
  while (i < w.size() && NameWord(w[i]) && name.size() < 3) name.push_back(w[i++]);
  if (name.empty() || name.front().size() < 2) return std::nullopt;
  return TitleCase(name);
}

std::optional<size_t> NameSoundingLike(std::string_view text, const std::vector<std::string>& first_names) {
  const auto words = NormalizeWords(text);
  std::string after;
  for (size_t i = 0; i + 1 < words.size(); ++i)
    if (words[i] == "for") after = words[i + 1];
  static const std::set<std::string> kNotAName = {"the", "a", "an", "my", "our", "her", "his", "that", "this"};
  if (after.empty() || kNotAName.count(after) || !std::isalpha(static_cast<unsigned char>(after[0]))) return std::nullopt;
  std::optional<size_t> pick;
  for (size_t i = 0; i < first_names.size(); ++i) {
    if (first_names[i].empty() || std::tolower(static_cast<unsigned char>(first_names[i][0])) != after[0]) continue;
    if (pick) return std::nullopt;  // two names start that way: not a pick
    pick = i;
  }
  return pick;
}

std::optional<std::string> NameAsHeard(std::string_view text) {
  Words w = NormalizeWords(text);
  if (w.empty() || w.size() > 6) return std::nullopt;
  static const std::set<std::string> kFillers = {"it's", "its", "it", "is", "um", "uh", "i'm", "im", "i", "this",
                                                 "my", "name", "name's", "yes", "yeah", "a", "an", "the", "and",
                                                 "please", "thanks", "thank", "you", "sure", "okay", "ok"};
  Words name;
  size_t letters = 0;
  for (const auto& word : w) {
    if (kFillers.count(word) || name.size() == 3) continue;
    if (!std::all_of(word.begin(), word.end(), [](unsigned char c) { return std::isalpha(c) || c == '\''; }) ||
        Units().count(word) || Tens().count(word) || Weekdays().count(word) || Months().count(word))
      return std::nullopt;  // a number, a time or a day: not a name
    name.push_back(word);
    letters += word.size();
  }
  if (name.empty() || letters < 2) return std::nullopt;
  return TitleCase(name);
}

std::string WrittenClockTimes(std::string_view text) {
  std::vector<std::string> tokens;
  for (size_t i = 0; i < text.size();) {
    size_t j = text.find(' ', i);
    if (j == std::string_view::npos) j = text.size();
    if (j > i) tokens.emplace_back(text.substr(i, j - i));
    i = j + 1;
  }
  // A token without case and trailing punctuation, and that punctuation.
  auto core = [&](size_t k) {
    std::string c = k < tokens.size() ? tokens[k] : std::string();
    while (!c.empty() && std::strchr(".,!?;", c.back())) c.pop_back();
    for (auto& ch : c) ch = static_cast<char>(std::tolower(static_cast<unsigned char>(ch)));
    return c;
  };
  auto tail = [&](size_t k) {
    const std::string& t = tokens[k];
    size_t end = t.size();
    while (end > 0 && std::strchr(".,!?;", t[end - 1])) --end;
    return t.substr(end);
  };
  auto number = [](const std::string& w) -> int {
    if (auto u = Units().find(w); u != Units().end()) return u->second;
    if (!w.empty() && w.size() <= 2 && std::all_of(w.begin(), w.end(), [](unsigned char c) { return std::isdigit(c); }))
      return std::stoi(w);
    return -1;
  };
  std::vector<std::string> out;
  for (size_t i = 0; i < tokens.size(); ++i) {
    const int hour = number(core(i));
    size_t j = i + 1;
    int minute = 0;
    if (hour >= 1 && hour <= 12) {
      if (core(j) == "oh" && number(core(j + 1)) >= 1 && number(core(j + 1)) <= 9) {
        minute = number(core(j + 1));
        j += 2;
      } else if (auto tn = Tens().find(core(j)); tn != Tens().end() && tn->second <= 50) {
        minute = tn->second;
        ++j;
        if (int u = number(core(j)); u >= 1 && u <= 9) minute += u, ++j;
      } else if (int m = number(core(j)); m >= 10 && m <= 19 && core(j).size() > 2) {
        minute = m;  // "fifteen"
        ++j;
      }
      std::string half;
      const std::string a = core(j), b = core(j + 1);
      if ((a == "a" || a == "p") && b == "m") half = a == "a" ? "AM" : "PM", j += 2;
      else if (a == "am" || a == "a.m" || a == "pm" || a == "p.m") half = a[0] == 'a' ? "AM" : "PM", ++j;
      if (!half.empty()) {
        const int hour24 = hour % 12 + (half == "PM" ? 12 : 0);
        out.push_back(SayClock(hour24 * 60 + minute) + tail(j - 1));  // how the agent says times too
        i = j - 1;
        continue;
      }
    }
    out.push_back(tokens[i]);
  }
  return Join(out);
}

std::optional<std::string> ExtractAddress(std::string_view text, bool expecting_address) {
  Words w = NormalizeWords(text);
  for (size_t i = 0; i < w.size(); ++i) {
    // House number: digits, or words ("twelve hundred", "forty five").
    std::string number;
    size_t k = i;
    if (IsDigits(w[i]) && w[i].size() <= 6) {
      number = w[i];
      k = i + 1;
    } else if (auto n = NumberAt(w, i)) {
      int value = n->first;
      k = i + n->second;
      if (k < w.size() && w[k] == "thousand") {  // "one thousand two hundred" (as ASR writes 1200)
        value *= 1000;
        ++k;
        if (auto more = NumberAt(w, k); more && k + more->second < w.size() && w[k + more->second] == "hundred") {
          value += more->first * 100;
          k += more->second + 1;
        }
        if (auto rest = NumberAt(w, k); rest && !(k + rest->second < w.size() && w[k + rest->second] == "hundred")) {
          value += rest->first;
          k += rest->second;
        }
      } else if (k < w.size() && w[k] == "hundred") {
        value *= 100;
        ++k;
        if (auto rest = NumberAt(w, k)) {
          value += rest->first;
          k += rest->second;
        }
      }
      number = std::to_string(value);
    } else {
      continue;
    }
    Words street;
    size_t j = k;
    while (j < w.size() && street.size() < 5 && !IsDigits(w[j])) {
      street.push_back(w[j]);
      if (StreetSuffixes().count(w[j])) break;
      ++j;
    }
    bool has_suffix = !street.empty() && StreetSuffixes().count(street.back());
    if (!has_suffix && !(expecting_address && !street.empty() && std::all_of(street.begin(), street.end(), [](const std::string& s) {
          return std::all_of(s.begin(), s.end(), [](unsigned char c) { return std::isalpha(c); });
        }))) {
      continue;
    }
    if (street.size() < 1 || (has_suffix && street.size() < 2)) continue;
    std::string out = number + " " + TitleCase(street);
    size_t after = k + street.size();
    if (after + 1 < w.size() && (w[after] == "apartment" || w[after] == "apt" || w[after] == "unit" || w[after] == "suite")) {
      std::string unit = w[after + 1];
      if (auto n = NumberAt(w, after + 1)) unit = std::to_string(n->first);
      out += " " + TitleCase({w[after]}) + " " + unit;
    }
    return out;
  }
  return std::nullopt;
}

// The service whose name, id or synonym is the longest phrase in `w` (singular words).
static std::optional<std::string> BestService(const Words& w, const std::vector<ServiceRef>& services);

std::optional<std::string> ExtractService(std::string_view text, const std::vector<ServiceRef>& services) {
  Words w = JoinLetters(NormalizeWords(text));
  for (auto& word : w) word = Singular(word);
  auto found = BestService(w, services);
  if (found) return found;
  // A recognizer writes the homophone ("check my breaks"): tried only when nothing matched as heard.
  static const std::map<std::string, std::string> kHomophones = {{"break", "brake"}, {"tyre", "tire"}};
  bool changed = false;
  for (auto& word : w)
    if (auto h = kHomophones.find(word); h != kHomophones.end()) word = h->second, changed = true;
  return changed ? BestService(w, services) : std::nullopt;
}

static std::optional<std::string> BestService(const Words& w, const std::vector<ServiceRef>& services) {
  std::string p = Padded(w);
  std::optional<std::string> best;
  size_t best_len = 0;
  for (const auto& s : services) {
    std::vector<std::string> phrases = s.synonyms;
    phrases.push_back(s.name);
    phrases.push_back(s.id);
    for (const auto& phrase : phrases) {
      Words pw = JoinLetters(NormalizeWords(phrase));
      for (auto& word : pw) word = Singular(word);
      if (pw.empty()) continue;
      std::string joined = Join(pw);
      size_t len = pw.size() * 1000 + joined.size();  // more words first, then more letters
      if (HasPhrase(p, joined) && len > best_len) {
        best = s.id;
        best_len = len;
      }
    }
  }
  return best;
}

std::optional<std::string> ExtractStaff(std::string_view text, const std::vector<std::string>& staff) {
  Words w = NormalizeWords(text);
  std::string p = Padded(w);
  for (const auto& name : staff) {
    Words nw = NormalizeWords(name);
    if (nw.empty()) continue;
    if (HasPhrase(p, Join(nw))) return name;
    // First name alone ("with Ana") for people, not for "Tech 1" style resources.
    if (nw.size() >= 2 && !IsDigits(nw.back()) && HasPhrase(p, nw[0])) return name;
  }
  if (HasAny(p, "anyone", "anybody", "no preference", "doesn't matter", "does not matter", "whoever",
             "don't care", "either", "any of them", "anyone is fine", "whoever is free", "no one in particular")) {
    return std::string("any");
  }
  return std::nullopt;
}

std::optional<Vehicle> ExtractVehicle(std::string_view text) {
  Words w = NormalizeWords(text);
  for (size_t i = 0; i < w.size(); ++i) {
    if (!CarMakes().count(w[i])) continue;
    Vehicle v;
    v.make = w[i] == "chevy" ? "Chevrolet" : w[i] == "vw" ? "Volkswagen" : TitleCase({w[i]});
    if (w[i] == "bmw" || w[i] == "gmc") {
      v.make = w[i];
      std::transform(v.make.begin(), v.make.end(), v.make.begin(), ::toupper);
    }
    Words model;
    for (size_t k = i + 1; k < w.size() && model.size() < 2; ++k) {
      if (NameStopWords().count(w[k]) && !IsDigits(w[k])) break;
      model.push_back(w[k]);
    }
    v.model = TitleCase(model);
    // Year before the make: "2015", "twenty eighteen", "two thousand fifteen".
    if (i >= 1 && IsDigits(w[i - 1]) && w[i - 1].size() == 4) {
      v.year = std::stoi(w[i - 1]);
    } else if (i >= 2) {
      auto hi = NumberAt(w, i - 2), lo = NumberAt(w, i - 1);
      if (i >= 3 && w[i - 3] == "two" && w[i - 2] == "thousand" && lo) v.year = 2000 + lo->first;
      else if (w[i - 2] == "thousand" && lo) v.year = 2000 + lo->first;
      else if (hi && lo && hi->second == 1 && (hi->first == 19 || hi->first == 20)) v.year = hi->first * 100 + lo->first;
      if (i >= 3 && !v.year) {
        auto h3 = NumberAt(w, i - 3);
        auto l2 = NumberAt(w, i - 2);
        if (h3 && l2 && l2->second == 2 && (h3->first == 19 || h3->first == 20)) v.year = h3->first * 100 + l2->first;
      }
    }
    if (v.year && (v.year < 1950 || v.year > 2035)) v.year = 0;
    return v;
  }
  return std::nullopt;
}

std::optional<int> ExtractChoice(std::string_view text) {
  Words w = NormalizeWords(text);
  std::string p = Padded(w);
  if (HasAny(p, "first", "1st", "option one", "option 1", "number one", "the earlier one", "earlier one", "the early one", "either", "either one", "any of them")) return 0;
  if (HasAny(p, "second", "2nd", "option two", "option 2", "number two", "the later one", "later one", "last one", "the other one")) return 1;
  if (HasAny(p, "third", "3rd", "option three", "option 3", "number three")) return 2;
  return std::nullopt;
}

std::optional<std::string> DigitsOnly(std::string_view text) {
  std::string out;
  for (char c : text) {
    if (std::isdigit(static_cast<unsigned char>(c))) {
      out += c;
    } else if (c != '#' && c != ' ' && c != '-') {
      return std::nullopt;
    }
  }
  if (out.empty()) return std::nullopt;
  return out;
}

// The whole turn asks the agent to say it again ("Sorry, what?", "Could you repeat that
// please?", "Pardon?"); courtesy words around it do not count, anything else does.
static bool IsRepeatRequest(const Words& w) {
  static const std::set<std::string> kCourtesy = {"sorry", "um", "uh", "oh", "hmm", "please", "again", "ma'am",
                                                  "sir", "i'm", "im"};
  static const std::set<std::string> kAsks = {
      "what", "what's that", "what was that", "what did you say", "what did you just say", "what'd you say",
      "pardon", "pardon me", "excuse me", "come", "huh", "say that", "say", "repeat", "repeat that",
      "can you repeat", "can you repeat that", "could you repeat", "could you repeat that", "can you say that",
      "could you say that", "one more time", "i didn't catch that", "i didn't get that", "i didn't hear you",
      "i didn't hear that", "i can't hear you", "you broke up", "you cut out"};
  size_t from = 0, to = w.size();
  bool sorry = false;
  for (; from < to && kCourtesy.count(w[from]); ++from) sorry |= w[from] == "sorry";
  for (; to > from && kCourtesy.count(w[to - 1]); --to) sorry |= w[to - 1] == "sorry";
  if (from == to) return sorry && w.size() <= 2;  // "Sorry?" alone
  return kAsks.count(Join(w, from, to)) > 0;
}

Understanding Understand(std::string_view utterance, const NluContext& ctx) {
  Understanding u;
  Words w = NormalizeWords(utterance);
  if (w.empty()) return u;
  std::string p = Padded(w);
  const std::string& exp = ctx.expecting;

  u.phone = ExtractPhone(utterance, ctx.caller_phone, ctx.default_region);
  u.time = ExtractTime(utterance, ctx.now);
  // pocketsphinx hears "Thursday at three" as "first day at three" (flite's voice, both
  // transports): tried only when no day was heard.
  if ((!u.time || !u.time->date) && HasAny(p, "first day at")) {
    std::string fixed = p;
    fixed.replace(fixed.find(" first day at "), 14, " thursday at ");
    if (auto t = ExtractTime(fixed, ctx.now); t && t->date) u.time = t;
  }
  u.service_id = ExtractService(utterance, ctx.services);
  u.staff = ExtractStaff(utterance, ctx.staff);
  u.vehicle = ExtractVehicle(utterance);
  u.address = ExtractAddress(utterance, exp == "address");
  u.name = ExtractName(utterance, exp == "name");
  if (exp == "alternative" || exp == "choice" || exp == "time") u.choice = ExtractChoice(utterance);
  // A bare hour answers "what time?": "nine", "2".
  if ((exp == "time" || exp == "alternative") && (!u.time || !u.time->minute_of_day) && w.size() <= 3) {
    for (size_t i = 0; i < w.size(); ++i) {
      if (auto n = NumberAt(w, i); n && n->first >= 1 && n->first <= 12 && i + n->second >= w.size()) {
        TimeRequest t = u.time.value_or(TimeRequest{});
        int h = n->first;
        if (h >= 1 && h <= 6 && t.part != DayPart::kMorning) h += 12;
        t.minute_of_day = h * 60;
        u.time = t;
        break;
      }
    }
  }
  // The phone answer is not also a time or an address.
  if (u.phone && exp == "phone") {
    u.time.reset();
    u.address.reset();
  }

  static const char* kUrgent[] = {"no heat", "no heating", "no ac", "no air", "water everywhere",
                                  "severe pain", "really bad", "bleeding", "gas", "leak", "leaking",
                                  "flooding", "flooded", "urgent", "emergency", "carbon monoxide",
                                  "burst", "smoke", "sparks", "swollen", "broken", "cracked", "stranded"};
  for (const char* word : kUrgent) {
    if (HasPhrase(p, word)) u.urgency_words.push_back(word);
  }

  auto add = [&](Intent i) {
    if (!u.has(i)) u.intents.push_back(i);
  };
  const bool emergency = HasAny(p, "emergency", "gas smell", "smell gas", "smell of gas", "smells like gas",
                                "gas leak", "carbon monoxide", "flooding", "flooded", "water everywhere",
                                "burst pipe", "severe pain", "bleeding", "on fire", "smoke");
  if (emergency) add(Intent::kEmergency);
  if (HasAny(p, "real person", "a human", "representative", "operator", "receptionist", "live person",
             "transfer me", "speak to someone", "talk to someone", "speak with someone", "talk with someone",
             "speak to a person", "talk to a person", "speak to somebody", "talk to somebody",
             "speak to the owner", "talk to the owner", "speak to a manager", "talk to a manager", "human",
             "speak with a", "speak with the", "talk with a", "talk with the")) {
    add(Intent::kHuman);
  }
  if (HasAny(p, "leave a message", "take a message", "leave a voicemail", "voicemail", "leave him a message",
             "leave her a message", "message for")) {
    add(Intent::kLeaveMessage);
  }
  if (HasAny(p, "reschedule", "move my appointment", "change my appointment", "move my", "push back my",
             "different time for my", "can't make it", "cant make it", "cannot make it", "can't make my",
             "won't be able to make", "not be able to make", "push my", "postpone")) {
    add(Intent::kReschedule);
  }
  if (HasAny(p, "cancel", "cancelling", "canceling", "call off my")) add(Intent::kCancel);

  const std::string first = w[0];
  const bool no_word = first == "no" || first == "nope" || first == "nah" ||
                       HasAny(p, "not really", "no thanks", "no thank you", "neither", "don't work",
                              "doesn't work", "won't work", "does not work", "none of", "that's not",
                              "that is not", "not right", "wrong");
  if (no_word && HasAny(p, "i said", "i meant", "i mean", "actually", "not", "it's", "it was")) {
    if (u.time || u.name || u.phone || u.service_id || u.address || u.staff) add(Intent::kCorrection);
  }
  if (!no_word && HasAny(p, "i said", "i meant", "actually i") && (u.time || u.name || u.phone || u.service_id)) {
    add(Intent::kCorrection);
  }
  if (no_word) add(Intent::kNo);
  const bool yes_word = first == "yes" || first == "yeah" || first == "yep" || first == "yup" ||
                        first == "sure" || first == "correct" || first == "ok" || first == "okay" ||
                        first == "absolutely" || first == "perfect" || first == "great" || first == "right" ||
                        HasAny(p, "that's right", "that is right", "that's correct", "sounds good",
                               "that works", "works for me", "please do", "go ahead", "yes please", "of course",
                               "that's fine", "is fine", "fine", "definitely");
  if (yes_word && !no_word) add(Intent::kYes);
  if (HasAny(p, "bye", "goodbye", "that's all", "that is all", "nothing else", "that's it", "that is it",
             "have a good", "i'm good", "im good", "all set")) {
    add(Intent::kGoodbye);
  }
  const bool booking_words = HasAny(p, "book", "appointment", "schedule", "come out", "come in", "can i get",
                                    "i'd like", "i would like", "i need", "i want", "do you have anything",
                                    "anything for", "available", "availability", "opening", "openings",
                                    "fix", "look at", "see me", "set up", "get in", "come by", "make an");
  const bool question_form = utterance.find('?') != std::string_view::npos ||
                             first == "what" || first == "what's" || first == "when" || first == "where" ||
                             first == "how" || first == "do" || first == "does" || first == "are" ||
                             first == "is" || first == "can" || first == "could" || first == "which" ||
                             first == "who" || first == "will";
  const bool slot_request = u.service_id.has_value() || (u.time.has_value() && !u.time->any_time) ;
  const bool faq_form = HasAny(p, "how much", "what are your", "what is your", "what's your", "do you take",
                               "do you accept", "are you open", "when are you", "where are you", "is there",
                               "do you have a", "do you guys have", "do you offer", "do you do", "do you serve",
                               "what do you", "how long", "how far", "do you work", "policy", "hours",
                               "price", "cost", "insurance", "parking", "walk in", "walk ins", "loaner", "shuttle",
                               "what time do you", "what time are you", "when do you", "do you close", "you close",
                               "you open", "are you closed");
  if ((question_form || faq_form) && !u.has(Intent::kEmergency) && !u.has(Intent::kHuman) &&
      !u.has(Intent::kLeaveMessage) && (faq_form || !(booking_words || slot_request))) {
    add(Intent::kQuestion);
    u.faq_query = Join(w);
  }
  if (HasAny(p, "not sure", "don't know", "dont know", "dunno", "no idea", "i'm not sure", "whatever works",
             "no clue", "can't remember")) {
    add(Intent::kDontKnow);
  }
  u.asks_to_book = booking_words;
  if (booking_words || slot_request || (u.time && u.time->asap)) add(Intent::kBook);
  if (u.faq_query.empty()) u.faq_query = Join(w);
  if (IsRepeatRequest(w)) u.intents.insert(u.intents.begin(), Intent::kRepeat);  // strongest: nothing else was said
  return u;
}

}  // namespace infini::dialogue

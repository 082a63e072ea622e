#include "providers/biasing.h"

#include <algorithm>
#include <cctype>
#include <set>

#include <fmt/format.h>

namespace infini::providers {
namespace {

const char* kOnes[] = {"zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine",
                       "ten", "eleven", "twelve", "thirteen", "fourteen", "fifteen", "sixteen",
                       "seventeen", "eighteen", "nineteen"};
const char* kTens[] = {"", "", "twenty", "thirty", "forty", "fifty", "sixty", "seventy", "eighty", "ninety"};

void NumberWords(long n, std::vector<std::string>& out) {
  if (n >= 1000000) {  // long digit strings (phone numbers): digit by digit
    for (char c : std::to_string(n)) out.push_back(kOnes[c - '0']);
    return;
  }
  if (n >= 1000) {
    NumberWords(n / 1000, out);
    out.push_back("thousand");
    n %= 1000;
    if (n == 0) return;
  }
  if (n >= 100) {
    out.push_back(kOnes[n / 100]);
    out.push_back("hundred");
    n %= 100;
    if (n == 0) return;
  }
  if (n < 20) {
    out.push_back(kOnes[n]);
  } else {
    out.push_back(kTens[n / 10]);
    if (n % 10) out.push_back(kOnes[n % 10]);
  }
}

}  // namespace

std::vector<std::string> NormalizeWords(std::string_view phrase) {
  std::vector<std::string> words;
  std::string word;
  auto flush = [&] {
    if (word.empty()) return;
    if (std::all_of(word.begin(), word.end(), [](char c) { return std::isdigit(static_cast<unsigned char>(c)); })) {
      if (word.size() > 9) {
        for (char c : word) words.push_back(kOnes[c - '0']);
      } else {
        NumberWords(std::stol(word), words);
      }
    } else if (word == "dr") {
      words.push_back("doctor");
    } else if (word == "mr") {
      words.push_back("mister");
    } else if (word == "st") {
      words.push_back("street");
    } else {
      while (!word.empty() && word.back() == '\'') word.pop_back();
      while (!word.empty() && word.front() == '\'') word.erase(word.begin());
      if (!word.empty()) words.push_back(word);
    }
    word.clear();
  };
  for (size_t i = 0; i < phrase.size(); ++i) {
    const unsigned char c = static_cast<unsigned char>(phrase[i]);
    const bool was_digit = !word.empty() && std::isdigit(static_cast<unsigned char>(word.back()));
    if (std::isalpha(c) || c == '\'') {
      if (was_digit) flush();  // "3pm" -> "three" "pm"
      word += static_cast<char>(std::tolower(c));
    } else if (std::isdigit(c)) {
      if (!word.empty() && !was_digit) flush();
      word += static_cast<char>(c);
    } else {
      flush();
    }
  }
  flush();
  return words;
}

const std::vector<std::string>& CommonBookingPhrases() {
  static const std::vector<std::string> phrases = [] {
    std::vector<std::string> p = {
        // answers
        "yes", "yeah", "yep", "no", "nope", "sure", "okay", "correct", "that's right", "right",
        "please", "thank you", "thanks", "bye", "goodbye", "hello", "hi",
        // intents and carrier words
        "i'd like", "i would like", "i want", "i need", "can i", "could i", "get", "book", "make",
        "schedule", "appointment", "reschedule", "cancel", "change", "move", "an", "a", "the", "to",
        "for", "on", "at", "in", "with", "my", "me", "is", "it", "this", "that", "next", "name",
        "my name is", "phone", "number", "available", "open", "hours", "price", "how much",
        "what", "when", "time", "day", "speak", "talk", "someone", "person", "human", "help",
        // days and times
        "monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday",
        "today", "tomorrow", "morning", "afternoon", "evening", "noon", "midnight", "o'clock",
        "a m", "p m", "am", "pm", "half past", "quarter", "thirty", "fifteen", "forty five",
        "week", "weekend", "earlier", "later", "first", "last", "any", "anytime", "oh",
    };
    for (int n = 0; n <= 31; ++n) {
      std::vector<std::string> w;
      NumberWords(n, w);
      std::string s;
      for (auto& x : w) s += (s.empty() ? "" : " ") + x;
      p.push_back(s);
    }
    for (const char* o : {"first", "second", "third", "fourth", "fifth", "sixth", "seventh", "eighth",
                          "ninth", "tenth", "eleventh", "twelfth", "thirteenth", "fourteenth", "fifteenth",
                          "twentieth", "thirtieth"})
      p.push_back(o);
    for (int t : {40, 50, 60, 70, 80, 90, 100}) {
      std::vector<std::string> w;
      NumberWords(t, w);
      p.push_back(w.size() == 1 ? w[0] : w[0] + " " + w[1]);
    }
    return p;
  }();
  return phrases;
}

BiasGrammar BuildBiasGrammar(const std::vector<std::string>& phrases,
                             const std::function<bool(const std::string&)>& known) {
  std::set<std::string> items;
  std::set<std::string> words;
  auto add = [&](const std::string& phrase) {
    std::vector<std::string> w = NormalizeWords(phrase);
    if (w.empty()) return;
    for (const auto& x : w)
      if (!known(x)) return;
    std::string joined;
    for (const auto& x : w) {
      joined += (joined.empty() ? "" : " ") + x;
      words.insert(x);
    }
    items.insert(joined);
    // Each word also stands alone, so partial phrases ("blow" of "blow dry") still parse.
    for (const auto& x : w) items.insert(x);
  };
  for (const auto& p : phrases) add(p);
  for (const auto& p : CommonBookingPhrases()) add(p);

  BiasGrammar g;
  std::string alternatives;
  for (const auto& item : items) alternatives += (alternatives.empty() ? "" : " | ") + item;
  g.jsgf = fmt::format("#JSGF V1.0;\ngrammar bias;\npublic <utterance> = <item>+;\n<item> = {};\n",
                       alternatives);
  g.words.assign(words.begin(), words.end());
  return g;
}

}  // namespace infini::providers

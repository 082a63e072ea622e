#include "providers/biasing.h"

#include "providers/common_names.h"

#include <algorithm>
#include <cctype>
#include <cmath>
#include <map>

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

// Every first name after the carriers a caller uses and before a few surnames, and every surname
// after a few first names, so the bigrams "is <first>", "<first> <surname>" and "<surname> </s>"
// all exist without listing every pair (backoff covers the rest).
void AddNameSentences(std::vector<std::string>& out) {
  const auto first = CommonFirstNames();
  const auto last = CommonSurnames();
  static const char* kCarriers[] = {"my name is {} {}", "it's {} {}", "this is {} {}", "{} {}", "the name is {} {}",
                                    "yes it's {} {}"};
  for (size_t i = 0; i < first.size(); ++i) {
    for (size_t k = 0; k < 3; ++k) {
      const auto& surname = last[(i * 7 + k * 31) % last.size()];
      out.push_back(fmt::format(fmt::runtime(kCarriers[(i + k) % std::size(kCarriers)]), first[i], surname));
    }
    out.push_back(fmt::format("{}", first[i]));
  }
  for (size_t j = 0; j < last.size(); ++j) {
    out.push_back(fmt::format("{} {}", first[(j * 11) % first.size()], last[j]));
    out.push_back(fmt::format("my last name is {}", last[j]));
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


std::vector<std::string> BiasCorpus(const std::vector<std::string>& phrases, const BiasCorpusOptions& options) {
  static const char* kDays[] = {"monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday",
                                "today", "tomorrow"};
  static const char* kParts[] = {"morning", "afternoon", "evening"};
  static const char* kHours[] = {"one", "two", "three", "four", "five", "six", "seven", "eight", "nine",
                                 "ten", "eleven", "twelve"};
  static const char* kMinutes[] = {"", " o'clock", " thirty", " fifteen", " forty five", " a m", " p m",
                                   " thirty a m", " thirty p m"};
  static const char* kServiceCarriers[] = {
      "i'd like to book a {}", "i'd like a {}", "i would like to schedule a {}", "can i get a {}",
      "i need a {}", "i want a {}", "a {} please", "{}", "book a {}", "do you do {}", "how much is a {}",
      "i need someone for {}", "i'd like to make an appointment for a {}"};
  std::vector<std::string> out;
  std::vector<std::string> times;
  for (const char* h : kHours)
    for (const char* m : kMinutes) times.push_back(std::string(h) + m);
  times.push_back("noon");
  for (const auto& phrase : phrases) {
    std::string p;
    for (const auto& w : NormalizeWords(phrase)) p += (p.empty() ? "" : " ") + w;
    if (p.empty()) continue;
    for (const char* c : kServiceCarriers) out.push_back(fmt::format(fmt::runtime(c), p));
    out.push_back("with " + p);
    out.push_back("can i see " + p);
    out.push_back("is " + p + " available");
  }
  for (const char* d : kDays) {
    const std::string day = d;
    out.push_back(day);
    out.push_back("on " + day);
    out.push_back("next " + day);
    out.push_back("this " + day);
    out.push_back("do you have anything " + day);
    out.push_back("what about " + day);
    for (const char* part : kParts) out.push_back(day + " " + part);
    for (const char* part : kParts) out.push_back(day + " " + part + " works for me");
    for (size_t i = 0; i < times.size(); i += 3) out.push_back("on " + day + " at " + times[i]);
  }
  for (const auto& t : times) {
    out.push_back(t);
    out.push_back("at " + t);
    out.push_back("yes " + t + " works for me");
    out.push_back("how about " + t);
  }
  for (const char* part : kParts) {
    // The best time for a call back: "any weekday morning", "weekday afternoons".
    out.push_back(std::string("any weekday ") + part);
    out.push_back(std::string("weekday ") + part + "s");
    out.push_back(std::string("any ") + part);
    out.push_back(std::string("in the ") + part);
    out.push_back(std::string("anything in the ") + part);
    out.push_back(std::string("do you have anything ") + part);
  }
  for (const char* s : {"yes", "yeah", "yes please", "no", "no thanks", "no thank you", "that's right",
                        "yes that's right", "that works", "yes that works", "sounds good", "that works for me",
                        "correct", "okay", "sure", "perfect", "thank you", "goodbye", "can i talk to a person",
                        "i want to cancel my appointment", "i need to reschedule", "what are your hours",
                        "my name is", "my number is", "my phone number is", "any time", "anytime", "any day",
                        "weekdays", "on the weekend", "after work", "after five", "before noon", "any time after three"})
    out.push_back(s);
  for (const char* a : kHours) out.push_back(std::string("my number is five five five ") + a);
  if (options.common_names) AddNameSentences(out);
  return out;
}

std::string BuildArpaBigram(const std::vector<std::string>& sentences,
                            const std::function<bool(const std::string&)>& known) {
  constexpr double kDiscount = 0.5;
  std::map<std::string, double> unigram;
  std::map<std::string, std::map<std::string, double>> bigram;
  for (const auto& s : sentences) {
    std::vector<std::string> words{"<s>"};
    for (auto& w : NormalizeWords(s))
      if (known(w)) words.push_back(w);
    if (words.size() == 1) continue;
    words.push_back("</s>");
    for (size_t i = 0; i < words.size(); ++i) {
      unigram[words[i]] += 1;
      if (i > 0) bigram[words[i - 1]][words[i]] += 1;
    }
  }
  double total = 0;
  for (const auto& [w, c] : unigram)
    if (w != "<s>") total += c;
  const double vocab = static_cast<double>(unigram.size());
  std::map<std::string, double> p_uni;
  for (const auto& [w, c] : unigram) p_uni[w] = (c + 1) / (total + vocab);
  size_t n_bigrams = 0;
  for (const auto& [w, next] : bigram) n_bigrams += next.size();

  std::string arpa = fmt::format("\\data\\\nngram 1={}\nngram 2={}\n\n\\1-grams:\n", unigram.size(), n_bigrams);
  for (const auto& [w, c] : unigram) {
    const double logp = w == "<s>" ? -99.0 : std::log10(p_uni[w]);
    auto next = bigram.find(w);
    if (next == bigram.end()) {
      arpa += fmt::format("{:.4f} {}\n", logp, w);
      continue;
    }
    double context = 0, seen_uni = 0;
    for (const auto& [w2, c2] : next->second) {
      context += c2;
      seen_uni += p_uni[w2];
    }
    const double left = kDiscount * static_cast<double>(next->second.size()) / context;
    const double alpha = left / std::max(1e-9, 1.0 - seen_uni);
    arpa += fmt::format("{:.4f} {} {:.4f}\n", logp, w, std::log10(alpha));
  }
  arpa += "\n\\2-grams:\n";
  for (const auto& [w1, next] : bigram) {
    double context = 0;
    for (const auto& [w2, c2] : next) context += c2;
    for (const auto& [w2, c2] : next)
      arpa += fmt::format("{:.4f} {} {}\n", std::log10((c2 - kDiscount) / context), w1, w2);
  }
  arpa += "\n\\end\\\n";
  return arpa;
}

}  // namespace infini::providers

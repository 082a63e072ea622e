// Business biasing for the embedded recognizer: plain phrase lists -> a JSGF word/phrase
// loop over the business vocabulary plus the words every booking needs (numbers, days,
// times, yes/no, carrier words). Pure functions; thread-safe.
#pragma once

#include <functional>
#include <string>
#include <string_view>
#include <vector>

namespace infini::providers {

// Lower-case words of `phrase` as the recognizer spells them: digits become number words
// ("24" -> "twenty four"), "dr." -> "doctor", punctuation except apostrophes is dropped,
// hyphens split words ("x-ray" -> "x ray").
std::vector<std::string> NormalizeWords(std::string_view phrase);

// Words and phrases callers use in any booking call, added to every biased grammar.
const std::vector<std::string>& CommonBookingPhrases();

struct BiasGrammar {
  std::string jsgf;                       // "#JSGF V1.0; grammar bias; public <utterance> = ..."
  std::vector<std::string> words;         // every word the grammar uses, sorted, unique
};

// `known(word)` says whether the recognizer can pronounce a word; phrases containing a
// word it cannot are dropped (the caller adds pronunciations first, e.g. via g2p).
BiasGrammar BuildBiasGrammar(const std::vector<std::string>& phrases,
                             const std::function<bool(const std::string&)>& known);

}  // namespace infini::providers

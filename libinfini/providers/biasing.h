// Business biasing for the embedded recognizer: plain phrase lists (services, synonyms,
// staff names) -> in-domain sentences (with days, times, numbers, yes/no) -> a small bigram
// LM that the recognizer interpolates with its generic LM. Pure functions; thread-safe.
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

struct BiasCorpusOptions {
  // Add "my name is <first> <surname>" sentences over the common names (common_names.h), so a
  // name answer is decoded as a name rather than as similar-sounding common words.
  bool common_names = true;
};

// In-domain sentences: every phrase alone and inside the carrier templates a caller uses
// ("i'd like to book a <phrase>", "<day> at <time>", "with <staff>", "yes that works").
std::vector<std::string> BiasCorpus(const std::vector<std::string>& phrases, const BiasCorpusOptions& options = {});

// A bigram language model of `sentences` in ARPA text (absolute discounting, backoff to an
// add-one unigram). Words for which `known(word)` is false are left out of the sentences.
std::string BuildArpaBigram(const std::vector<std::string>& sentences,
                            const std::function<bool(const std::string&)>& known);

}  // namespace infini::providers

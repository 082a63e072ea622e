// Word error rate by Levenshtein alignment of word sequences — for benchmarks and tests.
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace infini::providers {

struct WordErrors {
  int substitutions = 0, deletions = 0, insertions = 0;
  int reference_words = 0;
  int errors() const { return substitutions + deletions + insertions; }
  double rate() const { return reference_words ? static_cast<double>(errors()) / reference_words : 0.0; }
  WordErrors& operator+=(const WordErrors& o) {
    substitutions += o.substitutions; deletions += o.deletions; insertions += o.insertions;
    reference_words += o.reference_words;
    return *this;
  }
};

// Lower-cases, drops punctuation (keeps apostrophes) and "<s>"-style markers, splits on spaces.
std::vector<std::string> WerWords(std::string_view text);
WordErrors CountWordErrors(std::string_view reference, std::string_view hypothesis);

}  // namespace infini::providers

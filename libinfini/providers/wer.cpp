#include "providers/wer.h"

#include <algorithm>
#include <cctype>

namespace infini::providers {

std::vector<std::string> WerWords(std::string_view text) {
  std::vector<std::string> words;
  std::string w;
  auto flush = [&] {
    if (!w.empty() && w.front() != '<' && w.front() != '[') {
      if (auto p = w.find('('); p != std::string::npos && p > 0) w.resize(p);  // "the(2)"
      std::string clean;
      for (char c : w)
        if (std::isalnum(static_cast<unsigned char>(c)) || c == '\'') clean += static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
      if (!clean.empty()) words.push_back(clean);
    }
    w.clear();
  };
  for (char c : text) {
    if (std::isspace(static_cast<unsigned char>(c))) flush(); else w += c;
  }
  flush();
  return words;
}

WordErrors CountWordErrors(std::string_view reference, std::string_view hypothesis) {
  const auto ref = WerWords(reference), hyp = WerWords(hypothesis);
  const size_t n = ref.size(), m = hyp.size();
  // cost[i][j] = edit distance of ref[0..i) vs hyp[0..j); backtrack to count error kinds.
  std::vector<std::vector<int>> cost(n + 1, std::vector<int>(m + 1));
  for (size_t i = 0; i <= n; ++i) cost[i][0] = static_cast<int>(i);
  for (size_t j = 0; j <= m; ++j) cost[0][j] = static_cast<int>(j);
  for (size_t i = 1; i <= n; ++i)
    for (size_t j = 1; j <= m; ++j)
      cost[i][j] = std::min({cost[i - 1][j - 1] + (ref[i - 1] == hyp[j - 1] ? 0 : 1), cost[i - 1][j] + 1,
                             cost[i][j - 1] + 1});
  WordErrors e;
  e.reference_words = static_cast<int>(n);
  size_t i = n, j = m;
  while (i > 0 || j > 0) {
    if (i > 0 && j > 0 && cost[i][j] == cost[i - 1][j - 1] + (ref[i - 1] == hyp[j - 1] ? 0 : 1)) {
      if (ref[i - 1] != hyp[j - 1]) ++e.substitutions;
      --i, --j;
    } else if (i > 0 && cost[i][j] == cost[i - 1][j] + 1) {
      ++e.deletions, --i;
    } else {
      ++e.insertions, --j;
    }
  }
  return e;
}

}  // namespace infini::providers

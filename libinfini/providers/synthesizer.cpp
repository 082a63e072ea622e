// Provider-independent helpers declared in include/infini/synthesizer.h.
#include "infini/synthesizer.h"

#include <cctype>

namespace infini {

namespace {
bool IsAbbreviation(std::string_view text, size_t dot) {
  // "Dr." "Mr." "Mrs." "Ms." "St." "a.m." "p.m." — a short word before the dot.
  size_t start = dot;
  while (start > 0 && std::isalpha(static_cast<unsigned char>(text[start - 1]))) --start;
  std::string word;
  for (size_t i = start; i < dot; ++i) word += static_cast<char>(std::tolower(static_cast<unsigned char>(text[i])));
  if (word == "dr" || word == "mr" || word == "mrs" || word == "ms" || word == "st" || word == "jr" ||
      word == "a" || word == "p" || word == "m" || word == "vs" || word == "etc")
    return true;
  return false;
}
}  // namespace

std::vector<std::string> SplitSentences(std::string_view text) {
  std::vector<std::string> out;
  std::string current;
  auto emit = [&] {
    size_t b = current.find_first_not_of(" \t\r\n");
    size_t e = current.find_last_not_of(" \t\r\n");
    if (b != std::string::npos) out.push_back(current.substr(b, e - b + 1));
    current.clear();
  };
  for (size_t i = 0; i < text.size(); ++i) {
    const char c = text[i];
    if (c == '\n') {
      emit();
      continue;
    }
    current += c;
    const bool at_end = i + 1 == text.size();
    const bool next_is_space = !at_end && std::isspace(static_cast<unsigned char>(text[i + 1]));
    if (c == '!' || c == '?' || c == ';') {
      if (at_end || next_is_space) emit();
    } else if (c == '.') {
      if ((at_end || next_is_space) && !IsAbbreviation(text, i)) emit();
    }
  }
  emit();
  return out;
}

Result<std::vector<int16_t>> SynthesizeAll(Synthesizer& synthesizer, std::string_view text,
                                           const SynthesisOptions& options) {
  std::vector<int16_t> audio;
  auto session = synthesizer.Start(options, [&](AudioFrame frame) {
    audio.insert(audio.end(), frame.samples.begin(), frame.samples.end());
  });
  if (!session.ok()) return session.status();
  Status st = (*session)->Push(text);
  if (!st.ok()) return st;
  return audio;
}

}  // namespace infini

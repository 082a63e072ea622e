// Deepgram live streaming (/v1/listen) wire format, as pure functions (internal):
// the listen URL with its query, and the server's JSON messages.
//
//   std::string url = cloud::DeepgramListenUrl(settings, options.hints);
//   auto m = cloud::ParseDeepgramMessage(text);   // Results / Metadata / SpeechStarted / ...
//   if (m.ok() && m->type == "Results" && m->is_final) keep(m->transcript);
#pragma once

#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "infini/recognizer.h"
#include "infini/status.h"

namespace infini::cloud {

struct DeepgramSettings {
  std::string base_url = "wss://api.deepgram.com";
  std::string model = "nova-2";
  std::string language = "en-US";
  std::string encoding = "mulaw";  // "mulaw" (8 kHz phone audio) or "linear16"
  int sample_rate = 8000;
  int endpointing_ms = 300;        // 0 = "endpointing=false"
  bool interim_results = true;
  double keyword_boost = 2.0;      // keywords=word:boost (Nova-2 and older)
  int max_keywords = 50;
  std::map<std::string, std::string> extra;  // more query parameters, passed as they are
};

// {base}/v1/listen?model=..&language=..&encoding=..&sample_rate=..&channels=1
// &interim_results=..&endpointing=..&keywords=..  Hint phrases become keywords (single words,
// 3+ letters, common words dropped, deduplicated, at most max_keywords) for Nova-2 and older,
// or keyterm=<phrase> for Nova-3 models. Values are percent-encoded.
std::string DeepgramListenUrl(const DeepgramSettings& settings, const RecognizerHints& hints);

struct DeepgramWord {
  std::string word;
  double start = 0, end = 0;  // seconds since the stream started
  double confidence = 0;
};

struct DeepgramMessage {
  std::string type;  // "Results", "Metadata", "SpeechStarted", "UtteranceEnd", "Error", other
  // Results
  std::string transcript;  // channel.alternatives[0].transcript
  double confidence = 0;
  bool is_final = false;
  bool speech_final = false;
  bool from_finalize = false;
  double start = 0, duration = 0;  // seconds since the stream started
  std::vector<DeepgramWord> words;
  // Error
  std::string error;  // description / message of an error message
};

// Corruption (with a short excerpt) for text that is not a JSON object with a string
// "type", or a Results message without channel.alternatives[0].transcript.
Result<DeepgramMessage> ParseDeepgramMessage(std::string_view text);

}  // namespace infini::cloud

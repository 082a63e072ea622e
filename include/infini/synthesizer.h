// Speech synthesizer: a streaming session — text in, 20 ms audio frames out.
//
//   auto s = synth->Start({.voice = "slt", .sample_rate = 8000},
//                         [&](infini::AudioFrame f) { transport.Send(f); });
//   (*s)->Push("Thanks for calling. What can I do for you?");  // first sentence plays first
//   (*s)->Cancel();                                             // barge-in, from any thread
//
// Threading: a Synthesizer is shared and thread-safe. A session's Push/Flush/Reset run on
// one thread at a time (they block while synthesizing and call on_frame on that thread);
// Cancel() may be called from any thread and stops frames at the next frame boundary.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "infini/audio_frame.h"
#include "infini/status.h"

namespace infini {

class UsageMeter;

struct SynthesisOptions {
  std::string voice;        // provider voice name; empty = the provider's default
  int sample_rate = 16000;  // of the frames delivered: 8000, 16000 or 24000
  int frame_ms = kFrameMs;  // frames are this long (the last one of an utterance is padded)
  // The call's meter (infini/cost.h), or null: network providers add the characters they
  // were sent and observe "tts_first_audio_ms" per utterance. Must outlive the session.
  UsageMeter* usage = nullptr;
};

// Called once per frame, in order. Frames carry timestamps relative to the session start.
using FrameCallback = std::function<void(AudioFrame)>;

class SynthesisSession {
 public:
  virtual ~SynthesisSession() = default;
  // Synthesizes `text` sentence by sentence, delivering each sentence's frames as soon as
  // it is ready. Returns Cancelled if Cancel() was called before or during it.
  virtual Status Push(std::string_view text) = 0;
  // Stops delivering frames as soon as possible (barge-in). Thread-safe.
  virtual void Cancel() = 0;
  // Clears a previous Cancel() so the session can speak the next turn.
  virtual void Reset() = 0;
};

class Synthesizer {
 public:
  virtual ~Synthesizer() = default;
  virtual Result<std::unique_ptr<SynthesisSession>> Start(const SynthesisOptions& options,
                                                          FrameCallback on_frame) = 0;
  virtual std::vector<std::string> voices() const = 0;
  virtual std::string name() const = 0;
};

// Convenience for prompts, tests and benchmarks: the whole utterance as one buffer.
Result<std::vector<int16_t>> SynthesizeAll(Synthesizer& synthesizer, std::string_view text,
                                           const SynthesisOptions& options);

// Splits text into sentences (on . ! ? ; and newlines, not on "Dr." or decimals) so the
// first sentence can play while the rest is synthesized. Empty pieces are dropped.
std::vector<std::string> SplitSentences(std::string_view text);

}  // namespace infini

// VoiceCall: one call's audio pipeline, top to bottom.
//
//   auto call = infini::VoiceCall::Create(business, conversation, *recognizer, *synthesizer,
//                                         {.agent_voice = "slt"}, [&](infini::AudioFrame f) { send(f); });
//   (*call)->Start();                       // the greeting is synthesized and sent
//   for (each inbound 20 ms frame) (*call)->PushFrame(frame);
//   for (auto& t : (*call)->turns()) print(t.latency_ms());
//
// Inbound frames -> VAD -> TurnDetector -> recognizer session -> Conversation ->
// synthesizer session -> outbound frames. Not thread-safe: one thread drives a call
// (the transport's loop or a worker); on_frame runs on that thread.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "infini/audio_frame.h"
#include "infini/business.h"
#include "infini/dialogue.h"
#include "infini/recognizer.h"
#include "infini/status.h"
#include "infini/synthesizer.h"
#include "infini/turn.h"
#include "infini/vad.h"

namespace infini {

struct VoiceCallOptions {
  int sample_rate = 16000;        // of inbound and outbound frames (native wideband)
  int source_rate = 0;            // the caller's audio band if lower (8000: a phone line upsampled); 0: sample_rate
  std::string agent_voice = "slt";
  VadOptions vad;
  TurnOptions turn;
  int preroll_ms = 300;           // audio before the detected onset also goes to the recognizer
  bool bias_recognizer = true;    // phrases from the business config (services, staff, days...)
  // The call's meter (infini/cost.h), or null: handed to the recognizer and synthesizer
  // sessions (audio seconds, characters). Must outlive the call.
  UsageMeter* usage = nullptr;
  // false: each answer is synthesized whole before the call returns (in-process callers).
  // true: only its first sentence is; the rest waits in the call until the transport asks
  // for it with SpeakNext() as its queued audio runs low. A long answer then holds a
  // sentence or two of audio instead of all of it, and a barge-in skips the sentences never
  // synthesized. The server does this (ServerOptions::speak_ahead_ms).
  bool speak_on_demand = false;
};

// Wall-clock instants of one caller turn, in ms since the call started.
struct TurnTimings {
  std::string caller_text;        // the recognizer's final
  std::string agent_text;         // what the agent answered
  double speech_end_ms = 0;       // turn detector declared end of speech
  double asr_final_ms = 0;        // recognizer returned its final
  double decision_ms = 0;         // dialogue engine answered
  double tts_first_audio_ms = 0;  // synthesizer produced its first frame
  // The first reply frame left: handed to on_frame, or -- when the transport reports it with
  // VoiceCall::StampFirstFrameOut (the server does) -- written to the caller's socket.
  double first_frame_out_ms = 0;
  double latency_ms() const { return first_frame_out_ms - speech_end_ms; }
};

// The recognizer phrases a business makes likely: service names and synonyms, staff,
// FAQ keywords, weekdays, yes/no. (Exposed so simulators and tests bias the same way.)
std::vector<std::string> BusinessPhrases(const BusinessConfig& business);

class VoiceCall {
 public:
  using FrameSink = std::function<void(AudioFrame)>;

  // `conversation`, `recognizer` and `synthesizer` must outlive the call.
  static Result<std::unique_ptr<VoiceCall>> Create(const BusinessConfig& business,
                                                   Conversation& conversation,
                                                   Recognizer& recognizer, Synthesizer& synthesizer,
                                                   const VoiceCallOptions& options, FrameSink on_frame);
  virtual ~VoiceCall() = default;

  virtual Status Start() = 0;                          // speaks the greeting
  virtual Status PushFrame(const AudioFrame& frame) = 0;  // one inbound frame at options.sample_rate
  // Keypad keys (DTMF) as the transport receives them, one or several ("5", "5125557788#"),
  // passed to Conversation::OnDtmf. When the engine answers, that is a turn like a spoken
  // one: caller_text "keypad: <keys since the last turn>", speech_end_ms = asr_final_ms = when
  // the last key arrived.
  virtual Status PushDtmf(const std::string& keys) = 0;
  virtual Status Hangup() = 0;                         // the caller hung up
  // The transfer the call ended with was not answered (Conversation::OnTransferFailed): the
  // agent says so and the call goes on (ended() is false again). InvalidArgument when the
  // call did not end in a transfer.
  virtual Status TransferFailed() = 0;
  // True while the agent's last answer is still to be played by the transport; the
  // transport clears it when playback ends (barge-in is judged against it).
  virtual void SetAgentSpeaking(bool speaking) = 0;
  // The transport wrote turn `index`'s first reply frame to the caller's socket at `written`:
  // that turn's first_frame_out_ms becomes this instant (until then it is the hand-off to
  // on_frame, earlier whenever the transport queues or paces audio). NotFound for an unknown turn.
  virtual Status StampFirstFrameOut(size_t index, std::chrono::steady_clock::time_point written) = 0;
  // speak_on_demand: sentences of the agent's answers not synthesized yet. A barge-in
  // drops them. Always false without speak_on_demand.
  virtual bool speech_pending() const = 0;
  // speak_on_demand: synthesizes the next pending sentence (its frames go to on_frame before
  // it returns). OK and nothing happens when none is pending.
  virtual Status SpeakNext() = 0;
  // Answers the agent has begun to speak (the greeting is the first). It goes up just before
  // an answer's first frame reaches on_frame, so a transport can tell where one answer's audio
  // ends and the next begins (with speak_on_demand, an answer given while an earlier one is
  // still pending -- keys pressed during a prompt -- follows the rest of that one, synthesized
  // first).
  virtual int answers_started() const = 0;
  virtual bool ended() const = 0;
  virtual const std::vector<TurnTimings>& turns() const = 0;
  virtual int barge_ins() const = 0;
};

}  // namespace infini

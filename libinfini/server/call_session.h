// One live call on the server: the network side (Outlet, loop thread) and the pipeline side
// (CallSession, a strand on the worker pool). Internal to libinfini/server.
//
//   loop thread:  bytes from the socket --Post(InEvent)--> CallSession (worker strand)
//   worker:       VoiceCall frames --> encode --> Outlet::PushAudio --wake--> loop writes them
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <functional>
#include <memory>
#include <mutex>
#include <span>
#include <string>
#include <thread>
#include <vector>

#include "infini/business.h"
#include "infini/call.h"
#include "infini/call_control.h"
#include "infini/cost.h"
#include "infini/dialogue.h"
#include "infini/opus_codec.h"
#include "infini/recognizer.h"
#include "infini/resampler.h"
#include "infini/server.h"
#include "infini/store.h"
#include "infini/synthesizer.h"
#include "live_business.h"

namespace infini::server {

class CallSession;

// FIFO thread pool. Post from any thread; Stop() runs what is queued, then joins.
//
// Batching (the network thread): between HoldPosts() and FlushPosts() a thread's Post()s are
// kept aside and queued together at FlushPosts() -- one lock and one wake-up for everything one
// pass of the event loop received, instead of a futex wake and two context switches per 20 ms
// audio frame (which is what dominated the host's CPU with hundreds of streams).
class WorkerPool {
 public:
  explicit WorkerPool(int threads);
  ~WorkerPool();
  void Post(std::function<void()> task);
  // A session whose inbox has work: runs session->Drain(). No allocation (the audio path posts
  // one of these per session per batch, so it must not cost a heap-allocated std::function).
  void PostSession(std::shared_ptr<CallSession> session);
  void Stop();

  void HoldPosts();      // this thread's Post()s wait for FlushPosts()
  size_t FlushPosts();   // queue what this thread held; returns how many
  size_t held() const;   // tasks this thread holds now
  void ReleasePosts();   // flush and stop holding

 private:
  void Run();
  // One queued job: a task, or a session to drain.
  struct Job {
    std::function<void()> task;
    std::shared_ptr<CallSession> session;
  };
  void Notify(size_t n, int idle);
  struct Held {
    WorkerPool* pool = nullptr;
    std::vector<Job> jobs;
  };
  static thread_local Held held_;
  std::mutex mu_;
  std::condition_variable cv_;
  std::deque<Job> jobs_;
  bool stopping_ = false;
  int idle_ = 0;  // workers waiting on cv_
  std::vector<std::thread> threads_;
};

// What the pipeline hands the network thread for one socket, in order. Thread-safe.
struct OutItem {
  enum class Kind { kAudio, kText, kMark };
  Kind kind = Kind::kAudio;
  // The message as it goes on the wire -- except audio with frame_bytes: raw frames of that
  // many bytes each (Twilio: 160 bytes of μ-law per 20 ms), which the queue keeps back to back
  // in a few large items and the loop takes several due frames at a time into one media
  // message (ServerOptions::twilio_send_batch).
  std::string data;
  uint16_t frame_bytes = 0;  // audio: 0 = one frame, the whole message
  bool binary = false;  // a binary WebSocket message (native audio)
  // Audio of a reply: the caller turn (VoiceCall::turns() index) it answers, else -1. The loop
  // reports when the first frame of each turn is written (InEvent::kFrameWritten).
  int32_t turn = -1;
};

class Outlet {
 public:
  using Wake = std::function<void(uint64_t conn_id)>;
  Outlet(uint64_t conn_id, Wake wake, size_t max_bytes) : id_(conn_id), wake_(std::move(wake)), max_bytes_(max_bytes) {}

  // Worker side. Each returns false once the socket is gone or the queue overflowed.
  bool Push(OutItem item);
  // Barge-in: drops queued audio and marks, then `clear_message` goes out first.
  void Clear(std::string clear_message);
  // Once everything queued has been written, `on_drained` runs (on the loop thread; it
  // must only post). Then the session decides and calls Close().
  void NotifyWhenDrained(std::function<void()> on_drained);
  // Once fewer than `frames` 20 ms audio frames are queued, `on_low` runs once (on the loop
  // thread; it must only post): the session synthesizes its answer's next sentences then.
  void NotifyWhenAudioBelow(size_t frames, std::function<void()> on_low);
  void Close(int code, std::string reason);  // close after what is queued
  void Abort(std::string reason);            // drop the connection now (client not reading)

  // Loop side.
  enum class PopResult { kEmpty, kAudioNotDue, kPopped };
  // Takes the next item. Raw audio (frame_bytes) goes in runs: up to `max_frames` frames from
  // the front, joined in `out.data`. Audio leaves only when `audio_due` (the pacing says the
  // next run's first frame is due); other audio one message at a time; other items always.
  PopResult Pop(OutItem& out, int max_frames, bool audio_due);
  // What Pop would do now with the same limits, without taking anything.
  PopResult Peek(int max_frames, bool audio_due);
  bool closing(int& code, std::string& reason);
  bool aborting();
  std::function<void()> TakeDrainedCallbackIfEmpty();
  std::function<void()> TakeLowAudioCallback();  // NotifyWhenAudioBelow's, once it is due
  size_t queued_audio_frames();
  void MarkGone();  // the socket closed: later pushes are dropped
  bool gone() const { return gone_.load(); }
  bool overflowed() const { return overflowed_.load(); }
  size_t queued_bytes();

 private:
  uint64_t id_;
  Wake wake_;
  size_t max_bytes_;
  std::mutex mu_;
  PopResult Next(int max_frames, bool audio_due, size_t& run);  // under mu_
  static constexpr size_t kRawChunkBytes = 8000;  // raw audio is kept in items of up to ~1 s
  std::deque<OutItem> items_;
  size_t front_taken_ = 0;  // bytes of the front item already popped (raw audio)
  size_t bytes_ = 0;
  std::function<void()> on_drained_;
  size_t audio_frames_ = 0;  // 20 ms frames of audio queued
  size_t low_audio_frames_ = 0;
  std::function<void()> on_low_audio_;
  std::atomic<bool> low_audio_armed_{false};  // read without the lock on every write turn
  bool close_requested_ = false;
  int close_code_ = 1000;
  std::string close_reason_;
  std::atomic<bool> abort_{false};
  std::atomic<bool> gone_{false};
  std::atomic<bool> overflowed_{false};
};

// Shared server state a session needs (owned by the server, outlives every session).
struct SessionContext {
  const ServerOptions* options = nullptr;
  Store* store = nullptr;
  Recognizer* recognizer = nullptr;
  Synthesizer* synthesizer = nullptr;
  CallControl* call_control = nullptr;
  LanguageModel* language_model = nullptr;  // null: the rule NLU
  const PriceTable* prices = nullptr;       // prices each call's usage (null: no usage events)
  WorkerPool* pool = nullptr;
  std::function<void(const std::string&)> call_log;
  std::atomic<int64_t>* active_calls = nullptr;
  std::atomic<int64_t>* calls_started = nullptr;
  std::atomic<int64_t>* calls_ended = nullptr;
  std::atomic<int64_t>* frames_out = nullptr;
  std::atomic<int64_t>* frames_handled = nullptr;
  std::atomic<int64_t>* frames_dropped = nullptr;
  // Live sessions by provider call id (Twilio CallSid) so status callbacks find their row.
  std::function<void(const std::string& call_sid, int64_t row, bool live)> register_sid;
  // Transfers with a result (Twilio <Dial action>): where the result is posted, how long it
  // rings, and where a session waits for it (keyed by CallSid; the server owns it until the
  // result: answered -> finished, not answered -> resumed on a new stream).
  std::string dial_action_url;
  int dial_timeout_seconds = 20;
  // The server gives a parked call transfer_ring_seconds + transfer_grace_seconds, then posts
  // kTransferTimeout. A native call parks under "native:<row>" (its client reports the result)
  // and unparks itself when the result comes.
  std::function<void(const std::string& call_sid, std::shared_ptr<CallSession>)> park;
  std::function<void(const std::string& key)> unpark;
};

enum class WireFormat { kUlaw8k, kPcm16, kOpus };

struct CallStart {
  std::string transport;   // "twilio" or "native"
  std::string from, to;
  std::string provider_call_id;  // Twilio CallSid, or "" (native: the row id is used)
  std::string stream_sid;        // Twilio
  const BusinessConfig* business = nullptr;  // runtime->config, held for the whole call
  std::shared_ptr<const BusinessRuntime> runtime;
  WireFormat format = WireFormat::kPcm16;
  int wire_rate = 16000;
  int pipeline_rate = 16000;
  int64_t existing_row = 0;      // a row the webhook already created
  bool send_events = false;      // native: transcript/turn/end text events
  bool client_transfers = false; // native: the client carries out transfers (start "transfers": true)
  // A parked call (transfer not answered) continuing on a new stream: its new outlet.
  std::shared_ptr<Outlet> resume_outlet;
};

// A control event for a session. Audio does not travel as events: CallSession::PostAudio
// appends it to the session's inbox buffer (no per-frame object).
struct InEvent {
  // kDialResult: a parked transfer's result (text = Twilio DialCallStatus, or why it ended).
  // kFrameWritten: the loop wrote the first reply frame of caller turn `turn` at `at`.
  // kTransferTimeout: a parked transfer got no result in time (text: how long it waited).
  // kSpeakMore: less than speak_ahead_ms of the agent's audio waits for the socket.
  enum class Kind { kStart, kDtmf, kMarkPlayed, kHangup, kClosed, kDrained, kDialResult, kFrameWritten,
                    kTransferTimeout, kSpeakMore };
  Kind kind = Kind::kClosed;
  char digit = 0;
  std::string text;            // mark name, hang-up / close reason
  CallStart start;
  int32_t turn = -1;                          // kFrameWritten
  std::chrono::steady_clock::time_point at{};  // kFrameWritten

  static InEvent Of(Kind k, std::string text = "") { InEvent e; e.kind = k; e.text = std::move(text); return e; }
  static InEvent Dtmf(char d) { InEvent e; e.kind = Kind::kDtmf; e.digit = d; return e; }
  static InEvent Begin(CallStart s) { InEvent e; e.kind = Kind::kStart; e.start = std::move(s); return e; }
  static InEvent Written(int32_t turn, std::chrono::steady_clock::time_point at) {
    InEvent e; e.kind = Kind::kFrameWritten; e.turn = turn; e.at = at; return e;
  }
};

class CallSession : public std::enable_shared_from_this<CallSession> {
 public:
  CallSession(SessionContext* ctx, std::shared_ptr<Outlet> outlet) : ctx_(ctx), outlet_(std::move(outlet)) {}
  ~CallSession();
  // Thread-safe. Events and audio are handled in the order posted, one at a time, on the pool.
  void Post(InEvent event);
  // One inbound audio packet in the call's WireFormat (a 20 ms frame, or an Opus packet).
  void PostAudio(std::span<const uint8_t> packet);
  // The pool's job: everything posted so far.
  void Drain();
  int64_t row() const { return row_.load(); }
  // The call's estimated provider cost so far (usage metered + telephony until now + SMS
  // already billed), US dollars. On the session strand, e.g. CallInfo::cost_usd of the owner
  // summary (ConversationOptions::on_end runs there).
  double CostSoFarUsd() const;

 private:
  // What the loop thread posted and the strand has not taken yet: control events, and the audio
  // packets before, between and after them (back to back, with their end offsets). The strand
  // swaps the whole inbox for its own empty one, so in steady state nothing is allocated.
  struct Inbox {
    std::vector<InEvent> events;
    std::vector<size_t> event_at;        // events[i] comes after this many of the packets
    std::vector<uint8_t> audio;
    std::vector<uint32_t> packet_ends;   // end offset in `audio` of each packet
    bool empty() const { return events.empty() && packet_ends.empty(); }
    void clear() { events.clear(); event_at.clear(); audio.clear(); packet_ends.clear(); }
  };
  void HandleInbox(Inbox& in);
  void HandleAudio(const Inbox& in, size_t first, size_t last);  // packets [first, last)
  void Handle(InEvent& e);
  void OnStart(const CallStart& s);
  void OnAudio(std::span<const uint8_t> bytes);
  void OnDtmf(char digit);
  void OnMarkPlayed(const std::string& name);
  void OnDrained();
  void OnClosed(const std::string& reason);
  void OnResume(const CallStart& s);                 // a new stream after an unanswered transfer
  void OnDialResult(const std::string& status);      // the parked transfer's result
  void ResumeAfterFailedTransfer(const std::string& why);
  void TransferThroughClient(const std::string& target);  // native: {"event":"transfer"}, wait for the result
  void OnTransferTimeout(const std::string& waited);
  void AfterStep();            // barge-in, end of utterance (mark), new turns, end of call
  void AgentFrame(AudioFrame f);
  void EmitWire(std::span<const int16_t> pcm);  // at wire rate, whole 20 ms frames
  void EndUtterance();
  // Speaking on demand (ServerOptions::speak_ahead_ms): synthesizes the answer's pending
  // sentences while less than speak_ahead_ms of audio is queued, then asks the outlet to
  // post kSpeakMore when it runs low again.
  void SpeakAhead();
  void RecordNewTurns();
  // First frame out at the socket: the loop wrote turn `turn`'s first reply frame at `at`.
  void OnFrameWritten(int32_t turn, std::chrono::steady_clock::time_point at);
  void SendTurnEvent(size_t turn, bool reply_out = true);  // native `turn` event
  void SendEvent(const std::string& json);
  void Finish(const std::string& why);  // record outcome + actions, close the row
  // Metering (infini/cost.h): the call's messenger from config, and at the end its telephony
  // seconds, the priced usage events and the call's total (returned, micro-dollars).
  std::unique_ptr<Messenger> MakeCallMessenger();
  int64_t RecordCallCost(double call_seconds);
  std::string Tag() const;

  SessionContext* ctx_;
  std::shared_ptr<Outlet> outlet_;

  std::mutex mu_;
  Inbox inbox_;     // under mu_
  Inbox working_;   // the strand's: what it is handling now
  bool scheduled_ = false;
  // Inbound audio dropped because the pipeline was kMaxInboxEvents behind (a blocked provider):
  // logged, counted, and recorded on the call row as an "audio_dropped" action at the end.
  static constexpr size_t kMaxInboxEvents = 1000;  // ~20 s of 20 ms frames
  int64_t dropped_ = 0;
  std::chrono::steady_clock::time_point drop_first_{}, drop_last_{};
  std::atomic<bool> hung_up_{false};

  // Pipeline state: touched only by the strand.
  CallStart start_;
  bool started_ = false, finished_ = false, ending_ = false;
  bool parked_ = false;          // transferred; waiting for the dial result
  std::string dial_status_;      // the parked transfer's result, once known
  std::string park_key_;         // native: the key it is parked under ("native:<row>")
  std::atomic<int64_t> row_{0};
  UsageMeter meter_;  // this call's usage, every provider (before the pipeline: it must outlive it)
  std::unique_ptr<Messenger> messenger_;
  std::unique_ptr<Conversation> conversation_;
  std::unique_ptr<VoiceCall> call_;
  std::unique_ptr<Resampler> up_, down_;
  std::unique_ptr<OpusDecoder> opus_in_;
  std::unique_ptr<OpusEncoder> opus_out_;
  std::vector<int16_t> in_pcm_, in_rate_pcm_, out_pcm_, out_wire_;
  AudioFrame frame_;  // the pipeline frame handed to VoiceCall (reused: no allocation per frame)
  std::vector<uint8_t> scratch_;
  bool utterance_audio_ = false;
  bool speak_more_armed_ = false;  // the outlet will post kSpeakMore
  int marks_sent_ = 0;
  std::string last_mark_;
  int barge_ins_seen_ = 0;
  size_t turns_recorded_ = 0, said_recorded_ = 0;
  // First frame out: reply audio is tagged with the caller turn it answers (-1: not a reply);
  // a tagged turn's stored first_frame_out and its native `turn` event wait for the write.
  bool caller_input_ = false;  // inside PushFrame/PushDtmf (and its AfterStep)
  bool answer_to_input_ = false;  // the answer now speaking began during that caller input
  int answers_seen_ = 0;          // VoiceCall::answers_started() at the last agent frame
  int32_t reply_turn_ = -1, last_tagged_turn_ = -1;
  struct TurnOut {
    int store_index = 0;
    bool awaiting_write = false;
  };
  std::vector<TurnOut> turn_out_;  // by VoiceCall turn index
  int turn_index_ = 0;
  std::chrono::steady_clock::time_point started_at_;
  std::string close_reason_;
};

}  // namespace infini::server

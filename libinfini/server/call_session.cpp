// One call's pipeline on the worker pool: wire audio -> VoiceCall -> wire audio, and the
// call's row, turns, actions and outcome in the store.
#include "call_session.h"

#include <algorithm>
#include <cstring>
#include <ctime>
#include <utility>

#include <fmt/format.h>
#include <fmt/ranges.h>
#include <nlohmann/json.hpp>

#include "infini/base64.h"
#include "infini/call_record.h"
#include "infini/g711.h"
#include "infini/log.h"
#include "infini/messenger.h"
#include "infini/registry.h"
#include "infini/twilio.h"

namespace infini::server {

using Clock = std::chrono::steady_clock;
using nlohmann::json;

// ---------------------------------------------------------------- WorkerPool

WorkerPool::WorkerPool(int threads) {
  for (int i = 0; i < std::max(1, threads); ++i) threads_.emplace_back([this] { Run(); });
}
WorkerPool::~WorkerPool() { Stop(); }

thread_local WorkerPool::Held WorkerPool::held_;

void WorkerPool::Post(std::function<void()> task) {
  if (held_.pool == this) {
    held_.jobs.push_back({std::move(task), nullptr});
    return;
  }
  int idle;
  {
    std::lock_guard<std::mutex> lock(mu_);
    jobs_.push_back({std::move(task), nullptr});
    idle = idle_;
  }
  Notify(1, idle);
}

void WorkerPool::PostSession(std::shared_ptr<CallSession> session) {
  if (held_.pool == this) {
    held_.jobs.push_back({nullptr, std::move(session)});
    return;
  }
  int idle;
  {
    std::lock_guard<std::mutex> lock(mu_);
    jobs_.push_back({nullptr, std::move(session)});
    idle = idle_;
  }
  Notify(1, idle);
}

void WorkerPool::Notify(size_t n, int idle) {
  if (idle <= 0) return;
  if (n >= static_cast<size_t>(idle)) {
    cv_.notify_all();
  } else {
    for (size_t i = 0; i < n; ++i) cv_.notify_one();
  }
}

void WorkerPool::HoldPosts() { held_.pool = this; }

size_t WorkerPool::held() const { return held_.pool == this ? held_.jobs.size() : 0; }

size_t WorkerPool::FlushPosts() {
  if (held_.pool != this || held_.jobs.empty()) return 0;
  const size_t n = held_.jobs.size();
  int idle;
  {
    std::lock_guard<std::mutex> lock(mu_);
    for (auto& j : held_.jobs) jobs_.push_back(std::move(j));
    idle = idle_;
  }
  held_.jobs.clear();
  Notify(n, idle);
  return n;
}

void WorkerPool::ReleasePosts() {
  FlushPosts();
  if (held_.pool == this) held_.pool = nullptr;
}

void WorkerPool::Stop() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (stopping_ && threads_.empty()) return;
    stopping_ = true;
  }
  cv_.notify_all();
  for (auto& t : threads_)
    if (t.joinable()) t.join();
  threads_.clear();
}

void WorkerPool::Run() {
  for (;;) {
    Job job;
    {
      std::unique_lock<std::mutex> lock(mu_);
      while (!stopping_ && jobs_.empty()) {
        ++idle_;
        cv_.wait(lock);
        --idle_;
      }
      if (jobs_.empty()) return;  // stopping and nothing left
      job = std::move(jobs_.front());
      jobs_.pop_front();
    }
    if (job.session) {
      job.session->Drain();
    } else {
      job.task();
    }
  }
}

// ---------------------------------------------------------------- Outlet

bool Outlet::Push(OutItem item) {
  if (gone_ || overflowed_) return false;
  bool was_empty = false;
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (close_requested_) return false;
    was_empty = items_.empty();
    bytes_ += item.data.size();
    if (item.kind == OutItem::Kind::kAudio) audio_frames_ += item.frame_bytes ? item.data.size() / item.frame_bytes : 1;
    OutItem* back = items_.empty() ? nullptr : &items_.back();
    if (back && item.kind == OutItem::Kind::kAudio && item.frame_bytes && back->kind == item.kind &&
        back->frame_bytes == item.frame_bytes && back->turn == item.turn && back->data.size() < kRawChunkBytes) {
      back->data += item.data;  // one allocation per ~1 s of audio, not one per 20 ms frame
    } else {
      items_.push_back(std::move(item));
    }
    if (bytes_ > max_bytes_) {
      overflowed_ = true;
      abort_ = true;
    }
  }
  // The loop keeps a non-empty queue going by itself (its next write turn, or the pacing tick);
  // it needs a wake-up only when the queue was empty. (One per frame was a wake-up list of a
  // whole prompt's frames per call.)
  if (was_empty || overflowed_) wake_(id_);
  return !overflowed_;
}

void Outlet::Clear(std::string clear_message) {
  if (gone_) return;
  {
    std::lock_guard<std::mutex> lock(mu_);
    std::deque<OutItem> kept;
    for (auto& it : items_) {
      if (it.kind == OutItem::Kind::kText) {
        kept.push_back(std::move(it));
      } else {
        bytes_ -= it.data.size() - (&it == &items_.front() ? front_taken_ : 0);
      }
    }
    items_ = std::move(kept);
    front_taken_ = 0;  // only raw audio is taken in part, and none is left
    audio_frames_ = 0;
    if (!clear_message.empty()) {
      bytes_ += clear_message.size();
      items_.push_front({OutItem::Kind::kText, std::move(clear_message), false});
    }
  }
  wake_(id_);
}

void Outlet::NotifyWhenDrained(std::function<void()> on_drained) {
  {
    std::lock_guard<std::mutex> lock(mu_);
    on_drained_ = std::move(on_drained);
  }
  wake_(id_);
}

void Outlet::NotifyWhenAudioBelow(size_t frames, std::function<void()> on_low) {
  {
    std::lock_guard<std::mutex> lock(mu_);
    low_audio_frames_ = frames;
    on_low_audio_ = std::move(on_low);
    low_audio_armed_ = true;
  }
  wake_(id_);  // it may be due already
}

std::function<void()> Outlet::TakeLowAudioCallback() {
  if (!low_audio_armed_.load(std::memory_order_relaxed)) return nullptr;
  std::lock_guard<std::mutex> lock(mu_);
  if (!on_low_audio_ || audio_frames_ >= low_audio_frames_) return nullptr;
  low_audio_armed_ = false;
  return std::exchange(on_low_audio_, nullptr);
}

size_t Outlet::queued_audio_frames() {
  std::lock_guard<std::mutex> lock(mu_);
  return audio_frames_;
}

void Outlet::Close(int code, std::string reason) {
  {
    std::lock_guard<std::mutex> lock(mu_);
    close_requested_ = true;
    close_code_ = code;
    close_reason_ = std::move(reason);
  }
  wake_(id_);
}

void Outlet::Abort(std::string reason) {
  {
    std::lock_guard<std::mutex> lock(mu_);
    close_reason_ = std::move(reason);
  }
  abort_ = true;
  wake_(id_);
}

Outlet::PopResult Outlet::Next(int max_frames, bool audio_due, size_t& run) {
  run = 0;
  if (items_.empty()) return PopResult::kEmpty;
  const OutItem& front = items_.front();
  if (front.kind != OutItem::Kind::kAudio) {
    run = 1;
    return PopResult::kPopped;
  }
  if (front.frame_bytes == 0) {
    run = 1;
  } else {  // raw frames: as many as max_frames from the front items
    const size_t most = static_cast<size_t>(std::max(1, max_frames));
    size_t taken = front_taken_;
    for (size_t i = 0; run < most && i < items_.size(); ++i, taken = 0) {
      const OutItem& it = items_[i];
      if (it.kind != OutItem::Kind::kAudio || it.frame_bytes != front.frame_bytes) break;
      run += (it.data.size() - taken) / it.frame_bytes;
    }
    run = std::min(run, most);
  }
  return audio_due ? PopResult::kPopped : PopResult::kAudioNotDue;
}

Outlet::PopResult Outlet::Pop(OutItem& out, int max_frames, bool audio_due) {
  std::lock_guard<std::mutex> lock(mu_);
  size_t run = 0;
  const PopResult r = Next(max_frames, audio_due, run);
  if (r != PopResult::kPopped) return r;
  OutItem& front = items_.front();
  if (front.kind != OutItem::Kind::kAudio || front.frame_bytes == 0) {
    out = std::move(front);
    items_.pop_front();
    bytes_ -= out.data.size();
    if (out.kind == OutItem::Kind::kAudio) --audio_frames_;
    return PopResult::kPopped;
  }
  // `run` raw frames, from as many items as they span.
  out.kind = OutItem::Kind::kAudio;
  out.frame_bytes = front.frame_bytes;
  out.binary = front.binary;
  out.turn = front.turn;
  out.data.clear();
  size_t want = run * front.frame_bytes;
  audio_frames_ -= run;
  while (want > 0) {
    OutItem& it = items_.front();
    const size_t n = std::min(want, it.data.size() - front_taken_);
    out.data.append(it.data, front_taken_, n);
    out.turn = std::max(out.turn, it.turn);
    front_taken_ += n;
    bytes_ -= n;
    want -= n;
    if (front_taken_ == it.data.size()) {
      items_.pop_front();
      front_taken_ = 0;
    }
  }
  return PopResult::kPopped;
}

Outlet::PopResult Outlet::Peek(int max_frames, bool audio_due) {
  std::lock_guard<std::mutex> lock(mu_);
  size_t run = 0;
  return Next(max_frames, audio_due, run);
}

bool Outlet::closing(int& code, std::string& reason) {
  std::lock_guard<std::mutex> lock(mu_);
  if (!close_requested_ || !items_.empty()) return false;
  code = close_code_;
  reason = close_reason_;
  return true;
}

bool Outlet::aborting() { return abort_.load(); }

std::function<void()> Outlet::TakeDrainedCallbackIfEmpty() {
  std::lock_guard<std::mutex> lock(mu_);
  if (!items_.empty() || !on_drained_) return nullptr;
  auto cb = std::move(on_drained_);
  on_drained_ = nullptr;
  return cb;
}

void Outlet::MarkGone() { gone_ = true; }

size_t Outlet::queued_bytes() {
  std::lock_guard<std::mutex> lock(mu_);
  return bytes_;
}

// ---------------------------------------------------------------- store messenger

namespace {

// SMS confirmations go to the store's outbox (a sender delivers them; see the cloud issue).
class StoreMessenger final : public Messenger {
 public:
  StoreMessenger(Store& store, int64_t call_row) : store_(store), row_(call_row) {}
  Result<std::string> Send(const Message& m) override {
    if (m.to.empty() || m.body.empty()) return Status::InvalidArgument("sms: empty recipient or body");
    auto id = store_.QueueSms(m.to, m.body, row_);
    if (!id.ok()) return id.status();
    return std::to_string(id.value());
  }
  std::string name() const override { return "store-outbox"; }

 private:
  Store& store_;
  int64_t row_;
};

std::string Summary(const CallOutcome& o) {
  if (o.appointment)
    return fmt::format("booked {} at {} for {}", o.appointment->service, o.appointment->start, o.appointment->name);
  if (o.transfer_to) return fmt::format("transferred to {}", *o.transfer_to);
  if (o.voicemail) return fmt::format("message from {}: {}", o.voicemail->name, o.voicemail->message);
  return o.outcome;
}

}  // namespace

// ---------------------------------------------------------------- CallSession

CallSession::~CallSession() = default;

void CallSession::Post(InEvent event) {
  if (event.kind == InEvent::Kind::kClosed || event.kind == InEvent::Kind::kHangup) hung_up_ = true;
  bool schedule = false;
  {
    std::lock_guard<std::mutex> lock(mu_);
    inbox_.events.push_back(std::move(event));
    inbox_.event_at.push_back(inbox_.packet_ends.size());
    if (!scheduled_) schedule = scheduled_ = true;
  }
  if (schedule) ctx_->pool->PostSession(shared_from_this());
}

void CallSession::PostAudio(std::span<const uint8_t> packet) {
  bool schedule = false;
  {
    std::lock_guard<std::mutex> lock(mu_);
    // A worker far behind (a blocked provider): drop audio beyond ~20 s, keep control events.
    // Never silently: a log line (the first, then every 250th), the server's frames_dropped
    // counter, and an "audio_dropped" action on the call row when it ends (Finish).
    if (inbox_.packet_ends.size() >= kMaxInboxEvents) {
      const auto now = Clock::now();
      if (dropped_ == 0) drop_first_ = now;
      drop_last_ = now;
      ++dropped_;
      ctx_->frames_dropped->fetch_add(1, std::memory_order_relaxed);
      if (dropped_ % 250 == 1)
        INFINI_LOG(kWarn,
                   "call {}: pipeline is {} frames behind (limit {}); inbound audio frame dropped ({} bytes); {} "
                   "frame(s) = {} ms of caller audio dropped on this call so far",
                   row_.load(), inbox_.packet_ends.size(), kMaxInboxEvents, packet.size(), dropped_,
                   dropped_ * kFrameMs);
      return;
    }
    inbox_.audio.insert(inbox_.audio.end(), packet.begin(), packet.end());
    inbox_.packet_ends.push_back(static_cast<uint32_t>(inbox_.audio.size()));
    if (!scheduled_) schedule = scheduled_ = true;
  }
  if (schedule) ctx_->pool->PostSession(shared_from_this());
}

void CallSession::Drain() {
  for (int round = 0; round < 4; ++round) {  // then yield the worker to other calls
    {
      std::lock_guard<std::mutex> lock(mu_);
      if (inbox_.empty()) {
        scheduled_ = false;
        return;
      }
      std::swap(inbox_, working_);  // working_ was cleared: its buffers keep their capacity
    }
    HandleInbox(working_);
    working_.clear();
  }
  ctx_->pool->PostSession(shared_from_this());
}

void CallSession::HandleInbox(Inbox& in) {
  size_t packet = 0;
  for (size_t i = 0; i < in.events.size(); ++i) {
    if (in.event_at[i] > packet) {
      HandleAudio(in, packet, in.event_at[i]);
      packet = in.event_at[i];
    }
    Handle(in.events[i]);
  }
  if (packet < in.packet_ends.size()) HandleAudio(in, packet, in.packet_ends.size());
}

void CallSession::HandleAudio(const Inbox& in, size_t first, size_t last) {
  ctx_->frames_handled->fetch_add(static_cast<int64_t>(last - first), std::memory_order_relaxed);
  // Audio still queued when the caller hung up is not worth decoding.
  if (finished_ || !started_ || ending_ || hung_up_.load()) return;
  const uint8_t* base = in.audio.data();
  auto begin_of = [&](size_t p) -> size_t { return p == 0 ? 0 : in.packet_ends[p - 1]; };
  if (start_.format == WireFormat::kOpus) {  // packets one by one
    for (size_t p = first; p < last && !finished_ && !ending_; ++p)
      OnAudio(std::span<const uint8_t>(base + begin_of(p), in.packet_ends[p] - begin_of(p)));
    return;
  }
  // μ-law and PCM16 frames are a plain sample stream: all of them at once.
  OnAudio(std::span<const uint8_t>(base + begin_of(first), in.packet_ends[last - 1] - begin_of(first)));
}

std::string CallSession::Tag() const {
  return start_.provider_call_id.empty() ? fmt::format("call {}", row_.load())
                                         : fmt::format("call {} ({})", row_.load(), start_.provider_call_id);
}

void CallSession::Handle(InEvent& e) {
  if (finished_) return;
  switch (e.kind) {
    case InEvent::Kind::kStart: OnStart(e.start); break;
    case InEvent::Kind::kDtmf: if (started_ && !ending_) OnDtmf(e.digit); break;
    case InEvent::Kind::kMarkPlayed: if (started_) OnMarkPlayed(e.text); break;
    case InEvent::Kind::kHangup:
      if (close_reason_.empty()) close_reason_ = e.text;
      // The caller is gone: agent audio still queued (paced, up to a whole prompt) would hold
      // the end event back for seconds -- long enough for a client to give up on it.
      outlet_->Clear("");
      OnClosed(e.text);  // the end event goes out before the close
      outlet_->Close(1000, "hangup");
      break;
    case InEvent::Kind::kClosed: OnClosed(e.text); break;
    case InEvent::Kind::kDrained: OnDrained(); break;
    case InEvent::Kind::kSpeakMore:
      speak_more_armed_ = false;
      if (started_) AfterStep();  // synthesizes the next sentences, re-arms while more are pending
      break;
    case InEvent::Kind::kDialResult: OnDialResult(e.text); break;
    case InEvent::Kind::kFrameWritten: OnFrameWritten(e.turn, e.at); break;
    case InEvent::Kind::kTransferTimeout: OnTransferTimeout(e.text); break;
  }
}

void CallSession::OnStart(const CallStart& s) {
  if (started_ && s.resume_outlet) {
    OnResume(s);
    return;
  }
  if (started_) {
    INFINI_LOG(kWarn, "{}: second start message ignored", Tag());
    return;
  }
  start_ = s;
  started_at_ = Clock::now();
  const ServerOptions& o = *ctx_->options;
  Store& store = *ctx_->store;
  int64_t row = s.existing_row;
  if (row == 0) {
    CallRecord rec;
    rec.business_id = s.business->id;
    rec.provider_call_id = s.provider_call_id;
    rec.from_phone = s.from;
    rec.to_phone = s.to;
    auto id = store.StartCall(rec);
    if (!id.ok()) {
      INFINI_LOG(kError, "call from {}: cannot record the call: {}", s.from, id.status().ToString());
      SendEvent(json{{"event", "error"}, {"message", "store unavailable"}}.dump());
      outlet_->Close(1011, "store unavailable");
      finished_ = true;
      return;
    }
    row = id.value();
  } else {
    (void)store.UpdateCallStatus(row, "in-progress");
  }
  row_ = row;
  if (start_.provider_call_id.empty() && start_.transport == "native") start_.provider_call_id = "";
  if (ctx_->register_sid && !s.provider_call_id.empty()) ctx_->register_sid(s.provider_call_id, row, true);
  ctx_->active_calls->fetch_add(1);
  ctx_->calls_started->fetch_add(1);
  started_ = true;
  ctx_->call_log(fmt::format("call {} started: {} from {} to {} ({}){}", row, s.transport,
                             s.from.empty() ? "unknown" : s.from, s.to.empty() ? "-" : s.to, s.business->id,
                             s.provider_call_id.empty() ? "" : ", CallSid " + s.provider_call_id));
  if (s.send_events) SendEvent(json{{"event", "started"}, {"call_id", std::to_string(row)}}.dump());

  // Codecs and rate conversion between the wire and the pipeline.
  if (s.wire_rate != s.pipeline_rate) {
    // 8 <-> 16 kHz (Twilio to a wideband pipeline): the half-band FIR, not soxr -- with
    // hundreds of calls soxr's buffers fall out of the caches and cost ~4 µs a frame.
    const bool two_to_one = s.pipeline_rate == 2 * s.wire_rate || s.wire_rate == 2 * s.pipeline_rate;
    const ResamplerBackend backend = two_to_one ? ResamplerBackend::kHalfband : ResamplerBackend::kDefault;
    auto up = Resampler::Create({.from_hz = s.wire_rate, .to_hz = s.pipeline_rate, .backend = backend});
    auto down = Resampler::Create({.from_hz = s.pipeline_rate, .to_hz = s.wire_rate, .backend = backend});
    if (!up.ok() || !down.ok()) {
      INFINI_LOG(kError, "{}: resampler: {}", Tag(), (up.ok() ? down.status() : up.status()).ToString());
      Finish("resampler unavailable");
      return;
    }
    up_ = std::move(up).value();
    down_ = std::move(down).value();
  }
  if (s.format == WireFormat::kOpus) {
    auto dec = OpusDecoder::Create({.sample_rate = s.wire_rate});
    auto enc = OpusEncoder::Create({.sample_rate = s.wire_rate});
    if (!dec.ok() || !enc.ok()) {
      INFINI_LOG(kError, "{}: opus: {}", Tag(), (dec.ok() ? enc.status() : dec.status()).ToString());
      Finish("opus unavailable");
      return;
    }
    opus_in_ = std::move(dec).value();
    opus_out_ = std::move(enc).value();
  }

  messenger_ = MakeCallMessenger();
  ConversationOptions co;
  co.caller_phone = s.from;
  co.call_id = std::to_string(row);
  co.now_utc = o.now_utc;
  co.language_model = ctx_->language_model;
  co.usage = &meter_;
  // The owner's summary and the missed-call text-back, when the business configures them.
  // The summary shows the call's cost so far (on_end runs on this session's strand).
  if (s.runtime)
    co.on_end = s.runtime->NotifyHook(row, s.from, o.now_utc ? o.now_utc : std::time(nullptr),
                                      [this] { return CostSoFarUsd(); });
  conversation_ = std::make_unique<Conversation>(*s.business, store.calendar(), messenger_.get(), co);
  VoiceCallOptions vo = o.call;
  vo.sample_rate = s.pipeline_rate;
  if (s.wire_rate < s.pipeline_rate) vo.source_rate = s.wire_rate;  // a phone line: telephone channel
  vo.usage = &meter_;
  vo.speak_on_demand = o.speak_ahead_ms > 0;
  if (!s.business->voice.empty()) vo.agent_voice = s.business->voice;
  auto sink = [this](AudioFrame f) { AgentFrame(std::move(f)); };
  auto call = VoiceCall::Create(*s.business, *conversation_, *ctx_->recognizer, *ctx_->synthesizer, vo, sink);
  if (!call.ok() && vo.agent_voice != o.call.agent_voice) {
    INFINI_LOG(kWarn, "{}: business voice '{}' failed ({}); using '{}'", Tag(), vo.agent_voice,
               call.status().ToString(), o.call.agent_voice);
    vo.agent_voice = o.call.agent_voice;
    call = VoiceCall::Create(*s.business, *conversation_, *ctx_->recognizer, *ctx_->synthesizer, vo, sink);
  }
  if (!call.ok()) {
    INFINI_LOG(kError, "{}: cannot start the pipeline: {}", Tag(), call.status().ToString());
    SendEvent(json{{"event", "error"}, {"message", call.status().ToString()}}.dump());
    Finish("pipeline unavailable");
    return;
  }
  call_ = std::move(call).value();
  Status st = call_->Start();
  if (!st.ok()) INFINI_LOG(kWarn, "{}: greeting: {}", Tag(), st.ToString());
  AfterStep();
}

void CallSession::OnAudio(std::span<const uint8_t> bytes) {
  // 1. Wire bytes -> PCM16 at the wire rate (in_pcm_ keeps its size from frame to frame:
  // resizing it from empty would zero it every time).
  switch (start_.format) {
    case WireFormat::kUlaw8k:
      in_pcm_.resize(bytes.size());
      g711::DecodeUlaw(bytes, in_pcm_);
      break;
    case WireFormat::kPcm16:
      in_pcm_.resize(bytes.size() / 2);
      std::memcpy(in_pcm_.data(), bytes.data(), in_pcm_.size() * 2);  // little-endian host
      break;
    case WireFormat::kOpus: {
      AudioFrame f;
      Status s = opus_in_->Decode(bytes, f);
      if (!s.ok()) {
        INFINI_LOG(kWarn, "{}: bad opus packet ({} bytes): {}; concealed", Tag(), bytes.size(), s.ToString());
        if (!opus_in_->Conceal(f).ok()) return;
      }
      in_pcm_ = std::move(f.samples);
      break;
    }
  }
  // 2. Wire rate -> pipeline rate, cut into 20 ms frames.
  if (up_) {
    (void)up_->Process(in_pcm_, in_rate_pcm_);
  } else {
    in_rate_pcm_.insert(in_rate_pcm_.end(), in_pcm_.begin(), in_pcm_.end());
  }
  const size_t n = static_cast<size_t>(AudioFrame::SamplesPerFrame(start_.pipeline_rate));
  size_t used = 0;
  frame_.sample_rate = start_.pipeline_rate;
  frame_.channels = 1;
  while (in_rate_pcm_.size() - used >= n && !finished_ && !ending_) {
    frame_.samples.assign(in_rate_pcm_.begin() + static_cast<long>(used),
                          in_rate_pcm_.begin() + static_cast<long>(used + n));
    used += n;
    caller_input_ = true;  // reply audio this frame causes answers the turn it ends
    Status s = call_->PushFrame(frame_);
    if (!s.ok()) INFINI_LOG(kWarn, "{}: frame: {}", Tag(), s.ToString());
    AfterStep();
    caller_input_ = answer_to_input_ = false;
    reply_turn_ = -1;
  }
  in_rate_pcm_.erase(in_rate_pcm_.begin(), in_rate_pcm_.begin() + static_cast<long>(used));
}

void CallSession::OnDtmf(char digit) {
  INFINI_LOG(kInfo, "{}: keypad {}", Tag(), digit);
  caller_input_ = true;
  Status s = call_->PushDtmf(std::string(1, digit));
  if (!s.ok()) INFINI_LOG(kWarn, "{}: keypad: {}", Tag(), s.ToString());
  AfterStep();
  caller_input_ = answer_to_input_ = false;
  reply_turn_ = -1;
}

void CallSession::OnMarkPlayed(const std::string& name) {
  if (call_ && name == last_mark_) call_->SetAgentSpeaking(false);
}

void CallSession::AgentFrame(AudioFrame f) {
  if (call_->answers_started() != answers_seen_) {  // the first frame of an answer
    answers_seen_ = call_->answers_started();
    if (utterance_audio_) EndUtterance();  // an earlier answer's audio ends here: its mark
    answer_to_input_ = caller_input_;
  }
  utterance_audio_ = true;
  // A reply to caller input: the turn VoiceCall appends once it has spoken (turns().size() now).
  // (Not the rest of an earlier answer that VoiceCall finishes before it.)
  if (caller_input_ && answer_to_input_ && reply_turn_ < 0) reply_turn_ = static_cast<int32_t>(call_->turns().size());
  if (down_) {
    (void)down_->Process(f.samples, out_wire_);
  } else {
    out_wire_.insert(out_wire_.end(), f.samples.begin(), f.samples.end());
  }
  const size_t n = static_cast<size_t>(AudioFrame::SamplesPerFrame(start_.wire_rate));
  size_t whole = out_wire_.size() / n * n;
  if (whole == 0) return;
  EmitWire(std::span<const int16_t>(out_wire_.data(), whole));
  out_wire_.erase(out_wire_.begin(), out_wire_.begin() + static_cast<long>(whole));
}

void CallSession::EmitWire(std::span<const int16_t> pcm) {
  const size_t n = static_cast<size_t>(AudioFrame::SamplesPerFrame(start_.wire_rate));
  for (size_t i = 0; i + n <= pcm.size(); i += n) {
    std::span<const int16_t> frame = pcm.subspan(i, n);
    OutItem item;
    item.kind = OutItem::Kind::kAudio;
    item.turn = reply_turn_;
    if (reply_turn_ >= 0) last_tagged_turn_ = reply_turn_;
    switch (start_.format) {
      case WireFormat::kUlaw8k:  // raw: the loop wraps due frames into one media message
        item.frame_bytes = static_cast<uint16_t>(n);
        item.data.resize(n);
        g711::EncodeUlaw(frame, std::span<uint8_t>(reinterpret_cast<uint8_t*>(item.data.data()), n));
        break;
      case WireFormat::kPcm16:
        item.binary = true;
        item.data.assign(reinterpret_cast<const char*>(frame.data()), n * 2);
        break;
      case WireFormat::kOpus: {
        AudioFrame f;
        f.sample_rate = start_.wire_rate;
        f.samples.assign(frame.begin(), frame.end());
        if (!opus_out_->Encode(f, scratch_).ok()) continue;
        item.binary = true;
        item.data.assign(reinterpret_cast<const char*>(scratch_.data()), scratch_.size());
        break;
      }
    }
    ctx_->frames_out->fetch_add(1, std::memory_order_relaxed);
    if (!outlet_->Push(std::move(item)) && outlet_->overflowed()) return;
  }
}

void CallSession::EndUtterance() {
  if (down_) {
    (void)down_->Flush(out_wire_);
    down_->Reset();
  }
  const size_t n = static_cast<size_t>(AudioFrame::SamplesPerFrame(start_.wire_rate));
  if (!out_wire_.empty()) {
    out_wire_.resize((out_wire_.size() + n - 1) / n * n, 0);  // pad the last frame with silence
    EmitWire(out_wire_);
    out_wire_.clear();
  }
  last_mark_ = fmt::format("agent-{}", ++marks_sent_);
  OutItem mark;
  mark.kind = OutItem::Kind::kMark;
  if (start_.format == WireFormat::kUlaw8k) {
    MediaStreamMessage m;
    m.event = MediaStreamMessage::Event::kMark;
    m.stream_sid = start_.stream_sid;
    m.mark_name = last_mark_;
    mark.data = FormatMediaStreamMessage(m);
  } else {
    mark.data = json{{"event", "mark"}, {"name", last_mark_}}.dump();
  }
  outlet_->Push(std::move(mark));
  utterance_audio_ = false;
}

void CallSession::SendEvent(const std::string& text) {
  if (!start_.send_events) return;
  outlet_->Push({OutItem::Kind::kText, text, false});
}

void CallSession::AfterStep() {
  if (!call_) return;
  // Barge-in: the caller spoke over the agent. Drop what is queued, tell the far end.
  if (call_->barge_ins() != barge_ins_seen_) {
    barge_ins_seen_ = call_->barge_ins();
    out_wire_.clear();
    if (down_) down_->Reset();
    utterance_audio_ = false;
    std::string clear;
    if (start_.format == WireFormat::kUlaw8k) {
      MediaStreamMessage m;
      m.event = MediaStreamMessage::Event::kClear;
      m.stream_sid = start_.stream_sid;
      clear = FormatMediaStreamMessage(m);
    } else {
      clear = json{{"event", "clear"}}.dump();
    }
    outlet_->Clear(std::move(clear));
    INFINI_LOG(kInfo, "{}: barge-in: playback cleared", Tag());
  }
  SpeakAhead();
  RecordNewTurns();  // transcripts first, so a client has the words when the mark arrives
  if (utterance_audio_ && !call_->speech_pending()) EndUtterance();  // the mark follows the last sentence
  if (outlet_->overflowed()) {
    INFINI_LOG(kWarn, "{}: the client stopped reading ({} bytes waiting); ending the call", Tag(),
               outlet_->queued_bytes());
    close_reason_ = "client stopped reading";
    outlet_->Abort("client stopped reading");
    Finish("client stopped reading");
    return;
  }
  if (call_->ended() && !ending_ && !call_->speech_pending()) {
    // The agent said goodbye (or transfers): let it be heard, then act and close.
    ending_ = true;
    std::weak_ptr<CallSession> weak = shared_from_this();
    outlet_->NotifyWhenDrained([weak] {
      if (auto self = weak.lock()) self->Post(InEvent::Of(InEvent::Kind::kDrained));
    });
  }
}

void CallSession::SpeakAhead() {
  if (!call_->speech_pending() || outlet_->gone()) return;
  // Frames, not bytes: 20 ms is 160 bytes of μ-law, 640 of PCM16, a few dozen of Opus.
  // At least one: "below 0 frames" would never come, and the answer would never end.
  const size_t ahead = static_cast<size_t>(std::max(1, ctx_->options->speak_ahead_ms / kFrameMs));
  while (call_->speech_pending() && outlet_->queued_audio_frames() < ahead && !outlet_->overflowed()) {
    Status s = call_->SpeakNext();
    if (!s.ok() && s.code() != Status::Code::kCancelled) INFINI_LOG(kWarn, "{}: speaking: {}", Tag(), s.ToString());
  }
  if (!call_->speech_pending() || speak_more_armed_) return;
  speak_more_armed_ = true;
  std::weak_ptr<CallSession> weak = shared_from_this();
  outlet_->NotifyWhenAudioBelow(ahead, [weak] {
    if (auto self = weak.lock()) self->Post(InEvent::Of(InEvent::Kind::kSpeakMore));
  });
}

void CallSession::RecordNewTurns() {
  Store& store = *ctx_->store;
  const auto& turns = call_->turns();
  const auto& said = conversation_->outcome().said;
  auto add = [&](TurnRecord t) {
    t.call_id = row_;
    t.index = turn_index_++;
    Status s = store.AddTurn(t);
    if (!s.ok()) INFINI_LOG(kWarn, "{}: turn not stored: {}", Tag(), s.ToString());
  };
  for (; turns_recorded_ < turns.size(); ++turns_recorded_) {
    const TurnTimings& t = turns[turns_recorded_];
    TurnRecord r;
    r.speaker = "caller";
    r.text = t.caller_text;
    r.caller_speech_end_ms = static_cast<int64_t>(t.speech_end_ms);
    r.asr_final_ms = static_cast<int64_t>(t.asr_final_ms);
    r.decision_ms = static_cast<int64_t>(t.decision_ms);
    if (t.tts_first_audio_ms > 0) r.tts_first_audio_ms = static_cast<int64_t>(t.tts_first_audio_ms);
    // Reply audio queued for the socket: first frame out is when the loop writes it (OnFrameWritten).
    TurnOut out{.store_index = turn_index_, .awaiting_write = last_tagged_turn_ == static_cast<int32_t>(turns_recorded_)};
    if (t.first_frame_out_ms > 0 && !out.awaiting_write) r.first_frame_out_ms = static_cast<int64_t>(t.first_frame_out_ms);
    turn_out_.resize(turns_recorded_ + 1);
    turn_out_[turns_recorded_] = out;
    add(r);
    SendEvent(json{{"event", "transcript"}, {"role", "caller"}, {"text", t.caller_text}, {"final", true}}.dump(
        -1, ' ', false, json::error_handler_t::replace));
    if (!out.awaiting_write) SendTurnEvent(turns_recorded_);
  }
  for (; said_recorded_ < said.size(); ++said_recorded_) {
    TurnRecord r;
    r.speaker = "agent";
    r.text = said[said_recorded_];
    add(r);
    SendEvent(json{{"event", "transcript"}, {"role", "agent"}, {"text", r.text}, {"final", true}}.dump(
        -1, ' ', false, json::error_handler_t::replace));
  }
}

void CallSession::SendTurnEvent(size_t turn, bool reply_out) {
  TurnTimings t = call_->turns()[turn];
  if (!reply_out) t.first_frame_out_ms = 0;
  json timings = {{"speech_end_ms", t.speech_end_ms},
                  {"asr_final_ms", t.asr_final_ms},
                  {"decision_ms", t.decision_ms},
                  {"tts_first_audio_ms", t.tts_first_audio_ms},
                  {"first_frame_out_ms", t.first_frame_out_ms},
                  {"latency_ms", t.first_frame_out_ms > 0 ? t.latency_ms() : 0.0},
                  {"endpoint_silence_ms", ctx_->options->call.turn.end_silence_ms}};
  SendEvent(json{{"event", "turn"}, {"index", turn}, {"timings", timings}}.dump());
}

void CallSession::OnFrameWritten(int32_t turn, Clock::time_point at) {
  if (!call_ || turn < 0 || static_cast<size_t>(turn) >= turn_out_.size()) return;
  TurnOut& out = turn_out_[static_cast<size_t>(turn)];
  if (!out.awaiting_write) return;
  out.awaiting_write = false;
  Status s = call_->StampFirstFrameOut(static_cast<size_t>(turn), at);
  if (!s.ok()) INFINI_LOG(kWarn, "{}: {}", Tag(), s.ToString());
  const double ms = call_->turns()[static_cast<size_t>(turn)].first_frame_out_ms;
  s = ctx_->store->SetTurnFirstFrameOut(row_, out.store_index, static_cast<int64_t>(ms));
  if (!s.ok()) INFINI_LOG(kWarn, "{}: first frame out of turn {} not stored: {}", Tag(), turn, s.ToString());
  SendTurnEvent(static_cast<size_t>(turn));
}

void CallSession::OnDrained() {
  if (finished_) return;
  const CallOutcome& o = conversation_->outcome();
  Store& store = *ctx_->store;
  const std::string via = ctx_->call_control ? ctx_->call_control->name() : "media-stream";
  if (o.transfer_to && start_.transport == "native" && start_.client_transfers) {
    TransferThroughClient(*o.transfer_to);
    return;
  }
  if (o.transfer_to) {
    // A Twilio call asks for the dial's result (POST /twilio/dial-status): until then the
    // session is parked, its row open, and an unanswered transfer resumes the call.
    const bool with_result = ctx_->call_control && ctx_->park && start_.transport == "twilio" &&
                             !start_.provider_call_id.empty() && !ctx_->dial_action_url.empty();
    Status s = !ctx_->call_control ? Status::OK()
               : with_result       ? ctx_->call_control->Dial(start_.provider_call_id, *o.transfer_to,
                                                              {.action_url = ctx_->dial_action_url,
                                                               .timeout_seconds = ctx_->dial_timeout_seconds})
                                   : ctx_->call_control->Transfer(start_.provider_call_id, *o.transfer_to);
    (void)store.AddAction(row_, "transfer",
                          json{{"target", *o.transfer_to}, {"via", via}, {"status", s.ToString()},
                               {"awaiting_result", with_result && s.ok()}}.dump());
    if (!s.ok()) {
      INFINI_LOG(kWarn, "{}: transfer to {} failed: {}", Tag(), *o.transfer_to, s.ToString());
      if (ctx_->call_control && !outlet_->gone()) {  // the caller is still here: say so, go on
        ResumeAfterFailedTransfer("transfer failed: " + s.message());
        return;
      }
    } else if (with_result) {
      parked_ = true;
      (void)store.UpdateCallStatus(row_, "transferring");
      ctx_->park(start_.provider_call_id, shared_from_this());
      ctx_->call_log(fmt::format("{}: dialing {}; waiting for the result", Tag(), *o.transfer_to));
      outlet_->Close(1000, "transferred");  // Twilio ends this stream for the <Dial> anyway
      return;
    }
  } else {
    Status s = ctx_->call_control ? ctx_->call_control->Hangup(start_.provider_call_id) : Status::OK();
    (void)store.AddAction(row_, "hangup", json{{"by", "agent"}, {"via", via}, {"status", s.ToString()}}.dump());
  }
  close_reason_ = "agent ended the call";
  Finish(o.outcome);
  outlet_->Close(1000, "call ended");
}

void CallSession::OnClosed(const std::string& reason) {
  if (finished_) return;
  if (parked_ && start_.transport != "native") {  // the transferred stream went away; the dial result decides
    INFINI_LOG(kDebug, "{}: transferred stream closed ({})", Tag(), reason);
    return;
  }
  if (parked_) {  // native: the socket is the call, and it ended while the transfer rang
    if (ctx_->unpark) ctx_->unpark(park_key_);
    parked_ = false;
    (void)ctx_->store->AddAction(row_, "transfer_result", json{{"dial_status", "none"}, {"reason", reason}}.dump());
    if (close_reason_.empty()) close_reason_ = reason + " during the transfer";
  }
  if (close_reason_.empty()) close_reason_ = reason;
  if (!started_) {
    INFINI_LOG(kInfo, "stream closed before start: {}", reason);
    finished_ = true;
    return;
  }
  if (call_ && !call_->ended()) {
    (void)call_->Hangup();
    (void)ctx_->store->AddAction(row_, "hangup", json{{"by", "caller"}, {"reason", reason}}.dump());
  }
  Finish(reason);
}

std::unique_ptr<Messenger> CallSession::MakeCallMessenger() {
  Store& store = *ctx_->store;
  auto made = MakeMessenger(ctx_->options->messenger,
                            MessengerBinding{.store = &store, .business_id = start_.business->id, .prices = ctx_->prices});
  if (made.ok()) return std::move(made).value();
  // Checked at startup, so this is an environment change (a secret unset since): keep every SMS.
  INFINI_LOG(kWarn, "{}: messenger {}: {}; SMS stay in the outbox", Tag(), RedactSecrets(ctx_->options->messenger).dump(),
             made.status().ToString());
  return std::make_unique<StoreMessenger>(store, row_);
}

double CallSession::CostSoFarUsd() const {
  if (!ctx_->prices || !started_) return 0;
  std::vector<UsageEntry> usage = meter_.Totals();
  usage.push_back({start_.transport == "twilio" ? "twilio" : "native", usage::kTelephonySeconds,
                   std::chrono::duration<double>(Clock::now() - started_at_).count()});
  double usd = EstimateCost(usage, *ctx_->prices).total_usd;
  if (auto events = ctx_->store->ListUsage(row_.load()); events.ok())  // SMS, billed as they were sent
    for (const auto& e : *events) usd += static_cast<double>(e.cost_micros) / 1e6;
  return usd;
}

int64_t CallSession::RecordCallCost(double call_seconds) {
  Store& store = *ctx_->store;
  // The transport bills the minutes: Twilio's price table entry, or 0 for our own socket.
  meter_.Add(start_.transport == "twilio" ? "twilio" : "native", usage::kTelephonySeconds, call_seconds);
  if (ctx_->prices) {
    const CostReport report = EstimateCost(meter_.Totals(), *ctx_->prices);
    Status st = RecordUsage(store, row_, start_.business->id, report);
    if (!st.ok()) INFINI_LOG(kWarn, "{}: usage not stored: {}", Tag(), st.ToString());
    if (!report.unpriced.empty())
      INFINI_LOG(kWarn, "{}: no price for {} (counted as $0; set \"prices\" in the server config)", Tag(),
                 fmt::join(report.unpriced, ", "));
  }
  // The call's total: every usage event of the call, SMS segments (billed as they are sent) included.
  int64_t total = 0;
  if (auto events = store.ListUsage(row_); events.ok())
    for (const auto& e : *events) total += e.cost_micros;
  return total;
}

void CallSession::OnDialResult(const std::string& status) {
  if (finished_) return;
  if (!parked_) {
    INFINI_LOG(kWarn, "{}: transfer result \"{}\" but no transfer is waiting for one; ignored", Tag(), status);
    return;
  }
  const bool native = start_.transport == "native";
  if (native && ctx_->unpark) ctx_->unpark(park_key_);
  dial_status_ = status;
  (void)ctx_->store->AddAction(row_, "transfer_result", json{{"dial_status", status}}.dump());
  if (status == "no-answer" || status == "busy" || status == "failed") {
    if (native) {  // the client's socket is still the call: go on on it now
      parked_ = false;
      (void)ctx_->store->UpdateCallStatus(row_, "in-progress");
      ResumeAfterFailedTransfer(fmt::format("transfer not answered ({})", status));
      return;
    }
    ctx_->call_log(fmt::format("{}: transfer not answered ({}); the call resumes on a new stream", Tag(), status));
    return;  // OnResume continues once Twilio connects the new stream
  }
  // Answered (completed), or the call is over (the caller hung up, the server stops).
  parked_ = false;
  close_reason_ = status == "completed" || status == "answered" ? "transfer answered" : status;
  Finish(conversation_ ? conversation_->outcome().outcome : status);
  if (native) outlet_->Close(1000, "transferred");
}

void CallSession::TransferThroughClient(const std::string& target) {
  Store& store = *ctx_->store;
  (void)store.AddAction(row_, "transfer",
                        json{{"target", target}, {"via", "native client"}, {"status", "OK"}, {"awaiting_result", true}}.dump());
  parked_ = true;
  park_key_ = fmt::format("native:{}", row_.load());
  (void)store.UpdateCallStatus(row_, "transferring");
  if (ctx_->park) ctx_->park(park_key_, shared_from_this());
  SendEvent(json{{"event", "transfer"}, {"to", target}, {"timeout_seconds", ctx_->dial_timeout_seconds}}.dump());
  ctx_->call_log(fmt::format("{}: transfer to {} handed to the client; waiting for its transfer_result", Tag(), target));
}

void CallSession::OnTransferTimeout(const std::string& waited) {
  if (finished_ || !parked_) return;
  parked_ = false;
  const std::string target = conversation_ ? conversation_->outcome().transfer_to.value_or("?") : "?";
  const bool unanswered = dial_status_ == "no-answer" || dial_status_ == "busy" || dial_status_ == "failed";
  (void)ctx_->store->AddAction(row_, "transfer_result",
                               json{{"dial_status", "timeout"}, {"waited", waited}, {"last_status", dial_status_}}.dump());
  INFINI_LOG(kWarn, "{}: transfer to {}: {}; closing the call with what was collected", Tag(), target,
             unanswered ? fmt::format("not answered ({}) and no new stream within {}", dial_status_, waited)
                        : fmt::format("no result within {}", waited));
  if (unanswered && conversation_) {
    // Known not answered: the callback task the caller would have heard about is still taken
    // (its words were never said, so they are not stored as said).
    if (call_) RecordNewTurns();
    (void)conversation_->OnTransferFailed();
    said_recorded_ = conversation_->outcome().said.size();
  }
  close_reason_ = unanswered ? "transfer not answered, and the caller's new stream never came"
                             : fmt::format("no transfer result within {}", waited);
  Finish(conversation_ ? conversation_->outcome().outcome : "transferred");
  if (start_.transport == "native") outlet_->Close(1000, "transfer timed out");
}

void CallSession::OnResume(const CallStart& s) {
  if (finished_ || !parked_ || !call_) {
    INFINI_LOG(kWarn, "{}: resume of a call that is not waiting for a transfer ignored", Tag());
    s.resume_outlet->Close(1011, "nothing to resume");
    return;
  }
  parked_ = false;
  hung_up_ = false;  // the old stream's close said so; this stream is live
  outlet_ = s.resume_outlet;
  speak_more_armed_ = false;  // that was the old outlet's
  start_.stream_sid = s.stream_sid;
  // A fresh stream: nothing queued or half-converted carries over.
  out_wire_.clear();
  in_rate_pcm_.clear();
  if (up_) up_->Reset();
  if (down_) down_->Reset();
  utterance_audio_ = false;
  ending_ = false;
  (void)ctx_->store->UpdateCallStatus(row_, "in-progress");
  if (ctx_->register_sid && !start_.provider_call_id.empty()) ctx_->register_sid(start_.provider_call_id, row_, true);
  ResumeAfterFailedTransfer(fmt::format("transfer not answered ({})", dial_status_.empty() ? "?" : dial_status_));
}

void CallSession::ResumeAfterFailedTransfer(const std::string& why) {
  ctx_->call_log(fmt::format("{}: {}; the caller is told and the call goes on", Tag(), why));
  Status st = call_->TransferFailed();
  if (!st.ok()) INFINI_LOG(kWarn, "{}: {}", Tag(), st.ToString());
  ending_ = false;
  AfterStep();
}

void CallSession::Finish(const std::string& why) {
  if (finished_) return;
  finished_ = true;
  if (!started_) return;
  Store& store = *ctx_->store;
  std::string outcome = "abandoned", summary = why;
  json end = {{"event", "end"}};
  if (conversation_) {
    // A call cut short (client gone, pipeline fault) ends like a hang-up: outcome kept, owner told.
    if (!conversation_->ended()) (void)conversation_->OnHangup();
    if (call_) {
      RecordNewTurns();
      // Replies never written (cleared by a barge-in, the caller gone): no first frame out.
      for (size_t k = 0; k < turn_out_.size(); ++k) {
        if (!turn_out_[k].awaiting_write) continue;
        turn_out_[k].awaiting_write = false;
        INFINI_LOG(kDebug, "{}: the reply to turn {} never reached the socket", Tag(), k);
        SendTurnEvent(k, false);
      }
    }
    const CallOutcome& o = conversation_->outcome();
    outcome = o.outcome;
    summary = Summary(o);
    // Actions, voicemail and the callback task / lead (every call that did not book leaves one).
    std::string recorded = RecordCallOutcome(store, row_, *start_.business, o);
    if (o.callback) summary = recorded;
    end["outcome"] = json::parse(CallOutcomeJson(o), nullptr, false);
  }
  const double seconds = std::chrono::duration<double>(Clock::now() - started_at_).count();
  int64_t dropped = 0;
  Clock::time_point drop_first, drop_last;
  {
    std::lock_guard<std::mutex> lock(mu_);
    dropped = dropped_;
    drop_first = drop_first_;
    drop_last = drop_last_;
  }
  if (dropped > 0) {
    auto at_ms = [&](Clock::time_point t) {
      return std::chrono::duration_cast<std::chrono::milliseconds>(t - started_at_).count();
    };
    (void)store.AddAction(row_, "audio_dropped",
                          json{{"frames", dropped},
                               {"audio_ms", dropped * kFrameMs},
                               {"first_at_ms", at_ms(drop_first)},
                               {"last_at_ms", at_ms(drop_last)},
                               {"reason", fmt::format("pipeline more than {} events behind", kMaxInboxEvents)}}
                              .dump());
    INFINI_LOG(kWarn, "{}: {} inbound frame(s) ({} ms of caller audio) were dropped during the call, the pipeline "
                      "being over {} events behind; recorded as the call's audio_dropped action",
               Tag(), dropped, dropped * kFrameMs, kMaxInboxEvents);
  }
  std::vector<double> lat;
  size_t turns = 0;
  if (call_) {
    turns = call_->turns().size();
    for (const auto& t : call_->turns())
      if (t.first_frame_out_ms > 0) lat.push_back(t.latency_ms());
  }
  std::sort(lat.begin(), lat.end());
  // The pipeline goes before the cost is stored: a recognizer session meters the audio of its
  // last, unfinished turn when it is destroyed (providers/asr_usage.h).
  call_.reset();
  const int64_t cost_micros = RecordCallCost(seconds);
  Status s = store.EndCall(row_, outcome, summary);
  if (!s.ok()) INFINI_LOG(kError, "{}: cannot close the call row: {}", Tag(), s.ToString());
  SendEvent(end.dump(-1, ' ', false, json::error_handler_t::replace));

  ctx_->call_log(fmt::format("call {} ended after {:.0f} s ({}): {} — {}; {} turns{}; est. cost ${:.4f}", row_.load(),
                             seconds, close_reason_.empty() ? why : close_reason_, outcome, summary,
                             turns,
                             lat.empty() ? "" : fmt::format(", median reply latency {:.0f} ms", lat[lat.size() / 2]),
                             static_cast<double>(cost_micros) / 1e6));
  if (ctx_->register_sid && !start_.provider_call_id.empty()) ctx_->register_sid(start_.provider_call_id, row_, false);
  ctx_->active_calls->fetch_sub(1);
  ctx_->calls_ended->fetch_add(1);
  // Free the rest of the pipeline now; the session object itself goes when the socket does.
  conversation_.reset();
  messenger_.reset();
}

}  // namespace infini::server

// The server: one libwebsockets event loop thread owns every socket; webhooks, mounted
// handlers and every call's pipeline run on the worker pool (call_session.h).
//
// The loop is built to carry thousands of 50-messages-a-second streams (docs/performance.md):
// - lws runs on a libev loop with the epoll backend (lws's own poll() loop walks every socket on
//   every wake-up: with 100 streams that was most of the host's kernel time);
// - what the loop receives goes to the worker pool in one batch per loop pass (at most every
//   kBatchUs), not one futex wake-up per audio frame;
// - two server-wide timers instead of one per socket: a pacing tick (kTickMs) for the paced
//   audio that is waiting to come due, and a sweep (start/idle/length limits).
#include "infini/server.h"

#include <ev.h>
#include <libwebsockets.h>

#include <netdb.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <chrono>
#include <cstring>
#include <limits>
#include <map>
#include <mutex>
#include <optional>
#include <thread>
#include <unordered_map>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "call_session.h"
#include "live_business.h"
#include "infini/base64.h"
#include "infini/call_control.h"
#include "infini/cost.h"
#include "infini/language_model.h"
#include "infini/messenger.h"
#include "infini/log.h"
#include "infini/registry.h"
#include "infini/store.h"
#include "infini/twilio.h"

namespace infini {
namespace {

using server::CallSession;
using server::CallStart;
using server::InEvent;
using server::Outlet;
using server::OutItem;
using server::WireFormat;
using Clock = std::chrono::steady_clock;
using nlohmann::json;

bool StartsWith(std::string_view s, std::string_view p) { return s.substr(0, p.size()) == p; }

struct WsConn;
struct Pss {  // lws's per-connection user data (zeroed by lws)
  uint64_t id;
  WsConn* ws;  // a WebSocket's entry in ws_ (nodes of an unordered_map do not move), or null
};

struct HttpConn {
  struct lws* wsi = nullptr;
  HttpRequest request;
  bool too_large = false;
  bool dispatched = false;
  bool has_response = false;
  HttpResponse response;
};

struct WsConn {
  enum class Kind { kTwilio, kNative };
  struct lws* wsi = nullptr;
  Kind kind = Kind::kNative;
  std::shared_ptr<Outlet> outlet;
  std::shared_ptr<CallSession> session;
  std::string rx;
  bool rx_binary = false;
  bool rx_overflow = false;
  bool started = false;
  bool paced = true;
  WireFormat format = WireFormat::kPcm16;
  Clock::time_point opened, last_inbound, next_due;
  bool due_set = false;
  std::string close_reason;
  std::vector<uint8_t> scratch;
  int64_t media_before_start = 0;
  int64_t bad = 0;
  bool pacing_wait = false;  // on the pacing tick's list: audio queued, not yet due
  int close_code = 0;        // the sweep ended the call: close with this on the next write turn
  int32_t written_turn = -1;  // the last caller turn whose first reply frame was written (first frame out)
  std::string stream_sid;     // Twilio: outbound media messages carry it
};

// A server-wide one-shot timer on the loop thread: an ev_timer on the libev loop (lws 4.1 does
// not re-arm its libev timer for an lws_sul scheduled from a write callback), an lws_sul on
// lws's own poll() loop.
class ServerImpl;
struct ServerTimer {
  lws_sorted_usec_list_t sul;  // first: the sul callback gets its address
  ev_timer ev;
  ServerImpl* self = nullptr;
  void (*fn)(ServerImpl*) = nullptr;
  bool armed = false;
};

class ServerImpl final : public Server {
 public:
  explicit ServerImpl(const ServerOptions& o) : options_(o) {}
  ~ServerImpl() override { Stop(); }

  Status Init() {
    if (options_.worker_threads <= 0)
      options_.worker_threads = std::max(2, static_cast<int>(std::thread::hardware_concurrency()));
    for (const auto& path : options_.business_files) {
      auto b = LoadBusinessConfig(path);
      if (!b.ok()) return b.status();
      options_.businesses.push_back(std::move(b).value());
    }
    if (options_.businesses.empty())
      return Status::InvalidArgument("server: no business configured (business_files or businesses)");
    if (options_.twilio_read_batch < 0 || options_.twilio_read_batch > 10)
      return Status::InvalidArgument(fmt::format(
          "server: twilio_read_batch {} (supported: 1..10 media messages per read, or 0 = auto)", options_.twilio_read_batch));
    if (options_.twilio_auto_batch_streams < 1)
      return Status::InvalidArgument(
          fmt::format("server: twilio_auto_batch_streams {} (must be at least 1)", options_.twilio_auto_batch_streams));
    read_batch_ = options_.twilio_read_batch == ServerOptions::kReadBatchAuto ? 1 : options_.twilio_read_batch;
    if (options_.twilio_send_batch < 0 || options_.twilio_send_batch > 10)
      return Status::InvalidArgument(fmt::format(
          "server: twilio_send_batch {} (supported: 1..10 frames per media message, or 0 = auto)", options_.twilio_send_batch));
    send_batch_ = options_.twilio_send_batch == ServerOptions::kSendBatchAuto ? 1 : options_.twilio_send_batch;
    if (options_.twilio_pipeline_rate != 8000 && options_.twilio_pipeline_rate != 16000)
      return Status::InvalidArgument(
          fmt::format("server: twilio_pipeline_rate {} (supported: 8000, 16000)", options_.twilio_pipeline_rate));
    if (options_.store_instance) {
      store_ = options_.store_instance;
    } else {
      auto s = Store::Open({.path = options_.store_path});
      if (!s.ok()) return s.status();
      owned_store_ = std::move(s).value();
      store_ = owned_store_.get();
    }
    const auto& registry = ProviderRegistry::Builtin();
    if (options_.recognizer_instance) {
      recognizer_ = options_.recognizer_instance;
    } else {
      auto r = registry.Make<Recognizer>(options_.recognizer);
      if (!r.ok()) return r.status();
      owned_recognizer_ = std::move(r).value();
      recognizer_ = owned_recognizer_.get();
    }
    if (options_.synthesizer_instance) {
      synthesizer_ = options_.synthesizer_instance;
    } else {
      auto s = registry.Make<Synthesizer>(options_.synthesizer);
      if (!s.ok()) return s.status();
      owned_synthesizer_ = std::move(s).value();
      synthesizer_ = owned_synthesizer_.get();
    }
    INFINI_RETURN_IF_ERROR(InitMetering(registry));
    // Business configs, each with its owner notifier (SMS through the same messenger as the calls').
    live_ = std::make_unique<server::LiveBusinesses>(*store_, options_.messenger, &prices_);
    for (const auto& b : options_.businesses) INFINI_RETURN_IF_ERROR(live_->Add(b));
    if (options_.twilio_auth_token.empty())
      INFINI_LOG(kWarn, "server: no Twilio auth token: {}", options_.allow_unsigned_webhooks
                     ? "UNSIGNED WEBHOOKS ARE ACCEPTED (development only)"
                     : "POST /twilio/voice answers 403 until TWILIO_AUTH_TOKEN is set");
    ctx_.options = &options_;
    ctx_.store = store_;
    ctx_.recognizer = recognizer_;
    ctx_.synthesizer = synthesizer_;
    ctx_.call_control = options_.call_control.get();
    ctx_.active_calls = &active_calls_;
    ctx_.calls_started = &calls_started_;
    ctx_.calls_ended = &calls_ended_;
    ctx_.frames_out = &frames_out_;
    ctx_.frames_handled = &frames_handled_;
    ctx_.frames_dropped = &frames_dropped_;
    ctx_.call_log = [this](const std::string& line) {
      if (options_.on_call_log) {
        options_.on_call_log(line);
      } else {
        INFINI_LOG(kInfo, "{}", line);
      }
    };
    ctx_.register_sid = [this](const std::string& sid, int64_t row, bool live) {
      std::lock_guard<std::mutex> lock(sid_mu_);
      sids_[sid] = {row, live};
    };
    ctx_.dial_timeout_seconds = options_.transfer_ring_seconds;
    ctx_.park = [this](const std::string& sid, std::shared_ptr<CallSession> session) {
      std::lock_guard<std::mutex> lock(sid_mu_);
      parked_[sid] = {std::move(session), false,
                      Clock::now() + std::chrono::seconds(options_.transfer_ring_seconds + options_.transfer_grace_seconds)};
    };
    ctx_.unpark = [this](const std::string& key) {
      std::lock_guard<std::mutex> lock(sid_mu_);
      parked_.erase(key);
    };
    return Status::OK();
  }

  void Mount(const std::string& prefix, HttpHandler handler) override {
    mounts_.emplace_back(prefix, std::move(handler));
    std::sort(mounts_.begin(), mounts_.end(),
              [](const auto& a, const auto& b) { return a.first.size() > b.first.size(); });
  }

  Status Start() override {
    if (context_) return Status::OK();
    pool_ = std::make_unique<server::WorkerPool>(options_.worker_threads);
    ctx_.pool = pool_.get();
    lws_set_log_level(LLL_ERR, [](int, const char* line) {
      std::string_view l(line);
      while (!l.empty() && (l.back() == '\n' || l.back() == '\r')) l.remove_suffix(1);
      INFINI_LOG(kWarn, "libwebsockets: {}", l);
    });
    protocols_[0] = {"infini", &ServerImpl::Callback, sizeof(Pss), 4096, 0, nullptr, 0};
    protocols_[1] = {nullptr, nullptr, 0, 0, 0, nullptr, 0};
    lws_context_creation_info info;
    std::memset(&info, 0, sizeof info);
    info.port = options_.port;
    info.iface = options_.host.empty() ? nullptr : options_.host.c_str();
    info.protocols = protocols_;
    info.user = this;
    info.options = LWS_SERVER_OPTION_DISABLE_IPV6;
    info.timeout_secs = 30;
    // lws reports a taken port only in its log, and the libev attempt would then look like a
    // missing event-loop plugin: find out first, and say which address.
    if (Status bindable = ProbeListen(options_.host, options_.port); !bindable.ok()) {
      pool_->Stop();
      return bindable;
    }
    context_ = CreateContext(info);
    if (!context_) {
      pool_->Stop();
      return Status::IOError(fmt::format("server: cannot listen on {}:{}", options_.host, options_.port));
    }
    struct lws_vhost* vh = lws_get_vhost_by_name(context_, "default");
    port_ = vh ? lws_get_vhost_listen_port(vh) : options_.port;
    if (port_ <= 0) port_ = options_.port;
    base_url_ = options_.public_url.empty() ? fmt::format("http://{}:{}", options_.host, port_) : options_.public_url;
    while (!base_url_.empty() && base_url_.back() == '/') base_url_.pop_back();
    ctx_.dial_action_url = base_url_ + "/twilio/dial-status";
    {
      std::lock_guard<std::mutex> lock(wake_mu_);
      loop_alive_ = true;
    }
    stop_ = false;
    for (ServerTimer* t : {&tick_, &sweep_, &flush_timer_}) {
      std::memset(&t->sul, 0, sizeof t->sul);
      ev_timer_init(&t->ev, &ServerImpl::OnEvTimer, 0., 0.);
      t->ev.data = t;
      t->self = this;
      t->armed = false;
    }
    tick_.fn = [](ServerImpl* s) { s->OnTick(); };
    sweep_.fn = [](ServerImpl* s) { s->OnSweep(); };
    flush_timer_.fn = [](ServerImpl*) {};  // waking the loop is enough: the loop pass flushes
    ScheduleSweep();
    loop_ = std::thread([this] {
      pool_->HoldPosts();  // inbound events go to the workers once per loop pass
      while (!stop_) {
        if (ev_loop_) {
          ev_run(ev_loop_, EVRUN_ONCE);
        } else if (lws_service(context_, 0) < 0) {
          break;
        }
        FlushInbound();
      }
      pool_->ReleasePosts();
    });
    INFINI_LOG(kInfo, "server: listening on {}:{} (public URL {}), {} workers, {} business(es), event loop: {}",
               options_.host, port_, base_url_, options_.worker_threads, live_->size(),
               ev_loop_ ? "libev/epoll" : "poll");
    return Status::OK();
  }

  // OK when host:port can be bound now (port 0 always can); otherwise why not, with the address.
  static Status ProbeListen(const std::string& host, int port) {
    if (port == 0) return Status::OK();
    addrinfo hints{};
    hints.ai_family = AF_INET;
    hints.ai_socktype = SOCK_STREAM;
    hints.ai_flags = AI_PASSIVE;
    addrinfo* found = nullptr;
    const std::string service = std::to_string(port);
    if (int rc = getaddrinfo(host.empty() ? nullptr : host.c_str(), service.c_str(), &hints, &found); rc != 0) {
      return Status::InvalidArgument(fmt::format("server: cannot listen on {}:{}: {}", host, port, gai_strerror(rc)));
    }
    Status result = Status::OK();
    int fd = ::socket(found->ai_family, SOCK_STREAM | SOCK_CLOEXEC, 0);
    int on = 1;
    if (fd >= 0) setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &on, sizeof on);
    if (fd < 0 || ::bind(fd, found->ai_addr, found->ai_addrlen) != 0) {
      const int err = errno;
      result = Status::IOError(fmt::format("server: cannot listen on {}:{}: {}{}", host, port, std::strerror(err),
                                           err == EADDRINUSE ? " (another process listens there; pick --port)" : ""));
    }
    if (fd >= 0) ::close(fd);
    freeaddrinfo(found);
    return result;
  }

  // lws on a libev loop (epoll); nullptr and lws's poll() loop if that cannot be set up.
  struct lws_context* CreateContext(lws_context_creation_info& info) {
    ev_loop_ = ev_loop_new(static_cast<unsigned>(EVBACKEND_EPOLL) | static_cast<unsigned>(EVFLAG_NOENV));
    if (!ev_loop_) ev_loop_ = ev_loop_new(EVFLAG_AUTO);
    if (ev_loop_) {
      void* foreign[1] = {ev_loop_};
      lws_context_creation_info ev_info = info;
      ev_info.options |= LWS_SERVER_OPTION_LIBEV;
      ev_info.foreign_loops = foreign;
      if (struct lws_context* c = lws_create_context(&ev_info)) return c;
      ev_loop_destroy(ev_loop_);
      ev_loop_ = nullptr;
      INFINI_LOG(kWarn, "server: libwebsockets did not start on its libev event loop (is the package "
                        "libwebsockets-evlib-ev installed?); trying poll(), which costs CPU per open socket on every wake-up");
    }
    return lws_create_context(&info);
  }

  void Stop() override {
    if (!context_) return;
    stop_ = true;
    lws_cancel_service(context_);
    if (loop_.joinable()) loop_.join();
    {
      std::lock_guard<std::mutex> lock(wake_mu_);
      loop_alive_ = false;
    }
    stopping_destroy_ = true;
    for (ServerTimer* t : {&tick_, &sweep_, &flush_timer_}) {
      if (ev_loop_) {
        ev_timer_stop(ev_loop_, &t->ev);
      } else {
        lws_sul_cancel(&t->sul);
      }
      t->armed = false;
    }
    lws_context_destroy(context_);  // CLOSED callbacks run here: live calls are ended below
    context_ = nullptr;
    if (ev_loop_) {
      ev_loop_destroy(ev_loop_);
      ev_loop_ = nullptr;
    }
    for (auto& [id, c] : ws_) {
      c.outlet->MarkGone();
      if (c.session) c.session->Post(InEvent::Of(InEvent::Kind::kClosed, "server stopping"));
    }
    ws_.clear();
    http_.clear();
    {  // transfers still waiting for their result end as transferred
      std::lock_guard<std::mutex> lock(sid_mu_);
      for (auto& [sid, p] : parked_) p.session->Post(InEvent::Of(InEvent::Kind::kDialResult, "server stopping"));
      parked_.clear();
    }
    pool_->Stop();  // every session finishes: rows closed with what was collected
    live_->Flush();  // owner summaries and text-backs of the last calls go out
  }

  int port() const override { return port_; }
  Store& store() override { return *store_; }
  std::shared_ptr<const BusinessConfig> business(const std::string& id) const override {
    auto rt = live_->Get(id);
    return rt ? rt->config : nullptr;
  }
  Status UpdateBusiness(BusinessConfig config, int version) override {
    return live_->Replace(std::move(config), version);
  }
  ServerStats stats() const override {
    ServerStats s;
    s.http_requests = http_requests_.load();
    s.active_calls = active_calls_.load();
    s.calls_started = calls_started_.load();
    s.calls_ended = calls_ended_.load();
    s.bad_messages = bad_messages_.load();
    s.frames_in = frames_in_.load();
    s.frames_handled = frames_handled_.load();
    s.frames_dropped = frames_dropped_.load();
    s.frames_out = frames_out_.load();
    s.twilio_streams = twilio_streams_.load();
    s.twilio_read_batch = read_batch_.load();
    s.twilio_send_batch = send_batch_.load();
    return s;
  }

 private:
  // ------------------------------------------------------------ wake-ups (any thread)
  void Wake(uint64_t id) {
    std::lock_guard<std::mutex> lock(wake_mu_);
    if (!loop_alive_) return;
    pending_.push_back(id);
    if (!wake_signalled_) {
      wake_signalled_ = true;
      lws_cancel_service(context_);
    }
  }

  void OnWakeups() {
    std::vector<uint64_t> ids;
    {
      std::lock_guard<std::mutex> lock(wake_mu_);
      ids.swap(pending_);
      wake_signalled_ = false;
    }
    std::sort(ids.begin(), ids.end());
    ids.erase(std::unique(ids.begin(), ids.end()), ids.end());
    for (uint64_t id : ids) {
      if (auto it = ws_.find(id); it != ws_.end()) {
        lws_callback_on_writable(it->second.wsi);
      } else if (auto h = http_.find(id); h != http_.end()) {
        std::lock_guard<std::mutex> lock(resp_mu_);
        if (auto r = responses_.find(id); r != responses_.end()) {
          h->second.response = std::move(r->second);
          h->second.has_response = true;
          responses_.erase(r);
          lws_callback_on_writable(h->second.wsi);
        }
      }
    }
  }

  // ------------------------------------------------------------ loop timers (loop thread)
  static constexpr int kTickMs = 10;       // pacing tick: paced audio may leave up to kLeadMs early
  static constexpr int64_t kBatchUs = 2000;  // inbound events wait at most this long for their batch

  void Arm(ServerTimer& t, int64_t us) {
    t.armed = true;
    us = std::max<int64_t>(us, 1);
    if (ev_loop_) {
      ev_timer_stop(ev_loop_, &t.ev);
      ev_timer_set(&t.ev, static_cast<double>(us) / 1e6, 0.);
      ev_timer_start(ev_loop_, &t.ev);
    } else {
      lws_sul_schedule(context_, 0, &t.sul, &ServerImpl::OnSulTimer, us);
    }
  }
  static void Fire(ServerTimer* t) {
    t->armed = false;
    t->fn(t->self);
  }
  static void OnSulTimer(lws_sorted_usec_list_t* sul) { Fire(reinterpret_cast<ServerTimer*>(sul)); }
  static void OnEvTimer(struct ev_loop*, ev_timer* w, int) { Fire(static_cast<ServerTimer*>(w->data)); }

  // After each pass of the loop: hand what it received to the workers, at most every kBatchUs
  // (so a pass that took one frame does not wake a worker for it alone).
  void FlushInbound() {
    if (pool_->held() == 0) return;
    const auto now = Clock::now();
    if (now - last_flush_ >= std::chrono::microseconds(kBatchUs)) {
      pool_->FlushPosts();
      last_flush_ = now;
      return;
    }
    if (!flush_timer_.armed)
      Arm(flush_timer_, std::chrono::duration_cast<std::chrono::microseconds>(
                            last_flush_ + std::chrono::microseconds(kBatchUs) - now).count());
  }

  // The socket goes into the wheel slot of the tick when that is, so a tick visits only the sockets
  // due then, not every waiting one (thousands of streams, a hundred ticks a second).
  void WaitForPacing(WsConn& c, uint64_t id) {
    if (c.pacing_wait) return;
    c.pacing_wait = true;
    const auto due_at = c.due_set ? c.next_due - std::chrono::milliseconds(kLeadMs) : Clock::now();
    Schedule(id, due_at);
  }

  // The wheel: slot k holds the sockets due in tick k (kTickMs apart), kWheelSlots ahead at most.
  int64_t TickOf(Clock::time_point t) const {
    return std::chrono::duration_cast<std::chrono::milliseconds>(t.time_since_epoch()).count() / kTickMs;
  }
  void Schedule(uint64_t id, Clock::time_point due_at) {
    if (wheel_waiting_ == 0 && !in_tick_) wheel_tick_ = TickOf(Clock::now()) - 1;  // idle: nothing older to visit
    // A tick is never missed: a due time in a visited tick goes to the next one.
    const int64_t tick = std::clamp(TickOf(due_at), wheel_tick_ + 1, wheel_tick_ + kWheelSlots - 1);
    wheel_[static_cast<size_t>(tick % kWheelSlots)].push_back(id);
    ++wheel_waiting_;
    if (!tick_.armed) Arm(tick_, kTickMs * 1000);
  }

  void OnTick() {
    const auto now = Clock::now();
    const int64_t now_tick = TickOf(now);
    in_tick_ = true;
    // Every slot up to now (a late timer visits the ones it skipped, the whole wheel at most).
    const int64_t last = std::min(now_tick, wheel_tick_ + kWheelSlots);
    std::vector<uint64_t> due;
    for (int64_t t = wheel_tick_ + 1; t <= last; ++t) {
      wheel_tick_ = t;  // what is scheduled from here on goes to a later tick
      auto& slot = wheel_[static_cast<size_t>(t % kWheelSlots)];
      if (slot.empty()) continue;
      due.swap(slot);
      wheel_waiting_ -= due.size();
      for (uint64_t id : due) {
        auto it = ws_.find(id);
        if (it == ws_.end() || !it->second.pacing_wait) continue;
        WsConn& c = it->second;
        c.pacing_wait = false;
        if (!c.due_set || RunDue(c, now)) {
          lws_callback_on_writable(c.wsi);
        } else {
          WaitForPacing(c, id);  // not yet (due later within this tick): the next one
        }
      }
      due.clear();
      if (slot.empty()) slot.swap(due);  // the slot keeps its capacity: no allocation per tick
    }
    wheel_tick_ = std::max(wheel_tick_, now_tick);
    in_tick_ = false;
    if (wheel_waiting_ > 0) Arm(tick_, kTickMs * 1000);
  }

  void ScheduleSweep() {
    int ms = std::min(options_.start_timeout_ms, options_.idle_timeout_ms) / 5;
    ms = std::clamp(ms, 20, 1000);
    Arm(sweep_, ms * 1000);
  }

  // Start, idle and length limits of every stream (one pass over them, a few times a second).
  void OnSweep() {
    const auto now = Clock::now();
    for (auto& [id, c] : ws_) {
      if (c.close_code) continue;
      int code = 0;
      if (!c.started && now - c.opened >= std::chrono::milliseconds(options_.start_timeout_ms)) {
        bad_messages_.fetch_add(1);
        INFINI_LOG(kWarn, "server: {} stream sent no start within {} ms; closing", KindName(c), options_.start_timeout_ms);
        c.close_reason = "no start message";
        code = LWS_CLOSE_STATUS_POLICY_VIOLATION;
      } else if (c.started && now - c.last_inbound >= std::chrono::milliseconds(options_.idle_timeout_ms)) {
        INFINI_LOG(kWarn, "server: call {}: no audio for {} ms; ending it", c.session->row(), options_.idle_timeout_ms);
        c.close_reason = "caller silent (no frames)";
        code = LWS_CLOSE_STATUS_GOINGAWAY;
      } else if (c.started && now - c.opened >= std::chrono::seconds(options_.max_call_seconds)) {
        INFINI_LOG(kWarn, "server: call {}: longer than {} s; ending it", c.session->row(), options_.max_call_seconds);
        c.close_reason = "maximum call length";
        code = LWS_CLOSE_STATUS_GOINGAWAY;
      }
      if (code) {
        c.close_code = code;
        lws_callback_on_writable(c.wsi);
      }
    }
    ExpireTransfers(now);
    ScheduleSweep();
  }

  // Transfers waiting past their deadline (ring + grace, or grace for the new stream after an
  // unanswered dial): the session closes the call with what was collected.
  void ExpireTransfers(Clock::time_point now) {
    std::vector<std::pair<std::shared_ptr<CallSession>, std::string>> expired;
    {
      std::lock_guard<std::mutex> lock(sid_mu_);
      for (auto it = parked_.begin(); it != parked_.end();) {
        if (now < it->second.deadline) {
          ++it;
          continue;
        }
        const int ring = options_.transfer_ring_seconds, grace = options_.transfer_grace_seconds;
        expired.emplace_back(std::move(it->second.session),
                             it->second.resuming ? fmt::format("{} s (transfer_grace_seconds) of the dial result", grace)
                                                 : fmt::format("{} s (ring {} s + grace {} s)", ring + grace, ring, grace));
        it = parked_.erase(it);
      }
    }
    for (auto& [session, waited] : expired) session->Post(InEvent::Of(InEvent::Kind::kTransferTimeout, waited));
  }

  // ------------------------------------------------------------ lws callback
  static int Callback(struct lws* wsi, enum lws_callback_reasons reason, void* user, void* in, size_t len) {
    auto* self = static_cast<ServerImpl*>(lws_context_user(lws_get_context(wsi)));
    if (!self) return lws_callback_http_dummy(wsi, reason, user, in, len);
    return self->Handle(wsi, reason, static_cast<Pss*>(user), in, len);
  }

  int Handle(struct lws* wsi, enum lws_callback_reasons reason, Pss* pss, void* in, size_t len) {
    switch (reason) {
      case LWS_CALLBACK_EVENT_WAIT_CANCELLED:
        OnWakeups();
        return 0;
      // ---- HTTP
      case LWS_CALLBACK_HTTP:
        return OnHttp(wsi, pss, static_cast<const char*>(in));
      case LWS_CALLBACK_HTTP_BODY: {
        auto it = pss ? http_.find(pss->id) : http_.end();
        if (it == http_.end()) return -1;
        HttpConn& c = it->second;
        if (!c.too_large) {
          if (c.request.body.size() + len > options_.max_body_bytes) {
            c.too_large = true;
            c.request.body.clear();
          } else {
            c.request.body.append(static_cast<const char*>(in), len);
          }
        }
        return 0;
      }
      case LWS_CALLBACK_HTTP_BODY_COMPLETION: {
        auto it = pss ? http_.find(pss->id) : http_.end();
        if (it == http_.end()) return -1;
        Dispatch(pss->id, it->second);
        return 0;
      }
      case LWS_CALLBACK_HTTP_WRITEABLE: {
        auto it = pss ? http_.find(pss->id) : http_.end();
        if (it == http_.end() || !it->second.has_response) return 0;
        return WriteResponse(it->second);
      }
      case LWS_CALLBACK_CLOSED_HTTP:
        if (pss) http_.erase(pss->id);
        return 0;
      // ---- WebSocket
      case LWS_CALLBACK_FILTER_PROTOCOL_CONNECTION: {
        std::string path = UriOf(wsi);
        if (path != "/twilio/stream" && path != "/voice") {
          INFINI_LOG(kWarn, "server: WebSocket upgrade to unknown path {} refused", path);
          return 1;
        }
        return 0;
      }
      case LWS_CALLBACK_ESTABLISHED:
        return OnWsOpen(wsi, pss);
      case LWS_CALLBACK_RECEIVE:
        return OnWsReceive(wsi, pss, in, len);
      case LWS_CALLBACK_SERVER_WRITEABLE:
        return OnWsWritable(pss);
      case LWS_CALLBACK_CLOSED:
        OnWsClosed(pss);
        return 0;
      default:
        break;
    }
    return lws_callback_http_dummy(wsi, reason, pss, in, len);
  }

  static std::string UriOf(struct lws* wsi) {
    char buf[512];
    int n = lws_hdr_copy(wsi, buf, sizeof buf, WSI_TOKEN_GET_URI);
    std::string path = n > 0 ? std::string(buf, static_cast<size_t>(n)) : std::string();
    if (auto q = path.find('?'); q != std::string::npos) path.resize(q);
    return path;
  }

  // ------------------------------------------------------------ HTTP
  int OnHttp(struct lws* wsi, Pss* pss, const char* uri) {
    if (!pss) return -1;
    if (pss->id) http_.erase(pss->id);  // keep-alive: a new transaction on the same connection
    pss->id = ++next_id_;
    http_requests_.fetch_add(1);
    HttpConn& c = http_[pss->id];
    c.wsi = wsi;
    HttpRequest& r = c.request;
    r.path = uri ? uri : "/";
    static const std::pair<lws_token_indexes, const char*> kMethods[] = {
        {WSI_TOKEN_GET_URI, "GET"},         {WSI_TOKEN_POST_URI, "POST"},   {WSI_TOKEN_PUT_URI, "PUT"},
        {WSI_TOKEN_DELETE_URI, "DELETE"},   {WSI_TOKEN_PATCH_URI, "PATCH"}, {WSI_TOKEN_OPTIONS_URI, "OPTIONS"},
        {WSI_TOKEN_HEAD_URI, "HEAD"}};
    for (const auto& [token, name] : kMethods) {
      if (lws_hdr_total_length(wsi, token) > 0) {
        r.method = name;
        break;
      }
    }
    static const std::pair<lws_token_indexes, const char*> kHeaders[] = {
        {WSI_TOKEN_HOST, "host"},
        {WSI_TOKEN_HTTP_CONTENT_TYPE, "content-type"},
        {WSI_TOKEN_HTTP_CONTENT_LENGTH, "content-length"},
        {WSI_TOKEN_HTTP_AUTHORIZATION, "authorization"},
        {WSI_TOKEN_HTTP_COOKIE, "cookie"},
        {WSI_TOKEN_HTTP_ACCEPT, "accept"},
        {WSI_TOKEN_HTTP_IF_NONE_MATCH, "if-none-match"},
        {WSI_TOKEN_HTTP_USER_AGENT, "user-agent"},
        {WSI_TOKEN_HTTP_TRANSFER_ENCODING, "transfer-encoding"},
        {WSI_TOKEN_X_FORWARDED_FOR, "x-forwarded-for"},
        {WSI_TOKEN_ORIGIN, "origin"}};
    std::string value;
    for (const auto& [token, name] : kHeaders) {
      int n = lws_hdr_total_length(wsi, token);
      if (n <= 0) continue;
      value.assign(static_cast<size_t>(n) + 1, '\0');
      if (lws_hdr_copy(wsi, value.data(), n + 1, token) >= 0) r.headers[name] = value.c_str();
    }
    for (const char* name : {"x-twilio-signature:", "x-forwarded-proto:", "x-forwarded-host:", "x-request-id:"}) {
      int nlen = static_cast<int>(std::strlen(name));
      int n = lws_hdr_custom_length(wsi, name, nlen);
      if (n <= 0) continue;
      value.assign(static_cast<size_t>(n) + 1, '\0');
      if (lws_hdr_custom_copy(wsi, value.data(), n + 1, name, nlen) >= 0)
        r.headers[std::string(name, static_cast<size_t>(nlen - 1))] = value.c_str();
    }
    // Query: lws hands back each argument decoded; re-encode so query_param() decodes once.
    char frag[2048];
    for (int i = 0;; ++i) {
      int n = lws_hdr_copy_fragment(wsi, frag, sizeof frag, WSI_TOKEN_HTTP_URI_ARGS, i);
      if (n <= 0) break;
      std::string_view f(frag, static_cast<size_t>(n));
      if (!r.query.empty()) r.query += '&';
      auto eq = f.find('=');
      r.query += PercentEncode(f.substr(0, eq));
      if (eq != std::string_view::npos) r.query += "=" + PercentEncode(f.substr(eq + 1));
    }
    char peer[64] = {0};
    if (lws_get_peer_simple(wsi, peer, sizeof peer)) r.remote_address = peer;

    const std::string cl = r.header("content-length");
    long long length = 0;
    if (!cl.empty()) {
      try {
        length = std::stoll(cl);
      } catch (...) {
        length = -1;
      }
    }
    if (length < 0 || static_cast<unsigned long long>(length) > options_.max_body_bytes) {
      c.too_large = length > 0;
      Respond(pss->id, length < 0 ? HttpResponse::Error(400, "bad Content-Length")
                                  : HttpResponse::Error(413, fmt::format("request body over {} bytes",
                                                                         options_.max_body_bytes)));
      return 0;
    }
    const bool has_body = length > 0 || !r.header("transfer-encoding").empty();
    if (!has_body) Dispatch(pss->id, c);
    return 0;  // the body arrives in LWS_CALLBACK_HTTP_BODY
  }

  void Respond(uint64_t id, HttpResponse response) {
    auto it = http_.find(id);
    if (it == http_.end()) return;
    it->second.dispatched = true;
    it->second.response = std::move(response);
    it->second.has_response = true;
    lws_callback_on_writable(it->second.wsi);
  }

  void Dispatch(uint64_t id, HttpConn& c) {
    if (c.dispatched) return;
    c.dispatched = true;
    if (c.too_large) {
      c.dispatched = false;
      Respond(id, HttpResponse::Error(413, fmt::format("request body over {} bytes", options_.max_body_bytes)));
      return;
    }
    pool_->Post([this, id, req = std::move(c.request)]() mutable {
      HttpResponse resp;
      try {
        resp = Route(req);
      } catch (const std::exception& e) {
        INFINI_LOG(kError, "server: handler for {} {} threw: {}", req.method, req.path, e.what());
        resp = HttpResponse::Error(500, "internal error");
      } catch (...) {
        resp = HttpResponse::Error(500, "internal error");
      }
      {
        std::lock_guard<std::mutex> lock(resp_mu_);
        responses_[id] = std::move(resp);
      }
      Wake(id);
    });
  }

  int WriteResponse(HttpConn& c) {
    const HttpResponse& r = c.response;
    std::vector<unsigned char> head(LWS_PRE + 4096 + r.headers.size() * 256);
    unsigned char* start = head.data() + LWS_PRE;
    unsigned char* p = start;
    unsigned char* end = head.data() + head.size() - 1;
    const bool head_only = c.request.method == "HEAD";
    if (lws_add_http_common_headers(c.wsi, static_cast<unsigned>(r.status), r.content_type.c_str(),
                                    r.body.size(), &p, end))
      return 1;
    for (const auto& [name, value] : r.headers) {
      std::string n = name + ":";
      if (lws_add_http_header_by_name(c.wsi, reinterpret_cast<const unsigned char*>(n.c_str()),
                                      reinterpret_cast<const unsigned char*>(value.data()),
                                      static_cast<int>(value.size()), &p, end))
        return 1;
    }
    if (lws_finalize_write_http_header(c.wsi, start, &p, end)) return 1;
    if (!r.body.empty() && !head_only) {
      std::vector<unsigned char> body(LWS_PRE + r.body.size());
      std::memcpy(body.data() + LWS_PRE, r.body.data(), r.body.size());
      if (lws_write(c.wsi, body.data() + LWS_PRE, r.body.size(), LWS_WRITE_HTTP_FINAL) < 0) return -1;
    }
    c.has_response = false;
    if (lws_http_transaction_completed(c.wsi)) return -1;
    return 0;
  }

  HttpResponse Route(const HttpRequest& req) {
    if (req.path == "/twilio/voice") return req.method == "POST" ? TwilioVoice(req) : HttpResponse::Error(405, "POST only");
    if (req.path == "/twilio/status") return req.method == "POST" ? TwilioStatus(req) : HttpResponse::Error(405, "POST only");
    if (req.path == "/twilio/dial-status")
      return req.method == "POST" ? TwilioDialStatus(req) : HttpResponse::Error(405, "POST only");
    if (req.path == "/healthz")
      return HttpResponse::Json(200, json{{"ok", true},
                                          {"active_calls", active_calls_.load()},
                                          {"frames_in", frames_in_.load()},
                                          {"frames_handled", frames_handled_.load()},
                                          {"frames_dropped", frames_dropped_.load()},
                                          {"frames_out", frames_out_.load()},
                                          {"twilio_streams", twilio_streams_.load()},
                                          {"twilio_read_batch", read_batch_.load()},
                                          {"twilio_send_batch", send_batch_.load()}}.dump());
    for (const auto& [prefix, handler] : mounts_) {
      if (StartsWith(req.path, prefix) &&
          (req.path.size() == prefix.size() || prefix.back() == '/' || req.path[prefix.size()] == '/'))
        return handler(req);
    }
    return HttpResponse::Error(404, fmt::format("no route for {} {}", req.method, req.path));
  }

  // Twilio signs public_url + path (+ ?query) and the POST form.
  bool SignedByTwilio(const HttpRequest& req, const std::map<std::string, std::string>& form) {
    if (options_.twilio_auth_token.empty()) return options_.allow_unsigned_webhooks;
    std::string url = base_url_ + req.path;
    if (!req.query.empty()) url += "?" + req.query;
    return ValidateTwilioSignature(url, form, options_.twilio_auth_token, req.header("x-twilio-signature"));
  }

  // The 403 for a Twilio webhook that is not signed by Twilio (counted, logged with the
  // reason), or nullopt when it is.
  std::optional<HttpResponse> RefuseUnsigned(const HttpRequest& req, const std::map<std::string, std::string>& form) {
    if (SignedByTwilio(req, form)) return std::nullopt;
    bad_messages_.fetch_add(1);
    INFINI_LOG(kWarn, "server: {} {} from {} refused: {}", req.method, req.path, req.remote_address,
               options_.twilio_auth_token.empty() ? "no Twilio auth token configured"
               : req.header("x-twilio-signature").empty() ? "no X-Twilio-Signature"
                                                          : "X-Twilio-Signature does not match");
    return HttpResponse::Error(403, "invalid Twilio signature");
  }

  // The live config version a new call gets (live_business.h); null for an unknown id.
  std::shared_ptr<const server::BusinessRuntime> BusinessFor(std::string_view to, std::string_view id) const {
    return live_->Find(to, id);
  }

  std::string StreamUrl() const {
    std::string u = base_url_;
    if (StartsWith(u, "https://")) u = "wss://" + u.substr(8);
    else if (StartsWith(u, "http://")) u = "ws://" + u.substr(7);
    return u + "/twilio/stream";
  }

  HttpResponse TwilioVoice(const HttpRequest& req) {
    auto form = ParseFormUrlEncoded(req.body);
    if (auto refused = RefuseUnsigned(req, form)) return *refused;
    const std::string sid = form["CallSid"], from = form["From"], to = form["To"];
    const auto b = BusinessFor(to, "");
    CallRecord rec;
    rec.business_id = b->config->id;
    rec.provider_call_id = sid;
    rec.from_phone = from;
    rec.to_phone = to;
    rec.status = form.count("CallStatus") ? form["CallStatus"] : "ringing";
    auto row = store_->StartCall(rec);
    if (row.ok() && !sid.empty()) {
      std::lock_guard<std::mutex> lock(sid_mu_);
      sids_[sid] = {row.value(), false};
    } else if (!row.ok()) {
      INFINI_LOG(kError, "server: webhook for {}: cannot record the call: {}", sid, row.status().ToString());
    }
    HttpResponse r;
    r.content_type = "text/xml";
    r.body = ConnectStreamTwiml(StreamUrl(), {{"caller", from}, {"callSid", sid}, {"to", to}});
    return r;
  }

  HttpResponse TwilioStatus(const HttpRequest& req) {
    auto form = ParseFormUrlEncoded(req.body);
    if (auto refused = RefuseUnsigned(req, form)) return *refused;
    const std::string sid = form["CallSid"], status = form["CallStatus"];
    int64_t row = 0;
    bool live = false;
    {
      std::lock_guard<std::mutex> lock(sid_mu_);
      if (auto it = sids_.find(sid); it != sids_.end()) {
        row = it->second.first;
        live = it->second.second;
      }
    }
    if (row == 0 && !sid.empty()) {
      CallFilter f;
      f.limit = 500;
      auto calls = store_->ListCalls(f);
      if (calls.ok())
        for (const auto& c : calls.value())
          if (c.provider_call_id == sid) row = c.id;
    }
    HttpResponse ok;
    ok.content_type = "text/xml";
    ok.body = "<?xml version=\"1.0\" encoding=\"UTF-8\"?><Response/>";
    if (row == 0) {
      INFINI_LOG(kWarn, "server: status callback for unknown call {} ({}) ignored", sid, status);
      return ok;
    }
    static const char* kFinal[] = {"completed", "busy", "failed", "no-answer", "canceled"};
    const bool final = std::find(std::begin(kFinal), std::end(kFinal), status) != std::end(kFinal);
    if (final) {  // a transfer still waiting for its result: the call is over
      std::shared_ptr<CallSession> parked;
      {
        std::lock_guard<std::mutex> lock(sid_mu_);
        if (auto it = parked_.find(sid); it != parked_.end()) {
          parked = std::move(it->second.session);
          parked_.erase(it);
        }
      }
      if (parked) {
        parked->Post(InEvent::Of(InEvent::Kind::kDialResult, "call " + status + " during the transfer"));
        return ok;
      }
    }
    Status s = store_->UpdateCallStatus(row, status);
    if (!s.ok()) INFINI_LOG(kWarn, "server: call {}: status {} not recorded: {}", row, status, s.ToString());
    if (final && !live) {
      auto call = store_->GetCall(row);
      if (call.ok() && call->ended_utc == 0)
        (void)store_->EndCall(row, status == "completed" ? "abandoned" : status,
                              fmt::format("ended before the media stream ({})", status));
    }
    return ok;
  }

  // The <Dial action> of a transfer (docs/twilio-setup.md): answered -> the call is done;
  // no-answer / busy / failed -> TwiML that connects a new stream, on which the parked call
  // resumes (the caller hears that no one picked up and a callback task is taken).
  HttpResponse TwilioDialStatus(const HttpRequest& req) {
    auto form = ParseFormUrlEncoded(req.body);
    if (auto refused = RefuseUnsigned(req, form)) return *refused;
    const std::string sid = form["CallSid"], status = form["DialCallStatus"];
    HttpResponse r;
    r.content_type = "text/xml";
    std::shared_ptr<CallSession> session;
    const bool unanswered = status == "no-answer" || status == "busy" || status == "failed";
    {
      std::lock_guard<std::mutex> lock(sid_mu_);
      if (auto it = parked_.find(sid); it != parked_.end() && !it->second.resuming) {
        session = it->second.session;
        if (unanswered) {  // the new stream's start takes it, within the grace period
          it->second.resuming = true;
          it->second.deadline = Clock::now() + std::chrono::seconds(options_.transfer_grace_seconds);
        }
        else parked_.erase(it);
      }
    }
    if (!session) {
      INFINI_LOG(kWarn, "server: dial result {} for {}: no transfer is waiting for it", status.empty() ? "(none)" : status,
                 sid.empty() ? "(no CallSid)" : sid);
      r.body = "<?xml version=\"1.0\" encoding=\"UTF-8\"?><Response><Hangup/></Response>";
      return r;
    }
    session->Post(InEvent::Of(InEvent::Kind::kDialResult, status.empty() ? "completed" : status));
    if (!unanswered) {
      r.body = "<?xml version=\"1.0\" encoding=\"UTF-8\"?><Response><Hangup/></Response>";
      return r;
    }
    r.body = ConnectStreamTwiml(StreamUrl(), {{"caller", form["From"]}, {"callSid", sid}, {"to", form["To"]},
                                              {"resume", "transfer-failed"}});
    return r;
  }

  // ------------------------------------------------------------ WebSocket
  int OnWsOpen(struct lws* wsi, Pss* pss) {
    if (!pss) return -1;
    pss->id = ++next_id_;
    WsConn& c = ws_[pss->id];
    pss->ws = &c;
    c.wsi = wsi;
    c.kind = UriOf(wsi) == "/twilio/stream" ? WsConn::Kind::kTwilio : WsConn::Kind::kNative;
    c.opened = c.last_inbound = Clock::now();
    const uint64_t id = pss->id;
    c.outlet = std::make_shared<Outlet>(id, [this](uint64_t i) { Wake(i); }, options_.max_outbound_queue_bytes);
    c.session = std::make_shared<CallSession>(&ctx_, c.outlet);
    if (c.kind == WsConn::Kind::kTwilio) {
      twilio_streams_.fetch_add(1);
      if (!UpdateReadBatch() && read_batch_ > 1) SetReadBatch(c, read_batch_);
      UpdateSendBatch();
    }
    return 0;
  }

  // An "auto" batch now: `past` from twilio_auto_batch_streams open Twilio streams, 1 below 80 %
  // of it, `current` in between (the gap keeps a host near the line from flipping every call).
  int AutoBatch(int current, int past) const {
    const int64_t open = twilio_streams_.load(), line = options_.twilio_auto_batch_streams;
    if (open >= line) return past;
    if (open * 5 < line * 4) return 1;
    return current;
  }

  // twilio_read_batch "auto": 1 below twilio_auto_batch_streams open streams, 3 from there,
  // 1 again below 80 % of it (the gap keeps a host near the line from flipping every call).
  // True when it changed (every open Twilio stream has the new batch then).
  bool UpdateReadBatch() {
    if (options_.twilio_read_batch != ServerOptions::kReadBatchAuto) return false;
    const int64_t open = twilio_streams_.load();
    const int batch = AutoBatch(read_batch_, kAutoReadBatch);
    if (batch == read_batch_) return false;
    INFINI_LOG(kInfo, "server: {} Twilio streams open: reading media {} message{} at a time", open, batch,
               batch == 1 ? "" : "s");
    read_batch_ = batch;
    for (auto& [id, conn] : ws_)
      if (conn.kind == WsConn::Kind::kTwilio) SetReadBatch(conn, batch);
    return true;
  }

  // twilio_send_batch "auto": the same line as the reads -- 1 frame per outbound media message
  // below it, 10 (200 ms) from it, 1 again below 80 % of it.
  void UpdateSendBatch() {
    if (options_.twilio_send_batch != ServerOptions::kSendBatchAuto) return;
    const int64_t open = twilio_streams_.load();
    const int batch = AutoBatch(send_batch_, kAutoSendBatch);
    if (batch == send_batch_) return;
    INFINI_LOG(kInfo, "server: {} Twilio streams open: sending {} ms of audio per media message", open, batch * kFrameMs);
    send_batch_ = batch;
  }

  // A Twilio media message is ~360 bytes: the kernel wakes the loop once about `batch` of them wait.
  static void SetReadBatch(WsConn& c, int batch) {
    const int bytes = batch > 1 ? batch * kMinMediaMessageBytes : 1;
    if (setsockopt(lws_get_socket_fd(c.wsi), SOL_SOCKET, SO_RCVLOWAT, &bytes, sizeof bytes) != 0)
      INFINI_LOG(kWarn, "server: SO_RCVLOWAT {} on a Twilio stream: {}", bytes, std::strerror(errno));
  }

  static const char* KindName(const WsConn& c) { return c.kind == WsConn::Kind::kTwilio ? "twilio" : "native"; }

  static constexpr int kLeadMs = 40;  // paced audio may run this far ahead of real time
  static constexpr int kAutoReadBatch = 3;  // what "auto" reads by past the line
  static constexpr int kAutoSendBatch = 10;  // frames per outbound media message "auto" sends past it
  // The smallest 20 ms Twilio media message: 216 base64 characters of payload in ~120 of JSON.
  static constexpr int kMinMediaMessageBytes = 330;

  // Paced audio: the next run (one media message, up to a send batch of frames) may leave once
  // its first frame is due within kLeadMs. Twilio buffers what it is sent, so a run is played
  // from its first frame on; waiting for its last frame instead would delay every reply's first
  // audio by the run's length, and a clock restarted while a run waited would never let it go.
  static bool RunDue(const WsConn& c, Clock::time_point now) {
    return !c.paced || now + std::chrono::milliseconds(kLeadMs) >= c.next_due;
  }

  int OnWsWritable(Pss* pss) {
    if (!pss || !pss->ws) return 0;
    WsConn& c = *pss->ws;
    if (c.close_code) {
      const char* why = c.close_code == LWS_CLOSE_STATUS_POLICY_VIOLATION ? "no start" : "ending";
      lws_close_reason(c.wsi, static_cast<lws_close_status>(c.close_code),
                       reinterpret_cast<unsigned char*>(const_cast<char*>(why)), std::strlen(why));
      return -1;
    }
    if (c.outlet->aborting()) {
      if (c.close_reason.empty()) c.close_reason = "client stopped reading";
      return -1;
    }
    // The session's answer has more sentences and little of its audio is left: ask for them
    // now, so they are synthesized while what is queued plays.
    if (auto cb = c.outlet->TakeLowAudioCallback()) cb();
    const auto now = Clock::now();
    if (c.paced && (!c.due_set || c.next_due < now - std::chrono::milliseconds(kFrameMs))) {
      c.next_due = now;  // idle until now: start the clock here
      c.due_set = true;
    }
    const bool twilio = c.kind == WsConn::Kind::kTwilio;
    const int batch = twilio ? send_batch_.load() : 1;
    OutItem item;
    auto got = c.outlet->Pop(item, batch, RunDue(c, now));
    if (got == Outlet::PopResult::kPopped) {
      std::string_view message = item.data;
      int frames = 1;
      if (item.kind == OutItem::Kind::kAudio && item.frame_bytes) {  // raw μ-law frames: one media message
        frames = static_cast<int>(item.data.size() / item.frame_bytes);
        FormatOutboundMedia(c.stream_sid, std::span<const uint8_t>(reinterpret_cast<const uint8_t*>(item.data.data()),
                                                                   item.data.size()), media_);
        message = media_;
      }
      if (wbuf_.size() < LWS_PRE + message.size()) wbuf_.resize(LWS_PRE + message.size());
      std::memcpy(wbuf_.data() + LWS_PRE, message.data(), message.size());
      int n = lws_write(c.wsi, wbuf_.data() + LWS_PRE, message.size(), item.binary ? LWS_WRITE_BINARY : LWS_WRITE_TEXT);
      if (n < 0) {
        c.close_reason = "write failed";
        return -1;
      }
      if (item.kind == OutItem::Kind::kAudio && c.paced) c.next_due += std::chrono::milliseconds(kFrameMs * frames);
      if (item.turn > c.written_turn && c.session) {  // a reply's first frame is out: the turn's stamp
        c.written_turn = item.turn;
        c.session->Post(InEvent::Written(item.turn, Clock::now()));
      }
      if (item.kind == OutItem::Kind::kText && item.data.find("\"clear\"") != std::string::npos) c.due_set = false;
      if (item.kind == OutItem::Kind::kMark && c.kind == WsConn::Kind::kNative && c.paced && c.session) {
        // Paced native audio has been played by now: the mark counts as reached.
        std::string name = json::parse(item.data, nullptr, false).value("name", "");
        c.session->Post(InEvent::Of(InEvent::Kind::kMarkPlayed, name));
      }
      // Paced audio behind it, not due yet: straight to the pacing tick, without a write turn
      // that would only find it early (a poll change and a callback per frame per stream).
      if (c.paced && c.outlet->Peek(batch, RunDue(c, Clock::now())) == Outlet::PopResult::kAudioNotDue) {
        WaitForPacing(c, pss->id);
      } else {
        lws_callback_on_writable(c.wsi);
      }
      return 0;
    }
    if (got == Outlet::PopResult::kAudioNotDue) {
      WaitForPacing(c, pss->id);
      return 0;
    }
    // Nothing queued. The pacing clock keeps running: a synthesizer that delivers frames
    // barely faster than real time must not restart it (and burst) after every frame; a real
    // gap (between utterances) restarts it above, once it is a frame behind.
    if (auto cb = c.outlet->TakeDrainedCallbackIfEmpty()) cb();
    int code = 1000;
    std::string reason;
    if (c.outlet->closing(code, reason)) {
      if (c.close_reason.empty()) c.close_reason = reason;
      lws_close_reason(c.wsi, static_cast<lws_close_status>(code),
                       reinterpret_cast<unsigned char*>(reason.data()), reason.size());
      return -1;
    }
    return 0;
  }

  void OnWsClosed(Pss* pss) {
    auto it = pss ? ws_.find(pss->id) : ws_.end();
    if (it == ws_.end()) return;
    pss->ws = nullptr;
    WsConn& c = it->second;
    c.outlet->MarkGone();
    std::string why = c.close_reason.empty() ? (stop_ ? "server stopping" : "caller hung up (socket closed)")
                                             : c.close_reason;
    if (c.session) c.session->Post(InEvent::Of(InEvent::Kind::kClosed, why));
    const bool twilio = c.kind == WsConn::Kind::kTwilio;
    ws_.erase(it);
    if (twilio) {
      twilio_streams_.fetch_sub(1);
      UpdateReadBatch();
      UpdateSendBatch();
    }
  }

  int OnWsReceive(struct lws* wsi, Pss* pss, void* in, size_t len) {
    if (!pss || !pss->ws) return -1;
    WsConn& c = *pss->ws;
    if (lws_is_first_fragment(wsi)) {
      c.rx.clear();
      c.rx_overflow = false;
      c.rx_binary = lws_frame_is_binary(wsi);
    }
    if (c.rx.size() + len > options_.max_ws_message_bytes) {
      if (!c.rx_overflow) {
        bad_messages_.fetch_add(1);
        INFINI_LOG(kWarn, "server: {} stream: message over {} bytes; closing", KindName(c), options_.max_ws_message_bytes);
      }
      c.rx_overflow = true;
      c.close_reason = "message too big";
      lws_close_reason(wsi, LWS_CLOSE_STATUS_MESSAGE_TOO_LARGE, nullptr, 0);
      return -1;
    }
    c.rx.append(static_cast<const char*>(in), len);
    if (!lws_is_final_fragment(wsi) || lws_remaining_packet_payload(wsi) > 0) return 0;
    c.last_inbound = Clock::now();
    int rc = c.kind == WsConn::Kind::kTwilio ? OnTwilioMessage(c) : OnNativeMessage(c);
    c.rx.clear();
    return rc;
  }

  void Bad(WsConn& c, const std::string& what) {
    bad_messages_.fetch_add(1);
    // One line per bad message, but at most a few per second per stream.
    if (c.bad++ < 20 || c.bad % 500 == 0)
      INFINI_LOG(kWarn, "server: {} stream{}: {} (bad message #{})", KindName(c),
                 c.session && c.session->row() ? fmt::format(" of call {}", c.session->row()) : "", what, c.bad);
  }

  int OnTwilioMessage(WsConn& c) {
    if (c.rx_binary) {
      Bad(c, "binary message on a Media Streams socket ignored");
      return 0;
    }
    // Hot path: media.
    if (auto payload = FindMediaPayload(c.rx)) {
      if (!c.started) {
        if (c.media_before_start++ == 0) Bad(c, "media before start ignored");
        return 0;
      }
      Status s = Base64Decode(*payload, c.scratch);
      if (!s.ok()) {
        Bad(c, "media payload is not base64: " + s.message());
        return 0;
      }
      frames_in_.fetch_add(1, std::memory_order_relaxed);
      c.session->PostAudio(c.scratch);
      return 0;
    }
    auto msg = ParseMediaStreamMessage(c.rx);
    if (!msg.ok()) {
      Bad(c, msg.status().message());
      return 0;
    }
    using E = MediaStreamMessage::Event;
    switch (msg->event) {
      case E::kConnected:
        return 0;
      case E::kStart: {
        if (c.started) {
          Bad(c, "second start ignored");
          return 0;
        }
        if (msg->encoding != "audio/x-mulaw" || msg->sample_rate != 8000 || msg->channels != 1) {
          Bad(c, fmt::format("unsupported mediaFormat {} {} Hz x{}; closing", msg->encoding, msg->sample_rate,
                             msg->channels));
          c.close_reason = "unsupported media format";
          return -1;
        }
        CallStart s;
        s.transport = "twilio";
        auto param = [&](const char* k) {
          auto p = msg->custom_parameters.find(k);
          return p == msg->custom_parameters.end() ? std::string() : p->second;
        };
        s.from = param("caller");
        if (s.from.empty()) s.from = param("from");
        s.to = param("to");
        s.provider_call_id = msg->call_sid.empty() ? param("callSid") : msg->call_sid;
        s.stream_sid = msg->stream_sid;
        c.stream_sid = msg->stream_sid;
        s.runtime = BusinessFor(s.to, param("business"));
        if (!s.runtime) s.runtime = BusinessFor("", "");
        s.business = s.runtime->config.get();
        s.format = WireFormat::kUlaw8k;
        s.wire_rate = 8000;
        s.pipeline_rate = options_.twilio_pipeline_rate;
        {
          std::lock_guard<std::mutex> lock(sid_mu_);
          if (auto it = sids_.find(s.provider_call_id); it != sids_.end() && !it->second.second)
            s.existing_row = it->second.first;
        }
        c.started = true;
        c.paced = options_.pace_output;
        {  // the new stream of a call whose transfer was not answered: the parked session goes on
          std::lock_guard<std::mutex> lock(sid_mu_);
          if (auto it = parked_.find(s.provider_call_id); it != parked_.end() && it->second.resuming) {
            c.session = std::move(it->second.session);
            parked_.erase(it);
            s.resume_outlet = c.outlet;
          }
        }
        c.session->Post(InEvent::Begin(s));
        return 0;
      }
      case E::kMedia:  // media the fast path did not take (escapes): same handling
        if (!c.started) return 0;
        if (Status s = Base64Decode(msg->payload, c.scratch); !s.ok()) {
          Bad(c, "media payload is not base64: " + s.message());
          return 0;
        }
        frames_in_.fetch_add(1, std::memory_order_relaxed);
        c.session->PostAudio(c.scratch);
        return 0;
      case E::kDtmf:
        if (c.started) c.session->Post(InEvent::Dtmf(msg->digit));
        return 0;
      case E::kMark:
        if (c.started) c.session->Post(InEvent::Of(InEvent::Kind::kMarkPlayed, msg->mark_name));
        return 0;
      case E::kStop:
        c.close_reason = "caller hung up (stop)";
        lws_close_reason(c.wsi, LWS_CLOSE_STATUS_NORMAL, nullptr, 0);
        return -1;
      case E::kClear:
        Bad(c, "clear is an outbound message; ignored");
        return 0;
    }
    return 0;
  }

  int OnNativeMessage(WsConn& c) {
    if (c.rx_binary) {
      if (!c.started) {
        if (c.media_before_start++ == 0) Bad(c, "audio before start ignored");
        return 0;
      }
      if (c.format == WireFormat::kPcm16 && (c.rx.size() % 2 != 0 || c.rx.empty())) {
        Bad(c, fmt::format("PCM16 frame of {} bytes (odd) ignored", c.rx.size()));
        return 0;
      }
      frames_in_.fetch_add(1, std::memory_order_relaxed);
      c.session->PostAudio(std::span<const uint8_t>(reinterpret_cast<const uint8_t*>(c.rx.data()), c.rx.size()));
      return 0;
    }
    json j = json::parse(c.rx, nullptr, false);
    if (j.is_discarded() || !j.is_object()) {
      Bad(c, fmt::format("malformed JSON ({} bytes)", c.rx.size()));
      return 0;
    }
    const std::string event = j.value("event", "");
    auto str = [&](const char* k) {
      auto f = j.find(k);
      return f != j.end() && f->is_string() ? f->get<std::string>() : std::string();
    };
    if (event == "start") {
      if (c.started) {
        Bad(c, "second start ignored");
        return 0;
      }
      const std::string format = j.contains("format") ? str("format") : "pcm16";
      int rate = 16000;
      if (auto r = j.find("sample_rate"); r != j.end()) rate = r->is_number_integer() ? r->get<int>() : -1;
      std::string error;
      if (format != "pcm16" && format != "opus") error = fmt::format("format \"{}\" (supported: pcm16, opus)", format);
      if (rate != 16000) error = fmt::format("sample_rate {} (supported: 16000)", j.value("sample_rate", json()).dump());
      const auto b = BusinessFor(str("to"), str("business"));
      if (!b) error = fmt::format("unknown business \"{}\"", str("business"));
      if (!error.empty()) {
        Bad(c, "start refused: " + error);
        c.outlet->Push({OutItem::Kind::kText, json{{"event", "error"}, {"message", error}}.dump(), false});
        c.outlet->Close(1008, "bad start");
        return 0;
      }
      CallStart s;
      s.transport = "native";
      s.from = str("from");
      s.to = str("to");
      s.runtime = b;
      s.business = b->config.get();
      s.format = format == "opus" ? WireFormat::kOpus : WireFormat::kPcm16;
      s.wire_rate = 16000;
      s.pipeline_rate = 16000;
      s.send_events = true;
      if (auto t = j.find("transfers"); t != j.end() && t->is_boolean()) s.client_transfers = t->get<bool>();
      c.format = s.format;
      c.paced = options_.pace_output && str("pacing") != "none";
      c.started = true;
      c.session->Post(InEvent::Begin(s));
      return 0;
    }
    if (!c.started) {
      Bad(c, fmt::format("\"{}\" before start ignored", event.substr(0, 40)));
      return 0;
    }
    if (event == "dtmf") {
      const std::string d = str("digit");
      if (d.size() != 1 || std::string_view("0123456789*#ABCD").find(d[0]) == std::string_view::npos) {
        Bad(c, fmt::format("dtmf digit \"{}\" ignored", d.substr(0, 8)));
        return 0;
      }
      c.session->Post(InEvent::Dtmf(d[0]));
    } else if (event == "mark") {
      c.session->Post(InEvent::Of(InEvent::Kind::kMarkPlayed, str("name")));
    } else if (event == "transfer_result") {
      static const std::string_view kStatuses[] = {"completed", "answered", "no-answer", "busy", "failed", "canceled"};
      const std::string st = str("status");
      if (std::find(std::begin(kStatuses), std::end(kStatuses), st) == std::end(kStatuses)) {
        Bad(c, fmt::format("transfer_result status \"{}\" ignored (completed, answered, no-answer, busy, failed, canceled)",
                           st.substr(0, 40)));
        return 0;
      }
      c.session->Post(InEvent::Of(InEvent::Kind::kDialResult, st));
    } else if (event == "hangup") {
      c.close_reason = "caller hung up";
      c.session->Post(InEvent::Of(InEvent::Kind::kHangup, "caller hung up"));
    } else {
      Bad(c, fmt::format("unknown event \"{}\" ignored", event.substr(0, 40)));
    }
    return 0;
  }

  // Price table, language model and messenger spec for every call (usage + cost per call).
  Status InitMetering(const ProviderRegistry& registry) {
    auto prices = PriceTable::FromJson(options_.prices);
    if (!prices.ok()) return Status::InvalidArgument("server: prices: " + prices.status().message());
    prices_ = std::move(prices).value();
    if (!options_.language_model.is_null()) {
      auto lm = registry.Make<LanguageModel>(options_.language_model);
      if (!lm.ok()) return lm.status();
      language_model_ = std::move(lm).value();
      INFINI_LOG(kInfo, "server: language model {}", language_model_->name());
    }
    // Built once here so a bad spec fails at startup; each call builds its own (bound to its business).
    auto sms = MakeMessenger(options_.messenger, MessengerBinding{.store = store_, .prices = &prices_});
    if (!sms.ok()) return Status::InvalidArgument("server: messenger: " + sms.status().ToString());
    INFINI_LOG(kInfo, "server: SMS through {}", (*sms)->name());
    ctx_.prices = &prices_;
    ctx_.language_model = language_model_.get();
    return Status::OK();
  }

  ServerOptions options_;
  PriceTable prices_;
  std::unique_ptr<LanguageModel> language_model_;
  std::vector<std::pair<std::string, HttpHandler>> mounts_;
  std::unique_ptr<Store> owned_store_;
  std::unique_ptr<Recognizer> owned_recognizer_;
  std::unique_ptr<Synthesizer> owned_synthesizer_;
  Store* store_ = nullptr;
  Recognizer* recognizer_ = nullptr;
  Synthesizer* synthesizer_ = nullptr;
  std::unique_ptr<server::WorkerPool> pool_;
  server::SessionContext ctx_;
  std::unique_ptr<server::LiveBusinesses> live_;  // after the store: its notifiers write to it

  lws_protocols protocols_[2];
  struct lws_context* context_ = nullptr;
  struct ev_loop* ev_loop_ = nullptr;  // lws's foreign libev loop (epoll); null: lws's poll()
  ServerTimer tick_, sweep_, flush_timer_;
  // Streams with paced audio waiting to come due, by tick (WaitForPacing).
  static constexpr int64_t kWheelSlots = 64;  // 640 ms ahead: paced audio waits 200 ms at most (a run of 10 leaves 40 ms early)
  std::array<std::vector<uint64_t>, kWheelSlots> wheel_;
  int64_t wheel_tick_ = 0;      // the last tick visited
  size_t wheel_waiting_ = 0;    // entries in the wheel
  bool in_tick_ = false;
  Clock::time_point last_flush_{};
  std::vector<unsigned char> wbuf_;    // LWS_PRE + one outbound message
  std::thread loop_;
  std::atomic<bool> stop_{false};
  bool stopping_destroy_ = false;
  int port_ = 0;
  std::string base_url_;

  // Loop-thread state.
  uint64_t next_id_ = 0;
  std::unordered_map<uint64_t, HttpConn> http_;
  std::unordered_map<uint64_t, WsConn> ws_;

  std::mutex wake_mu_;
  bool loop_alive_ = false;
  bool wake_signalled_ = false;
  std::vector<uint64_t> pending_;
  std::mutex resp_mu_;
  std::unordered_map<uint64_t, HttpResponse> responses_;
  std::mutex sid_mu_;
  std::map<std::string, std::pair<int64_t, bool>> sids_;  // CallSid -> (row, stream live)
  struct Parked {
    std::shared_ptr<CallSession> session;
    bool resuming = false;  // not answered: waiting for the new stream
    Clock::time_point deadline;  // then the call is closed with what was collected
  };
  std::map<std::string, Parked> parked_;  // CallSid -> transfer waiting for its <Dial> result

  std::atomic<int64_t> http_requests_{0}, active_calls_{0}, calls_started_{0}, calls_ended_{0}, bad_messages_{0},
      frames_in_{0}, frames_out_{0}, frames_handled_{0}, frames_dropped_{0}, twilio_streams_{0};
  std::atomic<int> read_batch_{1};  // written on the loop thread only; stats() reads it
  std::atomic<int> send_batch_{1};  // the same
  std::string media_;               // the Twilio media message being written (reused)
};

}  // namespace

Result<std::unique_ptr<Server>> Server::Create(const ServerOptions& options) {
  auto s = std::make_unique<ServerImpl>(options);
  INFINI_RETURN_IF_ERROR(s->Init());
  return std::unique_ptr<Server>(std::move(s));
}

}  // namespace infini

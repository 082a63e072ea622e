// The outbound queue between a call's pipeline and the network thread (libinfini/server,
// internal): raw μ-law frames kept back to back and taken in due runs, barge-in, byte counts.
#include <doctest/doctest.h>

#include <string>
#include <vector>

#include "server/call_session.h"

using infini::server::Outlet;
using infini::server::OutItem;

namespace {

constexpr size_t kFrame = 160;  // 20 ms of 8 kHz μ-law

OutItem RawFrame(char fill, int32_t turn = -1) {
  OutItem item;
  item.kind = OutItem::Kind::kAudio;
  item.frame_bytes = kFrame;
  item.data.assign(kFrame, fill);
  item.turn = turn;
  return item;
}

OutItem Text(std::string s, OutItem::Kind kind = OutItem::Kind::kText) {
  OutItem item;
  item.kind = kind;
  item.data = std::move(s);
  return item;
}

struct Counted {
  int wakes = 0;
  Outlet outlet{7, [this](uint64_t id) { CHECK(id == 7); ++wakes; }, 1 << 20};
};

}  // namespace

TEST_CASE("outlet: raw frames leave in runs of up to max_frames, in order, once the run is due") {
  Counted q;
  // 120 frames: more than one ~1 s storage item, so runs cross item boundaries.
  for (int i = 0; i < 120; ++i) CHECK(q.outlet.Push(RawFrame(static_cast<char>('a' + i % 26))));
  CHECK(q.wakes == 1);  // only the first push found the queue empty
  CHECK(q.outlet.queued_bytes() == 120 * kFrame);

  OutItem out;
  CHECK(q.outlet.Pop(out, 3, false) == Outlet::PopResult::kAudioNotDue);
  CHECK(q.outlet.queued_bytes() == 120 * kFrame);  // nothing taken
  CHECK(q.outlet.Peek(3, true) == Outlet::PopResult::kPopped);
  std::string all;
  int messages = 0;
  while (q.outlet.Pop(out, 3, true) == Outlet::PopResult::kPopped) {
    ++messages;
    CHECK(out.kind == OutItem::Kind::kAudio);
    CHECK(out.frame_bytes == kFrame);
    CHECK(out.data.size() == 3 * kFrame);
    all += out.data;
  }
  CHECK(messages == 40);
  REQUIRE(all.size() == 120 * kFrame);
  for (int i = 0; i < 120; ++i) CHECK(all[static_cast<size_t>(i) * kFrame] == static_cast<char>('a' + i % 26));
  CHECK(q.outlet.queued_bytes() == 0);
  CHECK(q.outlet.Pop(out, 3, true) == Outlet::PopResult::kEmpty);
}

TEST_CASE("outlet: a run stops at a mark and takes the tail whole; text goes one at a time, always") {
  Counted q;
  for (int i = 0; i < 4; ++i) q.outlet.Push(RawFrame('x', 2));
  q.outlet.Push(Text(R"({"event":"mark"})", OutItem::Kind::kMark));
  q.outlet.Push(RawFrame('y', 3));
  OutItem out;
  REQUIRE(q.outlet.Pop(out, 3, true) == Outlet::PopResult::kPopped);
  CHECK(out.data == std::string(3 * kFrame, 'x'));
  CHECK(out.turn == 2);
  // The tail: one frame before the mark, a run of one, paced like any other.
  CHECK(q.outlet.Pop(out, 3, false) == Outlet::PopResult::kAudioNotDue);
  REQUIRE(q.outlet.Pop(out, 3, true) == Outlet::PopResult::kPopped);
  CHECK(out.data == std::string(kFrame, 'x'));
  REQUIRE(q.outlet.Pop(out, 3, false) == Outlet::PopResult::kPopped);  // the mark: not paced
  CHECK(out.kind == OutItem::Kind::kMark);
  REQUIRE(q.outlet.Pop(out, 3, true) == Outlet::PopResult::kPopped);
  CHECK(out.data == std::string(kFrame, 'y'));
  CHECK(out.turn == 3);  // a new reply's audio is not merged into the last one's
}

TEST_CASE("outlet: barge-in clears audio taken in part; the clear goes first, queued text stays, bytes add up") {
  Counted q;
  for (int i = 0; i < 60; ++i) q.outlet.Push(RawFrame('z'));
  q.outlet.Push(Text(R"({"event":"transcript"})"));
  OutItem out;
  REQUIRE(q.outlet.Pop(out, 3, true) == Outlet::PopResult::kPopped);  // playback under way
  q.outlet.Clear(R"({"event":"clear"})");
  CHECK(q.outlet.queued_bytes() == std::string(R"({"event":"clear"})").size() + std::string(R"({"event":"transcript"})").size());
  REQUIRE(q.outlet.Pop(out, 3, false) == Outlet::PopResult::kPopped);
  CHECK(out.data == R"({"event":"clear"})");
  REQUIRE(q.outlet.Pop(out, 3, false) == Outlet::PopResult::kPopped);
  CHECK(out.data == R"({"event":"transcript"})");
  CHECK(q.outlet.Pop(out, 3, true) == Outlet::PopResult::kEmpty);
  CHECK(q.outlet.queued_bytes() == 0);
  // After the clear the next reply starts cleanly from its first frame.
  q.outlet.Push(RawFrame('n'));
  REQUIRE(q.outlet.Pop(out, 3, true) == Outlet::PopResult::kPopped);
  CHECK(out.data == std::string(kFrame, 'n'));
}

TEST_CASE("outlet: native audio (whole messages) goes one message at a time; overflow aborts") {
  Outlet small(1, [](uint64_t) {}, 3 * 640);
  OutItem pcm;
  pcm.kind = OutItem::Kind::kAudio;
  pcm.binary = true;
  pcm.data.assign(640, 'p');
  CHECK(small.Push(pcm));
  CHECK(small.Push(pcm));
  OutItem out;
  REQUIRE(small.Pop(out, 3, true) == Outlet::PopResult::kPopped);
  CHECK(out.data.size() == 640);
  CHECK(out.binary);
  CHECK(small.Push(pcm));
  CHECK(small.Push(pcm));
  CHECK_FALSE(small.Push(pcm));  // past 3 messages' bytes: the client is not reading
  CHECK(small.overflowed());
  CHECK(small.aborting());
}

// CalDAV calendar (RFC 4791) over the shared libcurl client.
//
// No transactions in CalDAV, so a booking is made race-safe like this (docs/calendars.md):
//  1. REPORT calendar-query for the slot: busy (another event overlaps) -> AlreadyExists.
//  2. PUT the VEVENT (UID = appointment id) at a deterministic per-slot href
//     ("infini-<resource>-<start>.ics") with If-None-Match: *. Two bookings of the same
//     slot race for the same resource, and the server lets exactly one create it (412 for
//     the other). A 412 whose existing event has our UID is our own retry: success.
//  3. REPORT again: if an overlapping event with a different start appeared meanwhile (two
//     bookings of overlapping but different slots), ours is deleted (If-Match its ETag) and
//     AlreadyExists returned. Both may back off; neither double-books.
#include <fmt/format.h>

#include <algorithm>
#include <mutex>

#include "calendars/common.h"
#include "calendars/ical.h"
#include "calendars/time_util.h"
#include "core/xml.h"
#include "infini/calendars.h"
#include "infini/log.h"
#include "net/http_client.h"

namespace infini {
namespace {

using calendars::DavResponse;
using calendars::IcsEvent;

struct Stored {
  std::string url;   // absolute
  std::string etag;
  std::string collection;
  IcsEvent event;
};

std::string WithSlash(std::string url) {
  if (url.empty() || url.back() != '/') url.push_back('/');
  return url;
}

std::string Origin(const std::string& url) {
  size_t scheme = url.find("://");
  size_t slash = url.find('/', scheme == std::string::npos ? 0 : scheme + 3);
  return slash == std::string::npos ? url : url.substr(0, slash);
}

std::string Slug(const std::string& s) {
  std::string out;
  for (char c : s) {
    if (std::isalnum(static_cast<unsigned char>(c))) out.push_back(static_cast<char>(std::tolower(c)));
    else if (!out.empty() && out.back() != '-') out.push_back('-');
  }
  while (!out.empty() && out.back() == '-') out.pop_back();
  return out.substr(0, 32);
}

class CalDavCalendar final : public Calendar {
 public:
  explicit CalDavCalendar(CalDavOptions o) : o_(std::move(o)) {
    o_.url = WithSlash(o_.url);
    for (auto& [r, url] : o_.resource_calendars) url = WithSlash(url);
  }

  std::string name() const override { return "caldav"; }

  Result<std::vector<Appointment>> List(const std::string& business_id, int64_t from_utc, int64_t to_utc) override {
    (void)business_id;
    std::vector<Appointment> out;
    for (const auto& collection : calendars::AllCalendars(o_, o_.url)) {
      auto events = Query(collection, from_utc, to_utc, "");
      if (!events.ok()) return events.status();
      for (const auto& s : events.value())
        for (auto& a : ToAppointments(s, from_utc, to_utc)) out.push_back(std::move(a));
    }
    std::sort(out.begin(), out.end(), [](const Appointment& x, const Appointment& y) { return x.start_utc < y.start_utc; });
    return out;
  }

  Result<Appointment> Book(const Appointment& appt) override {
    INFINI_RETURN_IF_ERROR(calendars::ValidateForBooking(appt));
    Appointment a = appt;
    a.cancelled = false;
    a.pending = false;
    if (a.business_id.empty()) a.business_id = o_.business_id;
    const std::string collection = calendars::CalendarOf(o_, a.resource, o_.url);
    // 1. Is the slot free (other than our own earlier attempt)?
    auto before = Query(collection, a.start_utc, a.end_utc, "");
    if (!before.ok()) return before.status();
    for (const auto& s : before.value()) {
      if (s.event.uid == a.id) {
        if (s.event.start_utc == a.start_utc && s.event.end_utc == a.end_utc && s.event.resource == a.resource)
          return a;  // already booked by a retry of this same request
        return Status::AlreadyExists("appointment id " + a.id + " already used for another booking");
      }
      if (Blocks(s, a)) return Status::AlreadyExists(fmt::format("slot taken on {} in the CalDAV calendar", a.resource));
    }
    // 2. Create at the slot's own href, only if nobody has.
    const std::string url = SlotUrl(collection, a.resource, a.start_utc);
    auto put = Put(url, a, "", true);
    if (!put.ok()) {
      if (!put.status().IsAlreadyExists()) return put.status();
      auto existing = Get(url, collection);
      if (existing.ok() && existing->event.uid == a.id) return a;  // our own retry won earlier
      return Status::AlreadyExists(fmt::format("slot taken on {} in the CalDAV calendar (concurrent booking)", a.resource));
    }
    // 3. Re-check for an overlapping booking that raced us with a different start.
    auto after = Query(collection, a.start_utc, a.end_utc, "");
    if (!after.ok()) {
      INFINI_LOG(kWarn, "caldav: booked {} but could not re-check the slot: {}", url, after.status().ToString());
      return a;
    }
    for (const auto& s : after.value()) {
      if (s.event.uid == a.id || !Blocks(s, a)) continue;
      INFINI_LOG(kInfo, "caldav: {} overlaps {} created concurrently; withdrawing ours", url, s.url);
      Delete(url, put.value());
      return Status::AlreadyExists(fmt::format("slot taken on {} in the CalDAV calendar (concurrent booking)", a.resource));
    }
    return a;
  }

  Status Cancel(const std::string& id) override {
    auto found = FindByUid(id);
    if (!found.ok()) return found.status();
    return Delete(found->url, found->etag);
  }

  Result<Appointment> Move(const std::string& id, int64_t new_start_utc, int64_t new_end_utc,
                           const std::string& new_resource) override {
    if (new_end_utc <= new_start_utc) return Status::InvalidArgument("appointment: end must be after start");
    auto found = FindByUid(id);
    if (!found.ok()) return found.status();
    Appointment a = FromEvent(found->event);
    a.start_utc = new_start_utc;
    a.end_utc = new_end_utc;
    if (!new_resource.empty()) a.resource = new_resource;
    return Replace(found.value(), a);
  }

  Result<Appointment> Update(const Appointment& appt) override {
    INFINI_RETURN_IF_ERROR(calendars::ValidateForBooking(appt));
    auto found = FindByUid(appt.id);
    if (!found.ok()) return found.status();
    return Replace(found.value(), appt);
  }

  Result<std::vector<Appointment>> FindByPhone(const std::string& business_id, const std::string& phone,
                                               int64_t from_utc) override {
    auto listed = List(business_id, from_utc, from_utc + 400LL * 86400);
    if (!listed.ok()) return listed.status();
    std::vector<Appointment> out;
    for (auto& a : listed.value())
      if (a.customer_phone == phone) out.push_back(std::move(a));
    return out;
  }

 private:
  bool Blocks(const Stored& s, const Appointment& a) const {
    if (s.event.start_utc >= a.end_utc || a.start_utc >= s.event.end_utc) return false;
    return s.event.resource.empty() || s.event.resource == a.resource;
  }

  Appointment FromEvent(const IcsEvent& e) const {
    Appointment a;
    a.id = e.uid;
    a.business_id = e.business_id.empty() ? o_.business_id : e.business_id;
    a.service_id = e.service_id;
    a.resource = e.resource;
    a.start_utc = e.start_utc;
    a.end_utc = e.end_utc;
    a.customer_name = e.customer_name;
    a.customer_phone = e.customer_phone;
    a.address = e.address;
    a.notes = e.notes.empty() && e.resource.empty() ? e.summary : e.notes;
    a.call_id = e.call_id;
    return a;
  }

  std::vector<Appointment> ToAppointments(const Stored& s, int64_t from_utc, int64_t to_utc) const {
    std::vector<Appointment> out;
    if (s.event.status == "CANCELLED" || s.event.transparent) return out;
    for (const IcsEvent& inst : calendars::ExpandInstances(s.event, from_utc, to_utc)) {
      Appointment a = FromEvent(inst);
      if (!inst.resource.empty()) {
        out.push_back(a);
        continue;
      }
      // Someone else's event: it blocks every resource whose calendar this is.
      for (const auto& r : calendars::ResourcesIn(o_, s.collection, o_.url)) {
        a.resource = r;
        out.push_back(a);
      }
    }
    return out;
  }

  std::string SlotUrl(const std::string& collection, const std::string& resource, int64_t start) const {
    return collection + "infini-" + Slug(resource) + "-" + calendars::HashHex(resource, 4) + "-" +
           calendars::FormatIcsUtc(start) + ".ics";
  }

  net::HttpClientRequest Request(const std::string& method, const std::string& url) const {
    net::HttpClientRequest r;
    r.method = method;
    r.url = url;
    r.timeout_ms = o_.timeout_ms;
    r.connect_timeout_ms = std::min(o_.timeout_ms, 3000);
    r.username = o_.username;
    r.password = o_.password;
    return r;
  }

  Result<net::HttpClientResponse> Send(const net::HttpClientRequest& r) const {
    auto resp = http_.Send(r);
    if (!resp.ok()) return Status(resp.status().IsDeadlineExceeded()
                                      ? Status::DeadlineExceeded("caldav " + resp.status().message())
                                      : Status::Unavailable("caldav " + resp.status().message()));
    return resp;
  }

  // REPORT calendar-query. `uid` non-empty: match that UID instead of a time range.
  Result<std::vector<Stored>> Query(const std::string& collection, int64_t from_utc, int64_t to_utc,
                                    const std::string& uid) const {
    std::string filter =
        uid.empty() ? fmt::format("<C:time-range start=\"{}\" end=\"{}\"/>", calendars::FormatIcsUtc(from_utc),
                                  calendars::FormatIcsUtc(to_utc))
                    : "<C:prop-filter name=\"UID\"><C:text-match collation=\"i;octet\">" + XmlEscape(uid) +
                          "</C:text-match></C:prop-filter>";
    auto r = Request("REPORT", collection);
    r.headers = {{"Depth", "1"}, {"Content-Type", "application/xml; charset=utf-8"}};
    r.body = "<?xml version=\"1.0\" encoding=\"utf-8\"?>\n"
             "<C:calendar-query xmlns:D=\"DAV:\" xmlns:C=\"urn:ietf:params:xml:ns:caldav\">"
             "<D:prop><D:getetag/><C:calendar-data/></D:prop>"
             "<C:filter><C:comp-filter name=\"VCALENDAR\"><C:comp-filter name=\"VEVENT\">" +
             filter + "</C:comp-filter></C:comp-filter></C:filter></C:calendar-query>";
    auto resp = Send(r);
    if (!resp.ok()) return resp.status();
    if (resp->status != 207) return calendars::HttpError("caldav REPORT " + collection, resp->status, resp->body);
    std::vector<Stored> out;
    for (const DavResponse& d : calendars::ParseMultistatus(resp->body)) {
      if (d.calendar_data.empty()) continue;
      auto events = calendars::ParseIcsEvents(d.calendar_data, o_.timezone);
      if (!events.ok()) {
        INFINI_LOG(kWarn, "caldav: skipping {}: {}", d.href, events.status().message());
        continue;
      }
      for (auto& e : events.value()) {
        if (!uid.empty() && e.uid != uid) continue;
        out.push_back({d.href.rfind("http", 0) == 0 ? d.href : Origin(collection) + d.href, d.etag, collection, e});
      }
    }
    return out;
  }

  Result<Stored> FindByUid(const std::string& id) const {
    for (const auto& collection : calendars::AllCalendars(o_, o_.url)) {
      auto found = Query(collection, 0, 0, id);
      if (!found.ok()) return found.status();
      for (auto& s : found.value())
        if (s.event.status != "CANCELLED") return s;
    }
    return Status::NotFound("no appointment " + id + " in the CalDAV calendar");
  }

  Result<Stored> Get(const std::string& url, const std::string& collection) const {
    auto resp = Send(Request("GET", url));
    if (!resp.ok()) return resp.status();
    if (resp->status != 200) return calendars::HttpError("caldav GET " + url, resp->status, resp->body);
    auto events = calendars::ParseIcsEvents(resp->body, o_.timezone);
    if (!events.ok()) return events.status();
    if (events->empty()) return Status::Corruption("caldav GET " + url + ": no VEVENT");
    return Stored{url, resp->header("etag"), collection, events->front()};
  }

  // PUT; create_only -> If-None-Match: *, else If-Match: etag. Returns the new ETag ("" if
  // the server sent none). AlreadyExists on 412.
  Result<std::string> Put(const std::string& url, const Appointment& a, const std::string& etag, bool create_only) const {
    auto r = Request("PUT", url);
    r.headers = {{"Content-Type", "text/calendar; charset=utf-8"}};
    if (create_only) r.headers["If-None-Match"] = "*";
    else if (!etag.empty()) r.headers["If-Match"] = etag;
    r.body = calendars::BuildIcsEvent(a, o_.timezone, calendars::SummaryOf(a), calendars::NowUtc());
    auto resp = Send(r);
    if (!resp.ok()) return resp.status();
    if (resp->status == 412) return Status::AlreadyExists("caldav PUT " + url + ": precondition failed");
    if (resp->status != 201 && resp->status != 204 && resp->status != 200)
      return calendars::HttpError("caldav PUT " + url, resp->status, resp->body);
    return resp->header("etag");
  }

  Status Delete(const std::string& url, const std::string& etag) const {
    auto r = Request("DELETE", url);
    if (!etag.empty()) r.headers["If-Match"] = etag;
    auto resp = Send(r);
    if (!resp.ok()) return resp.status();
    if (resp->status == 412) return Status::AlreadyExists("caldav DELETE " + url + ": changed meanwhile (ETag)");
    if (resp->status != 200 && resp->status != 204)
      return calendars::HttpError("caldav DELETE " + url, resp->status, resp->body);
    return Status::OK();
  }

  // Same slot -> PUT over it with If-Match (412 if someone changed it meanwhile); new
  // time/resource -> the event moves to that slot's href.
  Result<Appointment> Replace(const Stored& old, const Appointment& a) {
    const std::string collection = calendars::CalendarOf(o_, a.resource, o_.url);
    const std::string url = SlotUrl(collection, a.resource, a.start_utc);
    auto busy = Query(collection, a.start_utc, a.end_utc, "");
    if (!busy.ok()) return busy.status();
    for (const auto& s : busy.value())
      if (s.event.uid != a.id && Blocks(s, a))
        return Status::AlreadyExists(fmt::format("slot taken on {} in the CalDAV calendar", a.resource));
    if (url == old.url) {
      auto put = Put(url, a, old.etag, false);
      if (!put.ok()) return put.status();
      return a;
    }
    // A collection holds one event per UID (Radicale answers 409 otherwise), so the old event
    // goes first; if the new slot cannot be created the old one is put back.
    if (Status st = Delete(old.url, old.etag); !st.ok()) return st;
    auto put = Put(url, a, "", true);
    if (!put.ok()) {
      Appointment back = FromEvent(old.event);
      if (auto restored = Put(old.url, back, "", true); !restored.ok())
        INFINI_LOG(kError, "caldav: moving {} failed and the old event could not be restored: {}", a.id,
                   restored.status().ToString());
      if (put.status().IsAlreadyExists())
        return Status::AlreadyExists(fmt::format("slot taken on {} in the CalDAV calendar", a.resource));
      return put.status();
    }
    return a;
  }

  CalDavOptions o_;
  net::HttpClient http_;
};

}  // namespace

Result<std::unique_ptr<Calendar>> MakeCalDavCalendar(const CalDavOptions& options) {
  if (options.url.rfind("http://", 0) != 0 && options.url.rfind("https://", 0) != 0)
    return Status::InvalidArgument("caldav: url must be an http:// or https:// collection URL, got '" + options.url + "'");
  if (Status st = calendars::CheckZone(options.timezone); !st.ok()) return Status::InvalidArgument("caldav: " + st.message());
  return std::unique_ptr<Calendar>(new CalDavCalendar(options));
}

}  // namespace infini

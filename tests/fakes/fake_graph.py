#!/usr/bin/python3
"""A local fake of Microsoft Graph calendar endpoints (tests only), speaking the documented JSON:
POST /v1.0/me/calendar/getSchedule, POST /v1.0/me/events (transactionId: a repeated POST with the
same transactionId returns the event already made), GET /v1.0/me/events?$filter=
singleValueExtendedProperties/Any(ep: ep/id eq '...' and ep/value eq '...'), PATCH/DELETE
/v1.0/me/events/{id}; the same under /v1.0/users/{mailbox}/. OAuth2 token endpoint at /token
(rotates refresh tokens, as Microsoft's does). Control API: tests/fakes/fake_common.py."""
import re
import sys
import urllib.parse
from datetime import datetime, timezone
from zoneinfo import ZoneInfo

sys.path.insert(0, __import__("os").path.dirname(__file__))
import fake_common  # noqa: E402


def instant(t):
    dt = datetime.fromisoformat(t["dateTime"][:19])
    return dt.replace(tzinfo=ZoneInfo(t.get("timeZone", "UTC"))).timestamp()


def utc(ts):
    return {"dateTime": datetime.fromtimestamp(ts, timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.0000000"), "timeZone": "UTC"}


class Graph:
    def __init__(self):
        self.mailboxes = {}  # mailbox ("me" or address) -> {id -> event}
        self.counter = 0

    def state(self):
        return {"events": self.mailboxes}

    def seed(self, payload):
        mb = self.mailboxes.setdefault(payload.get("mailbox", "me"), {})
        self.counter += 1
        ev = payload["event"]
        ev.setdefault("id", "AAMkSeed%d" % self.counter)
        mb[ev["id"]] = ev

    def handle(self, h, method, path, query, body):
        st = h.state
        with st.lock:
            if path == "/v1.0/me/calendar/getSchedule" and method == "POST":
                start, end = instant(body["startTime"]), instant(body["endTime"])
                value = []
                for sid in body["schedules"]:
                    events = self.mailboxes.get("me" if sid == self.me(h) else sid, {})
                    items = []
                    for ev in events.values():
                        if ev.get("isCancelled"):
                            continue
                        s, e = instant(ev["start"]), instant(ev["end"])
                        if s < end and start < e:
                            items.append({"isPrivate": False, "status": ev.get("showAs", "busy"),
                                          "subject": ev.get("subject", ""), "start": utc(s), "end": utc(e)})
                    value.append({"scheduleId": sid, "availabilityView": "", "scheduleItems": items,
                                  "workingHours": {}})
                return 200, {"value": value}
            m = re.match(r"^/v1.0/(me|users/([^/]+))/events(?:/([^/]+))?$", path)
            if not m:
                return 404, {"error": {"code": "ResourceNotFound", "message": "Not found"}}
            mailbox = "me" if m.group(1) == "me" else urllib.parse.unquote(m.group(2))
            if mailbox == self.me(h):
                mailbox = "me"
            events = self.mailboxes.setdefault(mailbox, {})
            eid = m.group(3) and urllib.parse.unquote(m.group(3))
            if eid is None and method == "POST":
                tid = body.get("transactionId")
                for ev in events.values():
                    if tid and ev.get("transactionId") == tid:
                        return 201, ev  # the client's retry: the event already made
                try:
                    instant(body["start"]), instant(body["end"])
                except (KeyError, ValueError) as e:
                    return 400, {"error": {"code": "InvalidTimeZone", "message": str(e)}}
                self.counter += 1
                ev = dict(body)
                ev["id"] = "AAMkEvent%d=" % self.counter
                ev["isCancelled"] = False
                events[ev["id"]] = ev
                return 201, ev
            if eid is None and method == "GET":
                flt = query.get("$filter", [""])[0]
                mm = re.search(r"ep/id eq '([^']+)' and ep/value eq '([^']*)'", flt)
                out = []
                for ev in events.values():
                    props = ev.get("singleValueExtendedProperties", [])
                    if mm and not any(p["id"] == mm.group(1) and p["value"] == mm.group(2) for p in props):
                        continue
                    copy = dict(ev)
                    copy["start"], copy["end"] = utc(instant(ev["start"])), utc(instant(ev["end"]))
                    out.append(copy)
                return 200, {"value": out}
            ev = events.get(eid)
            if ev is None:
                return 404, {"error": {"code": "ErrorItemNotFound", "message": "The specified object was not found in the store."}}
            if method == "DELETE":
                del events[eid]
                return 204, None
            if method == "PATCH":
                props = {p["id"]: p for p in ev.get("singleValueExtendedProperties", [])}
                for p in body.pop("singleValueExtendedProperties", []):
                    props[p["id"]] = p
                ev.update(body)
                ev["singleValueExtendedProperties"] = list(props.values())
                return 200, ev
            if method == "GET":
                return 200, ev
        return 405, {"error": {"code": "MethodNotAllowed", "message": "no"}}

    def me(self, h):
        return "office@contoso.example"


if __name__ == "__main__":
    fake_common.serve(Graph(), sys.argv[1:], rotate=True)

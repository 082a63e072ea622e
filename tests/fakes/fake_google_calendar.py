#!/usr/bin/python3
"""A local fake of the Google Calendar API v3 (tests only), speaking its documented JSON:
POST /calendar/v3/freeBusy, POST/GET/PATCH/DELETE /calendar/v3/calendars/{id}/events[/{eventId}],
and an OAuth2 token endpoint at /token. Event ids must be base32hex, 5..1024 characters; a
duplicate id is 409 "The requested identifier already exists." Start/end dateTime offsets
must agree with their timeZone (zoneinfo), so a DST mistake in the client is a 400.
Control API: tests/fakes/fake_common.py."""
import re
import sys
import urllib.parse
from datetime import datetime, timezone
from zoneinfo import ZoneInfo

sys.path.insert(0, __import__("os").path.dirname(__file__))
import fake_common  # noqa: E402

ID_RE = re.compile(r"^[a-v0-9]{5,1024}$")


def parse_time(t):
    if "dateTime" in t:
        dt = datetime.fromisoformat(t["dateTime"].replace("Z", "+00:00"))
        if dt.tzinfo is None:
            dt = dt.replace(tzinfo=ZoneInfo(t.get("timeZone", "UTC")))
        elif "timeZone" in t:
            expected = dt.astimezone(ZoneInfo(t["timeZone"])).utcoffset()
            if expected != dt.utcoffset():
                raise ValueError("dateTime offset %s disagrees with %s (%s)" % (dt.utcoffset(), t["timeZone"], expected))
        return dt.timestamp()
    d = datetime.fromisoformat(t["date"]).replace(tzinfo=timezone.utc)
    return d.timestamp()


class Google:
    def __init__(self):
        self.calendars = {}  # calendar id -> {event id -> event}

    def state(self):
        return {"events": self.calendars}

    def seed(self, payload):
        # {"calendar": "primary", "event": {...}}  (a foreign event, e.g. made on a phone)
        cal = self.calendars.setdefault(payload["calendar"], {})
        ev = payload["event"]
        ev.setdefault("id", "seed%d" % (len(cal) + 1))
        ev.setdefault("status", "confirmed")
        cal[ev["id"]] = ev

    def handle(self, h, method, path, query, body):
        st = h.state
        with st.lock:
            if path == "/calendar/v3/freeBusy" and method == "POST":
                tmin = datetime.fromisoformat(body["timeMin"].replace("Z", "+00:00")).timestamp()
                tmax = datetime.fromisoformat(body["timeMax"].replace("Z", "+00:00")).timestamp()
                out = {}
                for item in body.get("items", []):
                    cid = item["id"]
                    if cid not in self.calendars and cid != "primary":
                        out[cid] = {"errors": [{"domain": "global", "reason": "notFound"}], "busy": []}
                        continue
                    spans = []
                    for ev in self.calendars.get(cid, {}).values():
                        if ev.get("status") == "cancelled" or ev.get("transparency") == "transparent":
                            continue
                        s, e = parse_time(ev["start"]), parse_time(ev["end"])
                        if s < tmax and tmin < e:
                            spans.append((max(s, tmin), min(e, tmax)))
                    busy = [{"start": datetime.fromtimestamp(s, timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ"),
                             "end": datetime.fromtimestamp(e, timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")}
                            for s, e in fake_common.merge(spans)]
                    out[cid] = {"busy": busy}
                return 200, {"kind": "calendar#freeBusy", "timeMin": body["timeMin"], "timeMax": body["timeMax"],
                             "calendars": out}
            m = re.match(r"^/calendar/v3/calendars/([^/]+)/events(?:/([^/]+))?$", path)
            if not m:
                return 404, {"error": {"code": 404, "message": "Not Found"}}
            cid = urllib.parse.unquote(m.group(1))
            eid = m.group(2)
            cal = self.calendars.setdefault(cid, {})
            if eid is None and method == "POST":
                ev = dict(body)
                if "id" in ev and not ID_RE.match(ev["id"]):
                    return 400, {"error": {"code": 400, "message": "Invalid resource id value."}}
                try:
                    parse_time(ev["start"]), parse_time(ev["end"])
                except (KeyError, ValueError) as e:
                    return 400, {"error": {"code": 400, "message": "Bad start/end: %s" % e}}
                ev.setdefault("id", "srv%d" % (len(cal) + 1))
                if ev["id"] in cal:
                    return 409, {"error": {"code": 409, "message": "The requested identifier already exists.",
                                           "errors": [{"domain": "global", "reason": "duplicate"}]}}
                ev["status"] = "confirmed"
                ev["kind"] = "calendar#event"
                cal[ev["id"]] = ev
                return 200, ev
            if eid is None:
                return 405, {"error": {"code": 405, "message": "Method Not Allowed"}}
            ev = cal.get(eid)
            if ev is None:
                return 404, {"error": {"code": 404, "message": "Not Found"}}
            if method == "GET":
                return 200, ev
            if method == "DELETE":
                if ev.get("status") == "cancelled":
                    return 410, {"error": {"code": 410, "message": "Resource has been deleted"}}
                ev["status"] = "cancelled"
                return 204, None
            if method == "PATCH":
                try:
                    parse_time(body.get("start", ev["start"])), parse_time(body.get("end", ev["end"]))
                except ValueError as e:
                    return 400, {"error": {"code": 400, "message": "Bad start/end: %s" % e}}
                ev.update(body)
                return 200, ev
        return 405, {"error": {"code": 405, "message": "Method Not Allowed"}}


if __name__ == "__main__":
    fake_common.serve(Google(), sys.argv[1:])

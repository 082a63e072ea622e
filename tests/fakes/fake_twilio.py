#!/usr/bin/python3
"""A fake of Twilio's REST API (2010-04-01) on 127.0.0.1, for tests. Not Twilio.

  fake_twilio.py --account-sid AC... --auth-token TOKEN

Speaks the documented wire format: form-encoded POSTs with HTTP basic auth (sid:token),
JSON resources, and Twilio's error bodies {"code", "message", "more_info", "status"}.
  POST /2010-04-01/Accounts/{sid}/Messages.json   To, From|MessagingServiceSid, Body
       -> 201 Message resource (num_segments as a string, status "queued")
  POST /2010-04-01/Accounts/{sid}/Calls/{CallSid}.json   Twiml | Url | Status
       -> 200 Call resource; 404 (20404) for an unknown call, 400 (21220) when it is not
          in progress. Live calls are declared with POST /_fake/calls {"sid": "CA..."}.
Faults and request records: see fake_http_common.py.
"""

import argparse
import base64
import json
import re
import threading
import urllib.parse
import uuid

from fake_http_common import FakeHandler, serve

GSM = set(
    "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿"
    "abcdefghijklmnopqrstuvwxyzäöñüà")
GSM_EXT = set("^{}\\[~]|€\f")

ARGS = None
CALLS = {}  # sid -> status
CALLS_LOCK = threading.Lock()


def segments(body):
    if all(c in GSM or c in GSM_EXT for c in body):
        n = sum(2 if c in GSM_EXT else 1 for c in body)
        return 1 if n <= 160 else -(-n // 153)
    n = len(body.encode("utf-16-le")) // 2
    return 1 if n <= 70 else -(-n // 67)


def error(code, message, status):
    return {"code": code, "message": message,
            "more_info": "https://www.twilio.com/docs/errors/%d" % code, "status": status}


class TwilioHandler(FakeHandler):
    def do_GET(self):
        self.handle_control(b"")

    def do_POST(self):
        body = self.read_body()
        if self.path == "/_fake/calls":
            req = json.loads(body)
            with CALLS_LOCK:
                CALLS[req["sid"]] = req.get("status", "in-progress")
            self.send_json(200, {"ok": True})
            return
        if self.handle_control(body):
            return
        form = dict(urllib.parse.parse_qsl(body.decode("utf-8", "replace"), keep_blank_values=True))
        auth = self.headers.get("Authorization", "")
        expected = "Basic " + base64.b64encode(("%s:%s" % (ARGS.account_sid, ARGS.auth_token)).encode()).decode()
        fault = self.state.next_fault()
        self.state.record({"method": self.command, "path": self.path, "form": form,
                           "auth_ok": auth == expected, "fault": fault,
                           "content_type": self.headers.get("Content-Type", "")})
        if self.apply_transport_fault(fault):
            return
        if fault.startswith("429"):
            retry_after = fault.split(":")[1] if ":" in fault else None
            self.send_json(429, error(20429, "Too Many Requests", 429),
                           {"Retry-After": retry_after} if retry_after else None)
            return
        if fault == "garbage":
            self.send_text(201, "<html><body>502 Bad Gateway (proxy)</body></html>")
            return
        if fault.isdigit():
            status = int(fault)
            self.send_json(status, error(20500 if status >= 500 else 20001, "Internal Server Error"
                                         if status >= 500 else "Bad request", status))
            return

        m = re.fullmatch(r"/2010-04-01/Accounts/([^/]+)/(Messages|Calls/([^/]+))\.json", self.path)
        if not m:
            self.send_json(404, error(20404, "The requested resource %s was not found" % self.path, 404))
            return
        if auth != expected or m.group(1) != ARGS.account_sid:
            self.send_json(401, error(20003, "Authenticate", 401),
                           {"WWW-Authenticate": 'Basic realm="Twilio API"'})
            return
        if not self.headers.get("Content-Type", "").startswith("application/x-www-form-urlencoded"):
            self.send_json(400, error(20001, "Content-Type must be application/x-www-form-urlencoded", 400))
            return
        if m.group(2) == "Messages":
            self.create_message(form)
        else:
            self.update_call(m.group(3), form)

    def create_message(self, form):
        to, body = form.get("To", ""), form.get("Body", "")
        sender = form.get("From", "")
        if not to:
            self.send_json(400, error(21604, "A 'To' phone number is required.", 400))
        elif not re.fullmatch(r"\+[1-9]\d{1,14}", to):
            self.send_json(400, error(21211, "Invalid 'To' Phone Number: %s" % to, 400))
        elif not sender and not form.get("MessagingServiceSid"):
            self.send_json(400, error(21603, "A 'From' or 'MessagingServiceSid' parameter is required to send a message.", 400))
        elif not body:
            self.send_json(400, error(21602, "Message body is required.", 400))
        elif len(body) > 1600:
            self.send_json(400, error(21617, "The concatenated message body exceeds the 1600 character limit.", 400))
        else:
            sid = "SM" + uuid.uuid4().hex
            self.send_json(201, {
                "account_sid": ARGS.account_sid, "api_version": "2010-04-01", "body": body,
                "date_created": "Tue, 01 Dec 2026 06:00:00 +0000", "date_sent": None,
                "date_updated": "Tue, 01 Dec 2026 06:00:00 +0000", "direction": "outbound-api",
                "error_code": None, "error_message": None, "from": sender or None,
                "messaging_service_sid": form.get("MessagingServiceSid"), "num_media": "0",
                "num_segments": str(segments(body)), "price": None, "price_unit": "USD",
                "sid": sid, "status": "queued", "to": to,
                "uri": "/2010-04-01/Accounts/%s/Messages/%s.json" % (ARGS.account_sid, sid)})

    def update_call(self, call_sid, form):
        with CALLS_LOCK:
            status = CALLS.get(call_sid)
            if status is None:
                self.send_json(404, error(20404, "The requested resource /2010-04-01/Accounts/%s/Calls/%s.json "
                                                 "was not found" % (ARGS.account_sid, call_sid), 404))
                return
            if status != "in-progress":
                self.send_json(400, error(21220, "Call is not in-progress. Cannot redirect.", 400))
                return
            twiml = form.get("Twiml", "")
            if not twiml and not form.get("Url") and not form.get("Status"):
                self.send_json(400, error(20001, "No Twiml, Url or Status given", 400))
                return
            if twiml and not twiml.startswith("<Response>"):
                self.send_json(400, error(12100, "Document parse failure", 400))
                return
            if "<Hangup/>" in twiml or form.get("Status") == "completed":
                CALLS[call_sid] = "completed"
        self.send_json(200, {"account_sid": ARGS.account_sid, "api_version": "2010-04-01", "sid": call_sid,
                             "status": "in-progress", "direction": "inbound",
                             "uri": "/2010-04-01/Accounts/%s/Calls/%s.json" % (ARGS.account_sid, call_sid)})


if __name__ == "__main__":
    p = argparse.ArgumentParser()
    p.add_argument("--account-sid", required=True)
    p.add_argument("--auth-token", required=True)
    ARGS = p.parse_args()
    serve(TwilioHandler)

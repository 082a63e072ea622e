"""Shared plumbing of the local fake HTTP servers (fake_twilio.py, fake_whisper.py).

Each fake is a real HTTP/1.1 server on 127.0.0.1 speaking one service's documented wire
format. It prints "PORT <n>" once listening. Tests steer it over two control routes:

  POST /_fake/faults    {"faults": ["500", "429:1", "garbage", "hang", "close", "ok"]}
                        queued behaviours, one per following API request ("ok" = normal)
  GET  /_fake/requests  every API request received so far, as JSON
  POST /_fake/reset     forget faults and recorded requests

Fault meanings: "<status>" answers that HTTP status with the service's error body;
"429:<s>" adds Retry-After: <s>; "garbage" answers 200/201 with a non-JSON body; "hang"
sends nothing for 30 s; "close" drops the connection without an answer.
"""

import json
import socket
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


class FakeState:
    def __init__(self):
        self.lock = threading.Lock()
        self.faults = []
        self.requests = []

    def next_fault(self):
        with self.lock:
            return self.faults.pop(0) if self.faults else "ok"

    def record(self, entry):
        with self.lock:
            self.requests.append(entry)


class FakeHandler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    state = None  # FakeState, set by serve()

    def log_message(self, fmt, *args):  # quiet: tests read /_fake/requests instead
        pass

    def read_body(self):
        n = int(self.headers.get("Content-Length") or 0)
        return self.rfile.read(n) if n else b""

    def send_json(self, status, obj, extra_headers=None):
        body = json.dumps(obj).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json; charset=utf-8")
        self.send_header("Content-Length", str(len(body)))
        for k, v in (extra_headers or {}).items():
            self.send_header(k, v)
        self.end_headers()
        self.wfile.write(body)

    def send_text(self, status, text, content_type="text/html"):
        body = text.encode()
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def handle_control(self, body):
        """True when the request was a /_fake/ control request (answered here)."""
        if not self.path.startswith("/_fake/"):
            return False
        if self.path == "/_fake/faults" and self.command == "POST":
            with self.state.lock:
                self.state.faults.extend(json.loads(body or b"{}").get("faults", []))
            self.send_json(200, {"ok": True})
        elif self.path == "/_fake/requests":
            with self.state.lock:
                self.send_json(200, {"requests": list(self.state.requests)})
        elif self.path == "/_fake/reset" and self.command == "POST":
            with self.state.lock:
                self.state.faults.clear()
                self.state.requests.clear()
            self.send_json(200, {"ok": True})
        else:
            self.send_json(404, {"error": "unknown control route " + self.path})
        return True

    def apply_transport_fault(self, fault):
        """Handles faults that are not an HTTP answer; True when the request is done."""
        if fault == "hang":
            time.sleep(30)
            self.close_connection = True
            return True
        if fault == "close":
            try:
                self.connection.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
            self.close_connection = True
            return True
        return False


def serve(handler_class):
    handler_class.state = FakeState()
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler_class)
    server.daemon_threads = True
    print("PORT %d" % server.server_address[1], flush=True)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    sys.exit(0)

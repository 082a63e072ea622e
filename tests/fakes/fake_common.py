"""Shared pieces of the local fake cloud servers (tests only; 127.0.0.1).

An OAuth2 token endpoint (refresh-token grant, RFC 6749 section 6) and a control API the tests
use to inject failures and read what the fake saw:
  POST /_control/expire_tokens           every access token issued so far is now invalid (401)
  POST /_control/fail  {"match": "events", "status": 500, "count": 1}   or  {"match": ..., "hang": 3}
  POST /_control/seed  {...}             server specific (foreign events)
  GET  /_control/state                   {"events": ..., "token_requests": N, "requests": [...]}
"""
import json
import re
import sys
import threading
import time
import urllib.parse
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


class FakeState:
    def __init__(self, refresh_token, client_id, client_secret, rotate):
        self.lock = threading.Lock()
        self.refresh_token = refresh_token
        self.client_id = client_id
        self.client_secret = client_secret
        self.rotate = rotate
        self.tokens = set()
        self.counter = 0
        self.token_requests = 0
        self.failures = []  # {"match", "status"|"hang", "count"}
        self.requests = []  # "METHOD path" (no headers: they hold tokens)
        self.auth_headers = []  # Authorization values seen (tests check tokens were sent)


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    state = None  # FakeState
    app = None    # object with handle(handler, method, path, query, body) -> (status, obj)

    def log_message(self, fmt, *args):  # quiet
        pass

    def _body(self):
        n = int(self.headers.get("Content-Length") or 0)
        return self.rfile.read(n) if n else b""

    def send_json(self, status, obj):
        data = b"" if obj is None else json.dumps(obj).encode()
        self.send_response(status)
        if obj is not None:
            self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def _dispatch(self, method):
        parsed = urllib.parse.urlsplit(self.path)
        path, query = parsed.path, urllib.parse.parse_qs(parsed.query)
        body = self._body()
        st = self.state
        if path.startswith("/_control/"):
            return self._control(path, body)
        with st.lock:
            st.requests.append(method + " " + path)
            failure = None
            for f in st.failures:
                if f["match"] in method + " " + path and f["count"] > 0:
                    f["count"] -= 1
                    failure = dict(f)
                    break
        if failure:
            if "hang" in failure:
                time.sleep(failure["hang"])
            else:
                return self.send_json(failure["status"], {"error": {"code": failure["status"], "message": "injected failure"}})
        if path == "/token" and method == "POST":
            return self._token(body)
        auth = self.headers.get("Authorization", "")
        with st.lock:
            st.auth_headers.append(auth)
            valid = auth.startswith("Bearer ") and auth[7:] in st.tokens
        if not valid:
            return self.send_json(401, {"error": {"code": 401, "message": "Invalid Credentials", "status": "UNAUTHENTICATED"}})
        try:
            payload = json.loads(body) if body else None
        except ValueError:
            return self.send_json(400, {"error": {"code": 400, "message": "Parse Error"}})
        status, obj = self.app.handle(self, method, path, query, payload)
        self.send_json(status, obj)

    def _token(self, body):
        st = self.state
        form = {k: v[0] for k, v in urllib.parse.parse_qs(body.decode()).items()}
        with st.lock:
            st.token_requests += 1
            if form.get("grant_type") != "refresh_token":
                return self.send_json(400, {"error": "unsupported_grant_type"})
            if form.get("client_id") != st.client_id or (st.client_secret and form.get("client_secret") != st.client_secret):
                return self.send_json(401, {"error": "invalid_client"})
            if form.get("refresh_token") != st.refresh_token:
                return self.send_json(400, {"error": "invalid_grant", "error_description": "Token has been expired or revoked."})
            st.counter += 1
            token = "fake-access-%d" % st.counter
            st.tokens.add(token)
            reply = {"access_token": token, "expires_in": 3599, "token_type": "Bearer"}
            if st.rotate:
                st.refresh_token = "fake-refresh-rotated-%d" % st.counter
                reply["refresh_token"] = st.refresh_token
        return self.send_json(200, reply)

    def _control(self, path, body):
        st = self.state
        payload = json.loads(body) if body else {}
        with st.lock:
            if path == "/_control/expire_tokens":
                st.tokens.clear()
                return self.send_json(200, {})
            if path == "/_control/fail":
                payload.setdefault("count", 1)
                st.failures.append(payload)
                return self.send_json(200, {})
            if path == "/_control/state":
                out = {"token_requests": st.token_requests, "requests": st.requests,
                       "auth_headers": st.auth_headers, "refresh_token": st.refresh_token}
                out.update(self.app.state())
                return self.send_json(200, out)
            if path == "/_control/seed":
                self.app.seed(payload)
                return self.send_json(200, {})
        return self.send_json(404, {"error": "no such control"})

    def do_GET(self):
        self._dispatch("GET")

    def do_POST(self):
        self._dispatch("POST")

    def do_PATCH(self):
        self._dispatch("PATCH")

    def do_DELETE(self):
        self._dispatch("DELETE")


def serve(app, argv, rotate=False):
    import argparse
    p = argparse.ArgumentParser()
    p.add_argument("--port", type=int, required=True)
    p.add_argument("--refresh-token", default="fake-refresh-token")
    p.add_argument("--client-id", default="fake-client")
    p.add_argument("--client-secret", default="fake-client-secret")
    args = p.parse_args(argv)
    Handler.state = FakeState(args.refresh_token, args.client_id, args.client_secret, rotate)
    Handler.app = app
    server = ThreadingHTTPServer(("127.0.0.1", args.port), Handler)
    server.daemon_threads = True
    server.serve_forever()


def merge(intervals):
    out = []
    for s, e in sorted(intervals):
        if out and s <= out[-1][1]:
            out[-1][1] = max(out[-1][1], e)
        else:
            out.append([s, e])
    return out

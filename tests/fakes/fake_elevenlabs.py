#!/usr/bin/python3
"""A FAKE ElevenLabs text-to-speech server on 127.0.0.1 for the cloud provider tests.

It is not ElevenLabs: it speaks the documented wire format of
  POST /v1/text-to-speech/{voice_id}/stream?output_format=pcm_16000|pcm_24000|pcm_8000|ulaw_8000
  header xi-api-key, JSON body {"text": ..., "model_id": ...}
answering with the raw audio (PCM16 little-endian, or G.711 mu-law bytes) in chunked
transfer encoding, and a JSON {"detail": {...}} body for errors (401 without xi-api-key,
422 for a bad body, 404 for an unknown voice id). Known voice ids: see VOICES.

Prints "PORT <n>" once listening. Faults by path prefix /fault/<mode>/v1/...:
  500 | close (part of the audio, then the socket closes) | hang (one chunk, then 30 s of
  nothing) | garbage (an HTML error page served as audio/mpeg) | slow (50 ms between chunks).
GET /fake/requests returns every request received so far.
"""
import json
import math
import re
import socket
import struct
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlparse

VOICES = {"21m00Tcm4TlvDq8ikWAM", "EXAVITQu4vr4xnSDxMaL"}
REQUESTS = []
LOCK = threading.Lock()


def lin2ulaw(s):
    """ITU-T G.711 mu-law encoding of one 16-bit sample."""
    bias, clip = 0x84, 32635
    sign = 0x80 if s < 0 else 0
    if s < 0:
        s = -s
    s = min(s, clip) + bias
    exponent = 7
    for e in range(7, -1, -1):
        if s & (0x4000 >> (7 - e)):
            exponent = e
            break
    mantissa = (s >> (exponent + 3)) & 0x0F
    return ~(sign | (exponent << 4) | mantissa) & 0xFF


def audio(text, fmt):
    rate = int(fmt.split("_")[1])
    n = int(rate * 0.06)
    samples = []
    for ch in text:
        amp = 0 if ch == " " else 8000
        for _ in range(n):
            samples.append(int(amp * math.sin(2 * math.pi * 440 * len(samples) / rate)))
    if fmt.startswith("ulaw"):
        return bytes(lin2ulaw(s) for s in samples), rate
    return struct.pack("<%dh" % len(samples), *samples), rate


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, *args):
        pass

    def reply_json(self, status, obj):
        data = json.dumps(obj).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def chunk(self, data):
        self.wfile.write(b"%x\r\n%s\r\n" % (len(data), data))
        self.wfile.flush()

    def abort(self):
        self.wfile.flush()
        try:
            self.connection.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass
        self.close_connection = True

    def do_GET(self):
        if self.path == "/fake/requests":
            with LOCK:
                return self.reply_json(200, REQUESTS)
        self.reply_json(404, {"detail": {"status": "not_found", "message": "no such route"}})

    def do_POST(self):
        raw = self.rfile.read(int(self.headers.get("Content-Length", "0")))
        url = urlparse(self.path)
        path, mode = url.path, "ok"
        m = re.match(r"^/fault/([a-z_0-9]+)(/.*)$", path)
        if m:
            mode, path = m.group(1), m.group(2)
        try:
            body = json.loads(raw or b"{}")
        except ValueError:
            body = None
        with LOCK:
            REQUESTS.append({"path": self.path, "headers": {k.lower(): v for k, v in self.headers.items()},
                             "body": body})
        m = re.match(r"^/v1/text-to-speech/([^/]+)/stream$", path)
        if not m:
            return self.reply_json(404, {"detail": {"status": "not_found", "message": "no such route"}})
        if not self.headers.get("xi-api-key"):
            return self.reply_json(401, {"detail": {"status": "invalid_api_key", "message": "Invalid API key"}})
        if m.group(1) not in VOICES:
            return self.reply_json(404, {"detail": {"status": "voice_not_found", "message": "voice not found"}})
        if not isinstance(body, dict) or not isinstance(body.get("text"), str) or not body["text"]:
            return self.reply_json(422, {"detail": [{"loc": ["body", "text"], "msg": "field required"}]})
        fmt = parse_qs(url.query).get("output_format", ["mp3_44100_128"])[0]
        if fmt not in ("pcm_8000", "pcm_16000", "pcm_24000", "ulaw_8000"):
            return self.reply_json(422, {"detail": {"status": "invalid_output_format", "message": fmt}})
        if mode == "500":
            return self.reply_json(500, {"detail": {"status": "internal_error", "message": "Internal server error"}})
        if mode == "garbage":  # a proxy's error page where audio should be
            data = b"<html><body><h1>502 Bad Gateway</h1></body></html>"
            self.send_response(200)
            self.send_header("Content-Type", "audio/mpeg")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)
            return
        pcm, rate = audio(body["text"], fmt)
        self.send_response(200)
        self.send_header("Content-Type", "audio/basic" if fmt.startswith("ulaw") else "audio/pcm")
        self.send_header("Transfer-Encoding", "chunked")
        self.end_headers()
        step = rate // 10 * (1 if fmt.startswith("ulaw") else 2)  # 100 ms per chunk
        for i in range(0, len(pcm), step):
            if mode == "close" and i >= len(pcm) // 3:
                return self.abort()
            if mode == "hang" and i > 0:
                time.sleep(30)
                return self.abort()
            self.chunk(pcm[i:i + step])
            if mode == "slow":
                time.sleep(0.05)
        self.wfile.write(b"0\r\n\r\n")
        self.wfile.flush()


def main():
    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    print("PORT %d" % server.server_address[1], flush=True)
    server.serve_forever()


if __name__ == "__main__":
    main()

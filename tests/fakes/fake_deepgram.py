#!/usr/bin/python3
"""A fake of Deepgram's live streaming API (wss://api.deepgram.com/v1/listen) on
127.0.0.1, plain ws://, for tests. Not Deepgram. Uses Debian's python3-websockets.

  fake_deepgram.py --api-key KEY

Handshake: GET /v1/listen?encoding=..&sample_rate=..&interim_results=..&endpointing=..
&keywords=..  with "Authorization: Token KEY" (else HTTP 401 with a dg-error header).
Then binary audio frames in, JSON text out, as documented:
  {"type":"Results","channel_index":[0,1],"duration":..,"start":..,"is_final":..,
   "speech_final":..,"from_finalize":..,"channel":{"alternatives":[{"transcript":..,
   "confidence":..,"words":[{"word","start","end","confidence","punctuated_word"}]}]},
   "metadata":{...}}
It cannot hear: each turn's transcript is the next one queued by the test. While audio
arrives it sends interim results revealing one more word per 0.3 s of audio; on
{"type":"Finalize"} it sends the turn as two finals (the second with speech_final and
from_finalize); {"type":"KeepAlive"} is accepted; {"type":"CloseStream"} gets a Metadata
message and a normal close.

Control over plain HTTP GET (same port):
  /_fake/transcripts?t=...&t=...   queue turn transcripts
  /_fake/faults?f=...              queue per-connection faults: reject500 | reject401 |
                                   slow_upgrade | close_after:<bytes> | hang | garbage | ok
  /_fake/log                       JSON: connections (query, headers ok), messages, audio bytes
  /_fake/reset
"""

import argparse
import asyncio
import http
import json
import time
import urllib.parse
import uuid

import websockets

ARGS = None
TRANSCRIPTS = []
FAULTS = []
LOG = {"connections": []}


def http_json(status, obj, headers=()):
    return (status, [("Content-Type", "application/json")] + list(headers), json.dumps(obj).encode())


async def process_request(path, request_headers):
    url = urllib.parse.urlsplit(path)
    q = urllib.parse.parse_qs(url.query)
    if url.path == "/_fake/transcripts":
        TRANSCRIPTS.extend(q.get("t", []))
        return http_json(http.HTTPStatus.OK, {"ok": True})
    if url.path == "/_fake/faults":
        FAULTS.extend(q.get("f", []))
        return http_json(http.HTTPStatus.OK, {"ok": True})
    if url.path == "/_fake/log":
        return http_json(http.HTTPStatus.OK, LOG)
    if url.path == "/_fake/reset":
        TRANSCRIPTS.clear()
        FAULTS.clear()
        LOG["connections"].clear()
        return http_json(http.HTTPStatus.OK, {"ok": True})
    if url.path != "/v1/listen":
        return http_json(http.HTTPStatus.NOT_FOUND, {"err_code": "NOT_FOUND", "err_msg": "no route " + url.path})
    fault = FAULTS.pop(0) if FAULTS else "ok"
    conn = {"query": {k: v if len(v) > 1 else v[0] for k, v in q.items()},
            "auth_ok": request_headers.get("Authorization") == "Token " + ARGS.api_key,
            "fault": fault, "messages": [], "audio_bytes": 0, "binary_frames": 0}
    LOG["connections"].append(conn)
    if not conn["auth_ok"] or fault == "reject401":
        err = {"err_code": "INVALID_AUTH", "err_msg": "Invalid credentials.", "request_id": str(uuid.uuid4())}
        return http_json(http.HTTPStatus.UNAUTHORIZED, err, [("dg-error", json.dumps(err))])
    if fault == "reject500":
        err = {"err_code": "INTERNAL_SERVER_ERROR", "err_msg": "The server encountered an error.",
               "request_id": str(uuid.uuid4())}
        return http_json(http.HTTPStatus.INTERNAL_SERVER_ERROR, err, [("dg-error", json.dumps(err))])
    if fault == "slow_upgrade":
        await asyncio.sleep(10)
    return None


def results(start, duration, words, is_final, speech_final=False, from_finalize=False):
    step = duration / max(1, len(words))
    return {
        "type": "Results", "channel_index": [0, 1], "duration": round(duration, 3), "start": round(start, 3),
        "is_final": is_final, "speech_final": speech_final, "from_finalize": from_finalize,
        "channel": {"alternatives": [{
            "transcript": " ".join(words), "confidence": 0.97 if words else 0.0,
            "words": [{"word": w.lower().strip(".,?!"), "start": round(start + i * step, 3),
                       "end": round(start + (i + 1) * step, 3), "confidence": 0.97, "punctuated_word": w}
                      for i, w in enumerate(words)]}]},
        "metadata": {"request_id": str(uuid.uuid4()), "model_info": {"name": "2-general-nova", "version":
                     "2024-01-09.29447", "arch": "nova-2"}, "model_uuid": str(uuid.uuid4())}}


async def handler(ws, path=None):
    conn = LOG["connections"][-1]
    fault = conn["fault"]
    rate = int(conn["query"].get("sample_rate", "8000"))
    width = 1 if conn["query"].get("encoding", "mulaw") in ("mulaw", "alaw") else 2
    bytes_per_s = rate * width
    total = 0          # audio bytes of the whole stream
    turn_start = 0     # byte offset where this turn began
    revealed = 0
    words = None
    try:
        async for msg in ws:
            if isinstance(msg, bytes):
                conn["binary_frames"] += 1
                conn["audio_bytes"] += len(msg)
                total += len(msg)
                if fault.startswith("close_after:") and total >= int(fault.split(":")[1]):
                    ws.transport.abort()  # drop the TCP connection: no close frame
                    return
                if fault == "hang":
                    continue
                if fault == "garbage":
                    await ws.send("}{ definitely not json")
                    continue
                if words is None:
                    words = (TRANSCRIPTS.pop(0) if TRANSCRIPTS else "").split()
                want = min(len(words), int((total - turn_start) / bytes_per_s / 0.3))
                if want > revealed:
                    revealed = want
                    await ws.send(json.dumps(results(turn_start / bytes_per_s, (total - turn_start) / bytes_per_s,
                                                     words[:revealed], False)))
                continue
            conn["messages"].append(msg)
            try:
                control = json.loads(msg)
            except ValueError:
                await ws.close(1008, "DATA-0000: invalid control message")
                return
            kind = control.get("type")
            if fault == "hang":
                continue
            if fault == "garbage":
                await ws.send("\x00\x01 garbage")
                continue
            if kind == "Finalize":
                if words is None:
                    words = (TRANSCRIPTS.pop(0) if TRANSCRIPTS else "").split()
                start, dur = turn_start / bytes_per_s, (total - turn_start) / bytes_per_s
                half = len(words) // 2
                first, second = words[:half], words[half:]
                split = start + dur * half / max(1, len(words))
                if first:
                    await ws.send(json.dumps(results(start, split - start, first, True)))
                await ws.send(json.dumps(results(split, start + dur - split, second, True, True, True)))
                turn_start, revealed, words = total, 0, None
            elif kind == "CloseStream":
                await ws.send(json.dumps({"type": "Metadata", "transaction_key": "deprecated",
                                          "request_id": str(uuid.uuid4()), "sha256": "0" * 64,
                                          "created": time.strftime("%Y-%m-%dT%H:%M:%S.000Z", time.gmtime()),
                                          "duration": round(total / bytes_per_s, 3), "channels": 1}))
                await ws.close(1000)
                return
            elif kind == "KeepAlive":
                pass
            else:
                await ws.close(1008, "DATA-0000: unknown message type")
                return
    except websockets.ConnectionClosed:
        pass


async def main():
    async with websockets.serve(handler, "127.0.0.1", 0, process_request=process_request,
                                max_size=2 ** 20, ping_interval=None) as server:
        port = server.sockets[0].getsockname()[1]
        print("PORT %d" % port, flush=True)
        await asyncio.Future()


if __name__ == "__main__":
    p = argparse.ArgumentParser()
    p.add_argument("--api-key", required=True)
    ARGS = p.parse_args()
    try:
        asyncio.run(main())
    except KeyboardInterrupt:
        pass

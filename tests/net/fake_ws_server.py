#!/usr/bin/python3
"""A local WebSocket server for the client tests (Debian python3-websockets).

Prints "PORT <n>" once listening on 127.0.0.1. Paths:
  /echo      echoes every message back with its type (text stays text, binary stays binary)
  /headers   sends the request's Authorization header as text, then echoes
  /close     closes at once with code 4001 reason "bye"
  /big       sends one 300000-byte binary message, then echoes
"""
import asyncio
import sys

import websockets


async def handler(ws, path=None):
    path = path or ws.path
    if path == "/close":
        await ws.close(4001, "bye")
        return
    if path == "/headers":
        await ws.send(ws.request_headers.get("Authorization", ""))
    if path == "/big":
        await ws.send(bytes(range(256)) * 1171 + bytes(300000 - 256 * 1171))
    try:
        async for message in ws:
            await ws.send(message)
    except websockets.ConnectionClosed:
        pass


async def main():
    async with websockets.serve(handler, "127.0.0.1", 0, max_size=None) as server:
        port = server.sockets[0].getsockname()[1]
        print(f"PORT {port}", flush=True)
        await asyncio.Future()


if __name__ == "__main__":
    try:
        asyncio.run(main())
    except KeyboardInterrupt:
        sys.exit(0)

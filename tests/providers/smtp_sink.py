#!/usr/bin/python3
"""A real SMTP server on 127.0.0.1 for the smtp messenger test (Debian's python3-aiosmtpd).

Usage: smtp_sink.py FOLDER  -> prints "PORT <n>" once listening; every message received is written
as FOLDER/<n>.eml (the DATA exactly as received, after SMTP dot-unstuffing) and FOLDER/<n>.json
({"mail_from", "rcpt_tos", "helo"}), the .json last so a reader seeing it knows both are complete.
"""
import asyncio
import json
import os
import sys

from aiosmtpd.smtp import SMTP


class Sink:
    def __init__(self, folder):
        self.folder = folder
        self.count = 0

    async def handle_DATA(self, server, session, envelope):
        self.count += 1
        base = os.path.join(self.folder, str(self.count))
        with open(base + ".eml", "wb") as f:
            f.write(envelope.original_content)
        with open(base + ".json.tmp", "w") as f:
            json.dump({"mail_from": envelope.mail_from, "rcpt_tos": envelope.rcpt_tos,
                       "helo": session.host_name}, f)
        os.rename(base + ".json.tmp", base + ".json")
        return "250 Message accepted for delivery"


async def main(folder):
    handler = Sink(folder)
    loop = asyncio.get_running_loop()
    server = await loop.create_server(lambda: SMTP(handler, hostname="sink.test"), "127.0.0.1", 0)
    print("PORT", server.sockets[0].getsockname()[1], flush=True)
    async with server:
        await server.serve_forever()


if __name__ == "__main__":
    os.makedirs(sys.argv[1], exist_ok=True)
    try:
        asyncio.run(main(sys.argv[1]))
    except KeyboardInterrupt:
        pass

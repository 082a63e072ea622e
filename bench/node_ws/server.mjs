// The reference point for bench_concurrency: an idiomatic Node.js `ws` server that does
// only the decode of Twilio Media Streams — JSON.parse every message, base64-decode the payload,
// expand μ-law to PCM16 — and nothing else (no resampling, VAD, turn detection or replies).
//
//   npm ci --prefix bench/node_ws
//   ./build/bench/bench_concurrency --host-cmd "taskset -c 1 node bench/node_ws/server.mjs {port}"
//
// GET /healthz answers the counters bench_concurrency reads (frames_in = frames_handled: the
// decode is synchronous, so a frame read is a frame done).
import http from 'node:http';
import { WebSocketServer } from 'ws';

const port = Number(process.argv[2] || 8080);

// G.711 μ-law expansion table (ITU-T G.711), the same mapping libinfini's g711::DecodeUlaw uses.
const ULAW = new Int16Array(256);
for (let i = 0; i < 256; i++) {
  const u = ~i & 0xff;
  const t = (((u & 0x0f) << 3) + 0x84) << ((u & 0x70) >> 4);
  ULAW[i] = u & 0x80 ? 0x84 - t : t - 0x84;
}

let framesIn = 0;
let badMessages = 0;

const server = http.createServer((req, res) => {
  if (req.url === '/healthz') {
    res.writeHead(200, { 'content-type': 'application/json', connection: 'close' });
    res.end(JSON.stringify({ frames_in: framesIn, frames_handled: framesIn, frames_dropped: 0, frames_out: 0,
                             bad_messages: badMessages }));
    return;
  }
  res.writeHead(404);
  res.end();
});

const wss = new WebSocketServer({ server, path: '/twilio/stream' });
wss.on('connection', (ws) => {
  const pcm = new Int16Array(160);
  ws.on('message', (data) => {
    let msg;
    try {
      msg = JSON.parse(data);
    } catch {
      badMessages++;
      return;
    }
    if (msg.event !== 'media') return;
    const ulaw = Buffer.from(msg.media.payload, 'base64');
    for (let i = 0; i < ulaw.length && i < pcm.length; i++) pcm[i] = ULAW[ulaw[i]];
    framesIn++;
  });
});

server.listen(port, '127.0.0.1');

// The reference point for bench_concurrency: an idiomatic Node.js `ws` server that does
// only the decode of Twilio Media Streams — JSON.parse every message, base64-decode the payload,
// expand μ-law to PCM16 — and nothing else (no resampling, VAD, turn detection or replies).
//
//   npm ci --prefix bench/node_ws
//   ./build/bench/bench_concurrency --host-cmd "taskset -c 1 node bench/node_ws/server.mjs {port}"
//
// Full duplex (`server.mjs PORT --echo N`): it also answers every stream with its own audio,
// as a voice agent talks back -- each decoded frame is μ-law-encoded again and every N frames
// go out as one media message (base64, JSON.stringify, ws.send), the outbound side of what
// infini does with twilio_send_batch N. Not paced: the echo leaves as the caller's audio
// arrives, which is real time.
//
// GET /healthz answers the counters bench_concurrency reads (frames_in = frames_handled: the
// decode is synchronous, so a frame read is a frame done).
import http from 'node:http';
import { WebSocketServer } from 'ws';

const port = Number(process.argv[2] || 8080);
const echoAt = process.argv.indexOf('--echo');
const echoFrames = echoAt > 0 ? Number(process.argv[echoAt + 1]) : 0;
if (echoAt > 0 && !(echoFrames >= 1 && echoFrames <= 10)) {
  console.error(`--echo ${process.argv[echoAt + 1]}: frames per outbound message must be 1..10`);
  process.exit(2);
}

// G.711 μ-law expansion table (ITU-T G.711), the same mapping libinfini's g711::DecodeUlaw uses.
const ULAW = new Int16Array(256);
for (let i = 0; i < 256; i++) {
  const u = ~i & 0xff;
  const t = (((u & 0x0f) << 3) + 0x84) << ((u & 0x70) >> 4);
  ULAW[i] = u & 0x80 ? 0x84 - t : t - 0x84;
}

// G.711 μ-law compression (the inverse of ULAW above; the same as g711::EncodeUlaw).
function encodeUlaw(sample) {
  const BIAS = 0x84, CLIP = 32635;
  let sign = 0;
  if (sample < 0) { sample = -sample; sign = 0x80; }
  if (sample > CLIP) sample = CLIP;
  sample += BIAS;
  let exponent = 7;
  for (let mask = 0x4000; (sample & mask) === 0 && exponent > 0; mask >>= 1) exponent--;
  const mantissa = (sample >> (exponent + 3)) & 0x0f;
  return ~(sign | (exponent << 4) | mantissa) & 0xff;
}

let framesIn = 0;
let framesOut = 0;
let badMessages = 0;

const server = http.createServer((req, res) => {
  if (req.url === '/healthz') {
    res.writeHead(200, { 'content-type': 'application/json', connection: 'close' });
    res.end(JSON.stringify({ frames_in: framesIn, frames_handled: framesIn, frames_dropped: 0, frames_out: framesOut,
                             bad_messages: badMessages }));
    return;
  }
  res.writeHead(404);
  res.end();
});

const wss = new WebSocketServer({ server, path: '/twilio/stream' });
wss.on('connection', (ws) => {
  const pcm = new Int16Array(160);
  const out = echoFrames ? Buffer.alloc(160 * echoFrames) : null;
  let outFrames = 0;
  let streamSid = '';
  ws.on('message', (data) => {
    let msg;
    try {
      msg = JSON.parse(data);
    } catch {
      badMessages++;
      return;
    }
    if (msg.event === 'start') streamSid = msg.start?.streamSid || msg.streamSid || '';
    if (msg.event !== 'media') return;
    const ulaw = Buffer.from(msg.media.payload, 'base64');
    for (let i = 0; i < ulaw.length && i < pcm.length; i++) pcm[i] = ULAW[ulaw[i]];
    framesIn++;
    if (!out) return;
    for (let i = 0; i < 160; i++) out[outFrames * 160 + i] = encodeUlaw(pcm[i]);
    if (++outFrames < echoFrames) return;
    ws.send(JSON.stringify({ event: 'media', streamSid, media: { payload: out.toString('base64') } }));
    framesOut += outFrames;
    outFrames = 0;
  });
});

server.listen(port, '127.0.0.1');

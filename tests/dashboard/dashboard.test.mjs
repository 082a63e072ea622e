// Dashboard browser test: a real headless Chromium (Debian's /usr/bin/chromium, driven by
// playwright-core; no browser download) against a real server on 127.0.0.1 holding a call
// made by a simulated caller. Signs in, opens the call, checks the transcript and the
// booking, visits every page, saves screenshots to $ARTIFACTS.
//
// Environment (set by tests/dashboard/CMakeLists.txt):
//   SERVER_CMD   JSON array: the command that starts the server and prints one JSON line
//                {"port":N,"token":"...","readonly_token":"...","call_id":N} on stdout
//   CALL_CMD     optional JSON array: a simulated caller run once the server is up, "{url}"
//                replaced by its base URL (e.g. `infini call --url {url} ...`); must exit 0
//   ARTIFACTS    directory for screenshots
import { spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import assert from 'node:assert/strict';
import { chromium } from 'playwright-core';

const artifacts = process.env.ARTIFACTS || join(tmpdir(), 'infini-dashboard-artifacts');
rmSync(artifacts, { recursive: true, force: true });
mkdirSync(artifacts, { recursive: true });
const command = JSON.parse(process.env.SERVER_CMD);

let passed = 0, failed = 0;
async function step(name, fn) {
  try {
    await fn();
    passed++;
    console.log(`ok - ${name}`);
  } catch (e) {
    failed++;
    console.log(`not ok - ${name}\n  ${String(e.stack || e).split('\n').join('\n  ')}`);
    if (page) await page.screenshot({ path: join(artifacts, `failed-${name.replace(/\W+/g, '_')}.png`), fullPage: true }).catch(() => {});
  }
}

// ---- start the server ----
const server = spawn(command[0], command.slice(1), { stdio: ['pipe', 'pipe', 'inherit'] });
const info = await new Promise((resolve, reject) => {
  const timer = setTimeout(() => reject(new Error('server printed no JSON line within 120 s')), 120000);
  const rl = createInterface({ input: server.stdout });
  rl.on('line', line => {
    try {
      const j = JSON.parse(line);
      if (j.port) { clearTimeout(timer); resolve(j); }
    } catch (e) { /* a log line */ }
  });
  server.on('exit', code => reject(new Error(`server exited early with ${code}`)));
});
const base = `http://127.0.0.1:${info.port}`;
console.log(`server on ${base}`);

// ---- a simulated caller calls it ----
if (process.env.CALL_CMD) {
  const call = JSON.parse(process.env.CALL_CMD).map(a => a.replace('{url}', base));
  const t0 = Date.now();
  const code = await new Promise(resolve => {
    const p = spawn(call[0], call.slice(1), { stdio: ['ignore', 'inherit', 'inherit'] });
    p.on('exit', c => resolve(c));
  });
  console.log(`simulated call exited ${code} after ${((Date.now() - t0) / 1000).toFixed(1)} s`);
  if (code !== 0) {
    server.stdin.end();
    server.kill('SIGTERM');
    console.log('0 passed, 1 failed');
    process.exit(1);
  }
}
// The call to open: the newest one (the API's own answer).
if (!info.call_id) {
  const r = await fetch(`${base}/api/v1/calls?limit=1`, { headers: { Authorization: 'Bearer ' + info.token } });
  const j = await r.json();
  assert.equal(j.total, 1, 'exactly one call recorded');
  info.call_id = j.calls[0].id;
}
console.log(`call ${info.call_id}`);

// ---- the browser ----
const userDataDir = mkdtempSync(join(tmpdir(), 'infini-chromium-'));
const context = await chromium.launchPersistentContext(userDataDir, {
  executablePath: '/usr/bin/chromium',
  headless: true,
  viewport: { width: 1280, height: 900 },
  args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
         '--disable-background-networking', '--disable-component-update', '--disable-sync'],
});
const external = [];
await context.route('**/*', route => {
  const url = new URL(route.request().url());
  if (url.hostname === '127.0.0.1') return route.continue();
  external.push(url.href);
  return route.abort();
});
const page = context.pages()[0] || await context.newPage();
const consoleErrors = [];
page.on('console', m => { if (m.type() === 'error') consoleErrors.push(m.text()); });
page.on('pageerror', e => consoleErrors.push(String(e)));
page.on('dialog', d => d.accept());
const shot = name => page.screenshot({ path: join(artifacts, name + '.png'), fullPage: true });
const text = sel => page.locator(sel).innerText();

try {
  await step('login page; a wrong token is refused', async () => {
    await page.goto(base + '/');
    await page.waitForSelector('#token');
    await page.fill('#token', 'inf_not_a_real_token');
    await page.click('#signin');
    await page.waitForSelector('.error');
    assert.match(await text('.error'), /not accepted/);
    await shot('01-login-refused');
  });

  await step('sign in; the calls list shows the simulated call', async () => {
    await page.fill('#token', info.token);
    await page.click('#signin');
    await page.waitForSelector('tr.link');
    const rows = await page.locator('tr.link').count();
    assert.ok(rows >= 1, `expected a call row, got ${rows}`);
    assert.match(await text('tbody'), /booked/);
    assert.match(await text('#whoami'), /owner/);
    await shot('02-calls');
  });

  let detail;
  await step('call detail: transcript and booking', async () => {
    await page.locator('tr.link').first().click();
    await page.waitForSelector('#transcript .turn');
    const transcript = await text('#transcript');
    assert.match(transcript, /air conditioner/i, 'caller words in the transcript');
    assert.match(transcript, /Polar Bear/i, 'the greeting in the transcript');
    const booking = await text('#booking');
    assert.match(booking, /ac_repair/);
    assert.match(booking, /09:00/);
    assert.match(booking, /John Smith/);
    assert.match(await text('#booking .sms'), /^To \+1512555\d+: .+\(queued\)$/, 'the confirmation SMS');
    assert.match(await text('#call-outcome'), /booked/);
    detail = await page.evaluate(async ([id, token]) =>
      (await fetch(`/api/v1/calls/${id}`, { headers: { Authorization: 'Bearer ' + token } })).json(),
      [info.call_id, info.token]);
    await shot('03-call-detail');
  });

  await step('call detail: a latency bar for every measured turn', async () => {
    const measured = detail.turns.filter(t => t.latency_ms && t.latency_ms.total !== undefined).length;
    const bars = await page.locator('#transcript .latency').count();
    assert.equal(bars, measured, 'one bar per turn with timings');
    if (process.env.EXPECT_TIMINGS === '1') assert.ok(measured > 0, 'a spoken call has measured turns');
    console.log(`  (${measured} measured turns)`);
  });

  await step('appointments list shows the booking', async () => {
    await page.click('a[data-page=appointments]');
    await page.waitForSelector('table');
    await page.waitForFunction(() => document.querySelector('main').innerText.includes('John Smith'));
    assert.match(await text('main'), /ac_repair/);
    await shot('04-appointments');
  });

  await step('voicemails & callbacks and SMS pages load', async () => {
    await page.click('a[data-page=messages]');
    await page.waitForFunction(() => document.querySelectorAll('main table').length === 2);
    await page.click('a[data-page=sms]');
    await page.waitForSelector('table');
    await page.waitForFunction(() => /\+1512555/.test(document.querySelector('main').innerText));
    await shot('05-sms');
  });

  await step('analytics: tiles and charts for the call', async () => {
    const day = detail.call.started_local.slice(0, 10);
    await page.goto(`${base}/#/analytics?from=${day}&to=${day}`);
    await page.waitForSelector('#tile-calls');
    assert.equal((await text('#tile-calls .v')).trim(), '1');
    assert.equal((await text('#tile-booking .v')).trim(), '100%');
    assert.ok(await page.locator('#chart-calls rect.booked-bar').count() >= 1, 'calls-per-day chart drawn');
    await shot('06-analytics');
  });

  await step('script editor: a bad config is rejected with its field path; the old one stays', async () => {
    await page.click('a[data-page=script]');
    await page.waitForSelector('#script-editor');
    const before = await text('#script-version');
    const config = JSON.parse(await page.inputValue('#script-editor'));
    config.services[0].minutes = 'two hours';
    const zone = config.timezone;
    config.timezone = 'Mars/Base';  // a second, independent problem: both are listed
    await page.fill('#script-editor', JSON.stringify(config, null, 2));
    await page.click('#validate');
    await page.waitForSelector('#script-status .error');
    assert.match(await text('#script-status'), /services\[0\]\.minutes/);
    assert.match(await text('#script-status'), /timezone/);
    await page.click('#save');
    await page.waitForFunction(() => /stays live/.test(document.querySelector('#script-status').innerText));
    assert.match(await text('#script-status'), /services\[0\]\.minutes/);
    assert.match(await text('#script-status'), /timezone/);
    assert.match(await text('#script-status'), /2 problems/);
    assert.equal(await page.locator('#script-status li').count(), 2);
    assert.equal(await text('#script-version'), before);
    await shot('07-script-rejected');
    config.timezone = zone;
    config.services[0].minutes = 90;
    await page.fill('#script-editor', JSON.stringify(config, null, 2));
    await page.click('#save');
    await page.waitForSelector('#script-status .success');
    assert.match(await text('#script-status'), /is live/);
    assert.notEqual(await text('#script-version'), before);
  });

  await step('a readonly user cannot save the script', async () => {
    await page.click('#signout');
    await page.fill('#token', info.readonly_token);
    await page.click('#signin');
    await page.waitForSelector('tr.link');
    await page.click('a[data-page=script]');
    await page.waitForSelector('#save');
    assert.equal(await page.locator('#save').isDisabled(), true);
    const status = await page.evaluate(async token => (await fetch('/api/v1/script', {
      method: 'PUT', headers: { Authorization: 'Bearer ' + token }, body: '{}' })).status, info.readonly_token);
    assert.equal(status, 403);
  });

  await step('no request left 127.0.0.1 and the page logged no errors', async () => {
    assert.deepEqual(external, []);
    // The refused token (401), the readonly PUT (403) and the rejected script (422) are expected.
    assert.deepEqual(consoleErrors.filter(e => !/status of (401|403|422)\b/.test(e)), []);
  });
} finally {
  await context.close();
  rmSync(userDataDir, { recursive: true, force: true });
  server.stdin.end();
  server.kill('SIGTERM');
}

console.log(`screenshots in ${artifacts}`);
console.log(`${passed} passed, ${failed} failed`);
process.exit(failed === 0 && passed > 0 ? 0 : 1);

// The operator assistant in the browser: typed commands on the dashboard (done, asked
// "which one?", held for a yes), busy mode on the Today page and in the top bar, option
// 86s on the 86 board, and a spoken command on the staff device, recorded from a WAV that
// Chromium's fake microphone plays.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Server, browser, newPage, shot, signIn, seedMenu, skipReason, unlabelled } from './harness.mjs';

const skip = skipReason();
let server, b, owner, menu, base, wavDir;

/** What speech needs here; CI must have it all. */
function speechSkip() {
  const missing = ['espeak-ng', 'sox', 'pocketsphinx_continuous'].filter((p) => {
    try {
      execFileSync('sh', ['-c', `command -v ${p}`], { stdio: 'ignore' });
      return false;
    } catch {
      return true;
    }
  });
  if (!missing.length) return false;
  const why = `spoken commands need ${missing.join(', ')} (apt-get install espeak-ng sox pocketsphinx pocketsphinx-en-us)`;
  if (process.env.CI === 'true') throw new Error(`${why} — refusing to skip in CI`);
  console.error(`\n!!! SKIPPING SPOKEN ASSISTANT TEST: ${why} !!!\n`);
  return why;
}
const noSpeech = skip || speechSkip();

/** `words` said by espeak-ng, as 16 kHz mono: half a second of quiet before, three after
 * (Chromium's fake microphone plays the file from its start and loops it). */
function said(words) {
  const raw = join(wavDir, 'raw.wav');
  const out = join(wavDir, `${words.replace(/\W+/g, '-')}.wav`);
  execFileSync('espeak-ng', ['-v', 'en-us', '-w', raw, words]);
  execFileSync('sox', [raw, '-r', '16000', '-c', '1', '-b', '16', out, 'pad', '0.5', '3']);
  return out;
}

before(async () => {
  if (skip) return;
  server = await Server.start();
  owner = await server.signup();
  base = `/v1/restaurants/${owner.rid}`;
  menu = await seedMenu(server, owner, 'Classic Burger');
  await server.api('POST', `${base}/menu/items`, { category_id: menu.category.id, name: 'Cheese Burger', price: 1350 }, owner.token);
  await server.api('POST', `${base}/menu/items`, {
    category_id: menu.category.id, name: 'Taco', price: 900,
    modifier_groups: [{ name: 'Toppings', min: 0, max: 3, options: [{ name: 'Avocado', price_delta: 150 }, { name: 'Salsa', price_delta: 0 }] }],
  }, owner.token);
  await server.api('POST', `${base}/users`, { name: 'Sam Server', role: 'staff', phone: '+15550100001', pin: '1111' }, owner.token);
  b = await browser();
  wavDir = mkdtempSync(join(tmpdir(), 'brigade-said-'));
});
after(async () => {
  await b?.close();
  await server?.close();
  if (wavDir) rmSync(wavDir, { recursive: true, force: true });
});

const item = async (name) => (await server.api('GET', `${base}/menu/items?limit=200`, undefined, owner.token)).items.find((i) => i.name === name);

test('typed commands on the dashboard: done, "which burger?", and a cancel held for a yes', { skip }, async () => {
  const page = await newPage(b, server.base);
  await signIn(page, server.base, owner.email, owner.password);
  await page.getByRole('button', { name: 'Assistant' }).click();
  const dock = page.getByRole('complementary', { name: 'Assistant' });
  const box = dock.getByLabel('Command');
  await assert.doesNotReject(box.waitFor());
  assert.ok(await box.evaluate((el) => el === document.activeElement), 'the command box has the focus');
  assert.deepEqual(await unlabelled(page), []);

  // Done at once, with what was understood shown.
  await box.fill('86 the fries');
  await box.press('Enter');
  const first = dock.locator('.assistant-reply').last();
  await first.locator('[data-tool=eighty_six][data-status=done]').waitFor();
  assert.match(await first.textContent(), /Fries/);
  assert.equal((await item('Fries')).availability.available, false);

  // Two burgers: asked, nothing changed, then answered with a button.
  await box.fill('86 the burger');
  await box.press('Enter');
  const ask = dock.getByRole('group', { name: /burger/i });
  await ask.waitFor();
  assert.equal((await item('Classic Burger')).availability.available, true);
  assert.equal((await item('Cheese Burger')).availability.available, true);
  await ask.getByRole('button', { name: 'Cheese Burger' }).click();
  await dock.locator('.assistant-reply').last().locator('[data-tool=eighty_six][data-status=done]').waitFor();
  assert.equal((await item('Cheese Burger')).availability.available, false);
  assert.equal((await item('Classic Burger')).availability.available, true);
  // The question's buttons answer nothing now.
  assert.equal(await ask.getByRole('button', { name: 'Classic Burger' }).isDisabled(), true);

  // Something not on the menu is said so.
  await box.fill('86 the lobster');
  await box.press('Enter');
  await dock.locator('.assistant-reply', { hasText: /lobster/i }).waitFor();

  // Cancelling an order waits for the yes; "No" leaves it, "Yes" cancels it.
  const order = await server.api('POST', `/v1/public/tables/${menu.table.qr_url.split('/t/')[1]}/orders`, {
    items: [{ item_id: (await item('Taco')).id, quantity: 1 }],
  });
  await box.fill(`cancel order ${order.number}`);
  await box.press('Enter');
  let held = dock.locator('.assistant-reply').last();
  await held.locator('[data-tool=set_order_status][data-status=needs_confirmation]').waitFor();
  await held.getByRole('button', { name: 'No' }).click();
  await dock.locator('.assistant-reply').last().locator('[data-status=cancelled]').waitFor();
  assert.equal((await server.api('GET', `${base}/orders/${order.id}`, undefined, owner.token)).status, 'received');
  await box.fill(`cancel order ${order.number}`);
  await box.press('Enter');
  held = dock.locator('.assistant-reply').last();
  await held.locator('[data-status=needs_confirmation]').waitFor();
  await shot(page, 'assistant-dashboard');
  await held.getByRole('button', { name: 'Yes, do it' }).click();
  await dock.locator('.assistant-reply').last().locator('[data-tool=set_order_status][data-status=done]').waitFor();
  assert.equal((await server.api('GET', `${base}/orders/${order.id}`, undefined, owner.token)).status, 'cancelled');

  // "What can I say?" lists the commands, and an example runs when chosen.
  await dock.getByText('What can I say?').click();
  await dock.getByRole('button', { name: '“what\'s low?”' }).click();
  await dock.locator('.assistant-reply').last().locator('[data-tool=low_stock]').waitFor();

  // The panel stays open from page to page; Escape closes it.
  await page.getByRole('link', { name: '86 board' }).click();
  await page.waitForURL(/\/app\/86/);
  await dock.getByLabel('Command').waitFor();
  await dock.getByLabel('Command').press('Escape');
  assert.equal(await dock.isVisible(), false);
  assert.deepEqual(page.problems, []);
});

test('busy mode from the Today page shows in the top bar, live, and ends with a tap', { skip }, async () => {
  const page = await newPage(b, server.base);
  await signIn(page, server.base, owner.email, owner.password);
  const card = page.getByRole('region', { name: 'Busy mode' });
  await card.getByText(/^Off\./).waitFor();
  const badge = page.locator('#busy-badge');
  assert.equal(await badge.isVisible(), false);
  await card.getByText('Turn on busy mode').click();

  await card.getByLabel('Extra time on quotes').selectOption('20');
  await card.getByLabel('For').selectOption('120');
  await card.getByLabel('Web').check();
  await card.getByLabel('Reason').fill('party of 30');
  await card.getByRole('button', { name: 'Start busy mode' }).click();
  await badge.getByText(/\+20 min on quotes · Web paused/).waitFor();
  const busy = await server.api('GET', `${base}/busy`, undefined, owner.token);
  assert.equal(busy.active, true);
  assert.equal(busy.extra_minutes, 20);
  assert.deepEqual(busy.paused_channels, ['web']);
  assert.equal(busy.reason, 'party of 30');
  await shot(page, 'busy-mode-today');

  // Changed elsewhere (the API, the assistant): the badge follows the live feed.
  await server.api('PUT', `${base}/busy`, { extra_minutes: 30, until: busy.until, paused_channels: [] }, owner.token);
  await badge.getByText(/^Busy: \+30 min on quotes · until/).waitFor();

  await card.getByRole('button', { name: 'End busy mode' }).click();
  await badge.waitFor({ state: 'hidden' });
  assert.equal((await server.api('GET', `${base}/busy`, undefined, owner.token)).active, false);
  assert.deepEqual(page.problems, []);
});

test('an option is 86\'d and brought back on the 86 board', { skip }, async () => {
  const page = await newPage(b, server.base);
  await signIn(page, server.base, owner.email, owner.password, '/app/86');
  const options = page.getByRole('list', { name: 'Options' });
  await options.getByRole('button', { name: '86 Avocado (Toppings, Taco)' }).click();
  await options.getByRole('button', { name: 'Bring back Avocado (Toppings, Taco)' }).waitFor();
  const avocado = () => item('Taco').then((t) => t.modifier_groups[0].options.find((o) => o.name === 'Avocado'));
  assert.equal((await avocado()).available, false);
  await options.getByRole('button', { name: 'Bring back Avocado (Toppings, Taco)' }).click();
  await options.getByRole('button', { name: '86 Avocado (Toppings, Taco)' }).waitFor();
  assert.equal((await avocado()).available, true);
  assert.deepEqual(page.problems, []);
});

test('a spoken command on the staff device: recorded, heard, done, said back, signed out', { skip: noSpeech }, async () => {
  const voice = await browser(['--use-fake-ui-for-media-stream', '--use-fake-device-for-media-stream',
    `--use-file-for-fake-audio-capture=${said('eighty six the salsa')}`]);
  try {
    const device = await newPage(voice, server.base, { width: 800, height: 1280 });
    await device.context().grantPermissions(['microphone'], { origin: server.base });
    await device.goto(`${server.base}/staff?r=${owner.slug}`);
    await device.getByLabel('PIN').fill('1111');
    await device.getByRole('button', { name: 'OK' }).click();
    const panel = device.locator('#assistant');
    await panel.getByRole('button', { name: 'Speak' }).click();
    await panel.getByText(/Listening/).waitFor();
    // It stops by itself once the words are over, and sends a WAV.
    const answered = await device.waitForResponse((r) => r.url().includes('/assistant/audio'), { timeout: 15_000 });
    assert.equal(answered.request().headers()['content-type'], 'audio/wav');
    assert.equal(answered.status(), 200, await answered.text());
    await panel.getByText('Heard: “eighty six the salsa”').waitFor({ timeout: 15_000 });
    await panel.locator('[data-tool=eighty_six_option][data-status=done]').waitFor();
    // The reply is spoken back through the server's speech engine.
    await device.waitForFunction(() => document.querySelector('#assistant').dataset.spoke);
    await shot(device, 'assistant-staff-voice');
    const taco = await item('Taco');
    assert.equal(taco.modifier_groups[0].options.find((o) => o.name === 'Salsa').available, false);
    // Having done something, the shared device signs out by itself.
    await device.getByText('Sign in with your PIN').waitFor({ timeout: 10_000 });
    assert.deepEqual(device.problems, []);
  } finally {
    await voice.close();
  }
});

// Sessions in the browser: the access token lives in page memory and is renewed before
// it lapses, so a screen left open for hours keeps working without the user noticing.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { Server, browser, newPage, signIn, seedMenu, skipReason } from './harness.mjs';

const skip = skipReason();
let server, b, owner, menu;

before(async () => {
  if (skip) return;
  // Access tokens that last 3 seconds: the pages must renew them several times.
  server = await Server.start(['--access-token-ttl-secs', '3']);
  owner = await server.signup();
  menu = await seedMenu(server, owner);
  b = await browser();
});
after(async () => {
  await b?.close();
  await server?.close();
});

test('a dashboard and a KDS left open outlive many access tokens without a reload or sign-in', { skip }, async () => {
  const board = await newPage(b, server.base);
  await signIn(board, server.base, owner.email, owner.password, '/app/orders');
  const kds = await newPage(b, server.base, { width: 1920, height: 1080 });
  await signIn(kds, server.base, owner.email, owner.password, '/kds');
  let renewals = 0;
  kds.on('response', (r) => r.url().endsWith('/web/token') && r.ok() && renewals++);
  await kds.waitForTimeout(7000);
  assert.ok(renewals >= 2, `the KDS renewed its token ${renewals} times`);
  assert.match(kds.url(), /\/kds$/, 'still on the KDS, not sent to sign in');

  const token = menu.table.qr_url.split('/t/')[1];
  const o = await server.api('POST', `/v1/public/tables/${token}/orders`, { items: [{ item_id: menu.side.id, quantity: 1 }] });
  await kds.locator('.ticket', { hasText: `#${o.number}` }).waitFor({ timeout: 1500 });
  const card = board.locator('.order-card', { hasText: `#${o.number}` });
  await card.waitFor({ timeout: 1500 });
  await card.getByRole('button', { name: 'Accept' }).click();
  await board.locator('.col-accepted .order-card', { hasText: `#${o.number}` }).waitFor();
  assert.deepEqual([...board.problems, ...kds.problems], []);
});

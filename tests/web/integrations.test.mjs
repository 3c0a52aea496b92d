// Integrations in the browser: connecting Uber Eats (against a local fake that speaks
// its OAuth and menu API), testing it, its sync health updating live as an 86 goes out,
// and an outgoing webhook: added (secret shown once), delivered signed, its delivery
// log, and a replay.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import { createHmac } from 'node:crypto';
import { Server, browser, newPage, shot, signIn, seedMenu, skipReason, unlabelled, overflowsSideways } from './harness.mjs';

const skip = skipReason();
let server, b, owner, menu, uber, receiver, stripe;

/** A small HTTP server: `handle(req, body)` answers [status, json]. */
async function fake(handle) {
  const calls = [];
  const s = createServer((req, res) => {
    let body = '';
    req.on('data', (c) => (body += c));
    req.on('end', () => {
      calls.push({ method: req.method, url: req.url, headers: req.headers, body });
      const [status, json] = handle(req, body);
      res.writeHead(status, { 'content-type': 'application/json' });
      res.end(json === undefined ? '' : JSON.stringify(json));
    });
  });
  await new Promise((r) => s.listen(0, '127.0.0.1', r));
  return { url: `http://127.0.0.1:${s.address().port}`, calls, close: () => s.close() };
}

before(async () => {
  if (skip) return;
  const items = new Map();
  let groups = [];
  uber = await fake((req, body) => {
    if (req.url === '/oauth/v2/token') return [200, { access_token: 'tok', expires_in: 2592000 }];
    if (req.headers.authorization !== 'Bearer tok') return [401, { code: 'unauthorized' }];
    if (req.url.endsWith('/status')) return [200, { status: 'ONLINE' }];
    if (req.url.endsWith('/menus') && req.method === 'PUT') {
      const menu = JSON.parse(body);
      for (const i of menu.items) items.set(i.id, i);
      groups = menu.modifier_groups;
      return [204];
    }
    if (req.url.endsWith('/menus')) return [200, { items: [...items.values()], modifier_groups: groups }];
    const m = req.url.match(/\/menus\/items\/([^/]+)$/);
    if (m && items.has(m[1])) {
      Object.assign(items.get(m[1]), JSON.parse(body));
      return [204];
    }
    return [404, { code: 'not_found' }];
  });
  receiver = await fake(() => [200, { ok: true }]);
  // Stripe: a Checkout Session whose page is served by the fake itself (no external host).
  stripe = await fake((req, body) => {
    if (req.headers.authorization !== 'Bearer sk_test_web') return [401, { error: { type: 'invalid_request_error' } }];
    if (req.url === '/v1/checkout/sessions') {
      const form = new URLSearchParams(body);
      return [200, { id: 'cs_test_web', url: `${stripe.url}/pay/cs_test_web`, payment_intent: null, amount_total: Number(form.get('line_items[0][price_data][unit_amount]')), success_url: form.get('success_url') }];
    }
    return [404, {}];
  });
  server = await Server.start(['--ubereats-base-url', uber.url, '--ubereats-auth-url', `${uber.url}/oauth/v2/token`, '--webhooks-allow-private',
    '--stripe-base-url', stripe.url]);
  owner = await server.signup();
  menu = await seedMenu(server, owner);
  b = await browser();
});
after(async () => {
  await b?.close();
  await server?.close();
  uber?.close();
  receiver?.close();
  stripe?.close();
});

test('a manager connects Uber Eats, tests it, watches an 86 go out, and wires a signed webhook with its delivery log', { skip }, async () => {
  const page = await newPage(b, server.base);
  await signIn(page, server.base, owner.email, owner.password, '/app/integrations');
  await page.getByText('No platform is connected yet.').waitFor();
  assert.deepEqual(await unlabelled(page), []);

  // Connect: the form asks for what Uber Eats needs; a missing secret is pointed at.
  await page.getByLabel('Store id (Uber Eats store UUID)').fill('store-1');
  await page.getByLabel('Client id').fill('client-1234');
  await page.getByRole('button', { name: 'Connect' }).click();
  await page.locator('[aria-invalid="true"]').first().waitFor();
  await page.getByLabel('Client secret').fill('s3cret');
  await page.getByRole('button', { name: 'Connect' }).click();
  const card = page.getByRole('article', { name: 'Uber Eats' });
  await card.waitFor();
  assert.match(await card.innerText(), /active/);
  assert.match(await card.innerText(), /\/v1\/hooks\/ubereats\//);
  assert.ok(!(await page.content()).includes('s3cret'), 'the secret is never shown');

  await card.getByRole('button', { name: 'Test connection' }).click();
  await page.getByText(/Connected: Uber Eats store store-1 is ONLINE/).waitFor();
  await page.getByRole('cell', { name: /menu · connected/ }).waitFor();
  await page.locator('tr', { hasText: 'menu · connected' }).getByText('succeeded').waitFor({ timeout: 15000 });

  // An 86 through the API shows up live in the sync activity and reaches Uber Eats.
  await server.api('POST', `/v1/restaurants/${owner.rid}/menu/items/${menu.side.id}/availability`, { available: false }, owner.token);
  await page.locator('tr', { hasText: 'item · 86' }).getByText('succeeded').waitFor({ timeout: 15000 });
  const update = uber.calls.find((c) => c.url.includes(`/menus/items/${menu.side.id}`));
  assert.ok(JSON.parse(update.body).suspension_info.suspension.suspend_until > 0);

  // A webhook: the secret once, then a signed delivery in the log, and a replay.
  await page.getByLabel('Address').fill(`${receiver.url}/brigade`);
  await page.getByRole('button', { name: 'Add webhook' }).click();
  const secret = await page.locator('.callout code').innerText();
  assert.match(secret, /^bwhsec_/);
  const hook = page.getByRole('article', { name: `Webhook ${receiver.url}/brigade` });
  await hook.waitFor();
  await server.api('POST', `/v1/restaurants/${owner.rid}/menu/items/${menu.side.id}/availability`, { available: true }, owner.token);
  await server.api('POST', `/v1/restaurants/${owner.rid}/orders`, { channel: 'web', type: 'takeout', items: [{ item_id: menu.side.id, quantity: 2 }] }, owner.token);
  const deadline = Date.now() + 10000;
  while (!receiver.calls.length && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
  const got = receiver.calls[0];
  assert.equal(got.headers['brigade-event'], 'order.new');
  const [t, v1] = got.headers['brigade-signature'].split(',').map((p) => p.split('=')[1]);
  assert.equal(createHmac('sha256', secret).update(`${t}.${got.body}`).digest('hex'), v1, 'signed with the secret shown');

  await hook.getByRole('button', { name: 'Delivery log' }).click();
  const row = hook.locator('tr', { hasText: 'order.new' });
  await row.getByText('succeeded').waitFor();
  await row.getByRole('button', { name: 'Replay' }).click();
  await page.getByText('Sending order.new again').waitFor();
  const again = Date.now() + 10000;
  while (receiver.calls.length < 2 && Date.now() < again) await new Promise((r) => setTimeout(r, 100));
  assert.equal(receiver.calls[1].headers['brigade-delivery'], got.headers['brigade-delivery'], 'a replay is the same delivery');

  // A live update redraws the screen; the delivery log the manager opened stays open.
  const side = `/v1/restaurants/${owner.rid}/menu/items/${menu.side.id}/availability`;
  await server.api('POST', side, { available: false }, owner.token);
  await page.locator('tr', { hasText: 'item · 86' }).nth(1).waitFor({ timeout: 15000 });
  assert.equal(await hook.getByRole('button', { name: 'Delivery log' }).getAttribute('aria-expanded'), 'true');
  await hook.locator('tr', { hasText: 'order.new' }).first().waitFor();
  await server.api('POST', side, { available: true }, owner.token);

  assert.equal(await overflowsSideways(page), false);
  assert.deepEqual(page.problems, []);
  await shot(page, 'integrations');
  const phone = await newPage(b, server.base, { width: 390, height: 844 });
  await signIn(phone, server.base, owner.email, owner.password, '/app/integrations');
  await phone.getByRole('article', { name: 'Uber Eats' }).waitFor();
  assert.equal(await overflowsSideways(phone), false, 'fits a phone');
  await shot(phone, 'integrations-phone');
});

test('a guest pays a table order by card through Stripe Checkout and the tracking page shows it paid', { skip }, async () => {
  const rid = owner.rid;
  const st = await server.api('POST', `/v1/restaurants/${rid}/integrations`, { platform: 'stripe', store_id: 'acct_web', credentials: { secret_key: 'sk_test_web', webhook_secret: 'whsec_web' } }, owner.token);
  const token = menu.table.qr_url.split('/t/')[1];
  const order = await server.api('POST', `/v1/public/tables/${token}/orders`, { items: [{ item_id: menu.side.id, quantity: 1 }] });
  const guest = await newPage(b, server.base, { width: 390, height: 844 });
  await guest.goto(`${server.base}/t/${token}/orders/${order.id}#key=${encodeURIComponent(order.tracking_key)}`);
  const pay = guest.getByRole('button', { name: /by card/ });
  await pay.waitFor();
  await Promise.all([guest.waitForURL((u) => u.pathname === '/pay/cs_test_web'), pay.click()]);
  const created = stripe.calls.find((c) => c.url === '/v1/checkout/sessions');
  const form = new URLSearchParams(created.body);
  assert.equal(form.get('client_reference_id'), order.id);
  assert.ok(form.get('success_url').includes(`/t/${token}/orders/${order.id}`), 'Stripe sends the guest back to the tracking page');

  // Stripe's signed webhook marks it paid; the guest is back on the tracking page.
  const body = JSON.stringify({ id: 'evt_web_1', type: 'checkout.session.completed', data: { object: { id: 'cs_test_web', payment_status: 'paid', payment_intent: 'pi_web' } } });
  const t = Math.floor(Date.now() / 1000);
  const sig = createHmac('sha256', 'whsec_web').update(`${t}.${body}`).digest('hex');
  const hook = st.webhook_url.slice(st.webhook_url.indexOf('/v1/hooks/'));
  const r = await fetch(`${server.base}${hook}`, { method: 'POST', headers: { 'content-type': 'application/json', 'stripe-signature': `t=${t},v1=${sig}` }, body });
  assert.equal((await r.json()).outcome, 'processed');
  await guest.goto(form.get('success_url'));
  await guest.getByText('Paid by card').waitFor();
  assert.deepEqual(guest.problems.filter((p) => !p.includes('/pay/cs_test_web')), []);
  await shot(guest, 'guest-paid');

  // The orders board tells the staff it is paid, so nobody charges it again at the counter.
  const staff = await newPage(b, server.base);
  await signIn(staff, server.base, owner.email, owner.password, '/app/orders');
  const card = staff.locator(`li.order-card[data-id="${order.id}"]`);
  await card.getByText('Paid by card').waitFor();
  assert.deepEqual(staff.problems, []);
});

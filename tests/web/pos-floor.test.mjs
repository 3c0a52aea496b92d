// The counter on the floor, on a shared device where staff sign in with their PIN: a
// table's whole evening (seat, two rounds, split by seat, cash with change and a card on
// a Stripe Terminal reader with a tip, close), and a void that needs a manager's PIN.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { Server, browser, newPage, shot, signIn, seedMenu, skipReason, unlabelled, overflowsSideways } from './harness.mjs';
import { FakeStripe } from './fake-stripe.mjs';

const skip = skipReason();
const TABLET = { width: 1280, height: 800 };
let server, b, owner, menu, api, stripe, hook;

before(async () => {
  if (skip) return;
  stripe = await FakeStripe.start();
  stripe.addReader('tmr_counter', 'Counter');
  server = await Server.start(['--stripe-base-url', stripe.base]);
  owner = await server.signup();
  menu = await seedMenu(server, owner);
  api = (method, path, body, expect) => server.api(method, `/v1/restaurants/${owner.rid}${path}`, body, owner.token, expect);
  await api('POST', '/tables', { name: 'T10', capacity: 6 });
  await api('POST', '/tables', { name: 'T2', capacity: 2 });
  await api('POST', '/users', { name: 'Sam Server', role: 'staff', phone: '+15550100001', pin: '1111' });
  const me = await server.api('GET', '/v1/auth/me', undefined, owner.token);
  await api('PUT', `/users/${me.id}`, { pin: '9090' });
  const integration = await api('POST', '/integrations', { platform: 'stripe', store_id: 'acct_web', credentials: stripe.credentials() });
  hook = integration.webhook_url;
  b = await browser();
});
after(async () => {
  await b?.close();
  await server?.close();
  stripe?.close();
});

async function device() {
  const page = await newPage(b, server.base, TABLET);
  await page.goto(`${server.base}/pos?r=${owner.slug}`);
  await page.getByText('Sign in with your PIN').waitFor();
  await page.getByLabel('PIN', { exact: true }).fill('1111');
  await page.getByRole('button', { name: 'OK' }).click();
  await page.getByText('Sam Server · staff').waitFor();
  return page;
}

async function burger(page, doneness = 'Medium') {
  await page.getByRole('button', { name: /^Burger/ }).click();
  await page.getByRole('button', { name: 'Add to order' }).click();
  await page.getByText('Choose a doneness.').waitFor();
  await page.getByLabel(doneness).check();
  await page.getByRole('button', { name: 'Add to order' }).click();
}

test("a table's evening: seat, two rounds, split by seat, cash with change and a card on the reader with a tip, close", { skip }, async () => {
  const page = await device();
  await page.getByRole('button', { name: 'Floor' }).click();
  // Tables sort as people count: T1, T2, T10.
  await page.locator('.table-tile').first().waitFor();
  assert.deepEqual(await page.locator('.table-tile .table-name').allTextContents(), ['T1', 'T2', 'T10']);
  await page.locator('.table-tile', { hasText: 'T1' }).first().getByText('Free').waitFor();
  await page.locator('[data-table="T1"]').click();

  // Seat 1 has the burger; seat 2 the fries. The total comes from the server.
  await burger(page);
  await page.getByRole('button', { name: 'Next seat' }).click();
  await page.getByRole('button', { name: /^Fries/ }).click();
  await page.locator('#ticket-total', { hasText: '$18.36' }).waitFor();
  assert.equal(await page.locator('#ticket-table').inputValue(), menu.table.id);
  assert.deepEqual(await unlabelled(page), []);
  assert.equal(await overflowsSideways(page), false);
  await shot(page, 'pos-order-entry');
  await page.getByRole('button', { name: 'Send to kitchen' }).click();
  await page.getByRole('heading', { name: 'Check #1' }).waitFor();

  // A second round: only its line goes to the kitchen, on a new ticket.
  await page.getByRole('button', { name: 'Add a round' }).click();
  await page.getByRole('heading', { name: 'Adding to check #1' }).waitFor();
  await page.getByRole('button', { name: /^Fries/ }).click();
  await page.getByRole('button', { name: 'Send round' }).click();
  await page.getByRole('heading', { name: 'Round 2' }).waitFor();
  await page.locator('#check-balance', { hasText: '$23.22' }).waitFor();
  const tickets = await api('GET', '/kds/tickets');
  assert.equal(tickets.items.length, 2);
  assert.ok(tickets.items.every((t) => t.table === 'T1'));
  assert.deepEqual(tickets.items.map((t) => t.items.length).sort(), [1, 2]);
  await shot(page, 'pos-check-two-rounds');

  // The floor shows the table ordered, with what is due.
  await page.getByRole('button', { name: 'Floor' }).click();
  await page.locator('[data-table="T1"]', { hasText: '$23.22 due' }).waitFor();
  await page.locator('[data-table="T1"]').click();

  // Split by seat: seat 1 (burger and fries) and seat 2 (fries).
  await page.getByRole('button', { name: 'Split' }).click();
  await page.getByLabel('Split how').selectOption('seat');
  await page.getByRole('button', { name: 'Split', exact: true }).last().click();
  await page.getByText(/Split into 2 checks/).waitFor();
  await page.locator('#check-balance', { hasText: '$18.36' }).waitFor();

  // Cash: $20 handed over, $1.64 change.
  await page.getByLabel('Cash handed over').fill('20');
  await page.locator('#pay-change', { hasText: '$1.64' }).waitFor();
  await page.getByRole('button', { name: 'Take payment' }).click();
  await page.getByText('Give change: $1.64').waitFor();
  await page.getByRole('heading', { name: 'Paid in full' }).waitFor();
  await page.getByRole('button', { name: 'Close check' }).click();
  await page.locator('.check-head .tag', { hasText: 'Completed' }).waitFor();

  // The other check is still open on T1: a card on the Stripe reader, with a 20% tip.
  await page.getByRole('button', { name: 'Floor' }).click();
  await page.locator('[data-table="T1"]', { hasText: '$4.86 due' }).waitFor();
  await page.locator('[data-table="T1"]').click();
  await page.getByRole('radio', { name: 'Card', exact: true }).click();
  await page.getByRole('button', { name: '20%' }).click();
  assert.equal(await page.locator('#pay-tip').inputValue(), '0.97');
  await page.getByLabel('Card reader').selectOption({ label: 'Counter' });
  await shot(page, 'pos-payment');
  await page.getByRole('button', { name: 'Take payment' }).click();
  await page.getByText('Waiting for the card on Counter: $5.83').waitFor();
  await shot(page, 'pos-card-waiting');
  const charged = await stripe.present('tmr_counter', hook);
  assert.equal(charged.amount, 583);
  await page.getByRole('heading', { name: 'Paid in full' }).waitFor();
  await page.getByRole('button', { name: 'Close check' }).click();
  await page.locator('.check-head .tag', { hasText: 'Completed' }).waitFor();

  await page.getByRole('button', { name: 'Floor' }).click();
  await page.locator('[data-table="T1"]', { hasText: 'Free' }).waitFor();
  const report = await api('GET', '/reports/close-out');
  assert.equal(report.by_tender.cash, 1836);
  assert.equal(report.by_tender.card, 486);
  assert.equal(report.tips.total, 97);
  assert.equal(report.open_checks.length, 0);
  assert.deepEqual(page.problems, []);
});

test("a void of a sent line needs a manager: a wrong PIN is refused, the manager's PIN approves it", { skip }, async () => {
  const page = await device();
  await page.getByRole('button', { name: 'Floor' }).click();
  await page.locator('[data-table="T2"]').click();
  await burger(page, 'Well done');
  await page.getByRole('button', { name: /^Fries/ }).click();
  await page.getByRole('button', { name: 'Send to kitchen' }).click();
  await page.getByRole('heading', { name: /Check #\d+/ }).waitFor();
  const number = Number((await page.locator('.check-head h2').textContent()).replace(/\D/g, ''));

  const line = page.locator('.check-lines li', { hasText: 'Fries' });
  await line.getByRole('button', { name: 'Void' }).click();
  await page.getByText('A line sent to the kitchen needs a manager').waitFor();
  await page.getByLabel('Why').selectOption('Entered by mistake');
  await page.getByRole('button', { name: 'Void', exact: true }).last().click();
  await page.getByRole('heading', { name: "A manager's approval" }).waitFor();
  await page.getByLabel("Manager's PIN").fill('1111');
  await page.getByRole('button', { name: 'Approve' }).click();
  await page.locator('#approval-error').filter({ hasText: /./ }).waitFor();
  await shot(page, 'pos-void-approval');
  await page.getByLabel("Manager's PIN").fill('9090');
  await page.getByRole('button', { name: 'Approve' }).click();
  await page.locator('.check-lines li.voided', { hasText: 'Fries' }).getByText('Voided: Entered by mistake').waitFor();
  await page.locator('#check-balance', { hasText: '$13.50' }).waitFor();

  const report = await api('GET', '/reports/close-out');
  const v = report.voids.find((x) => x.item === 'Fries');
  assert.ok(v, 'the void is in the close-out');
  assert.equal(v.reason, 'Entered by mistake');
  assert.equal(v.by_name, 'Sam Server');
  assert.equal(v.approved_by_name, 'Olive Owner', 'with who approved it');
  const tickets = await api('GET', '/kds/tickets');
  const struck = tickets.items.filter((t) => t.order_number === number).flatMap((t) => t.items).find((l) => l.name === 'Fries');
  assert.equal(struck.voided, true);

  // Locking the device signs Sam out; the next person starts at the PIN pad.
  await page.getByRole('button', { name: 'Lock' }).click();
  await page.getByText('Sign in with your PIN').waitFor();
  assert.deepEqual(page.problems, []);
});

test('expo shows one card per order with each station\'s part; the order is ready when every station has bumped', { skip }, async () => {
  const grill = await api('POST', '/kds/stations', { name: 'Grill' });
  const fryer = await api('POST', '/kds/stations', { name: 'Fryer' });
  const steak = await api('POST', '/menu/items', { category_id: menu.category.id, name: 'Steak', price: 2400, station_id: grill.id });
  const rings = await api('POST', '/menu/items', { category_id: menu.category.id, name: 'Onion rings', price: 500, station_id: fryer.id });
  const place = () => api('POST', '/orders', { channel: 'pos', type: 'takeout', customer: { name: 'Kim' }, items: [{ item_id: steak.id, quantity: 1 }, { item_id: rings.id, quantity: 1 }] });
  const first = await place();
  const second = await place();

  const kds = await newPage(b, server.base, { width: 1920, height: 1080 });
  await signIn(kds, server.base, owner.email, owner.password, '/kds');
  const card = kds.locator('article.expo', { hasText: `#${first.number}` });
  await card.locator('.part.cooking', { hasText: 'Grill' }).waitFor();
  await card.locator('.part.cooking', { hasText: 'Fryer' }).waitFor();
  await card.getByText('Kim').waitFor();

  // The grill bumps its part: expo sees it done, the order still cooking.
  const tickets = await api('GET', '/kds/tickets?station_id=' + grill.id);
  const grillTicket = tickets.items.find((t) => t.order_id === first.id);
  await api('POST', `/kds/tickets/${grillTicket.id}/bump`);
  await card.locator('.part.done', { hasText: 'Grill' }).waitFor();
  assert.equal((await api('GET', `/orders/${first.id}`)).status !== 'ready', true);
  await shot(kds, 'kds-expo');

  // Expo bumps the order with its number key; the last part done makes it ready.
  const key = (await card.locator('.key').textContent()).trim();
  assert.match(key, /^[1-9]$/);
  await kds.keyboard.press(key);
  await card.waitFor({ state: 'detached' });
  assert.equal((await api('GET', `/orders/${first.id}`)).status, 'ready');

  // Any card is reachable by keyboard: focus it and press Enter.
  const next = kds.locator('article.expo', { hasText: `#${second.number}` });
  await next.focus();
  await kds.keyboard.press('Enter');
  await next.waitFor({ state: 'detached' });
  assert.equal((await api('GET', `/orders/${second.id}`)).status, 'ready');
  assert.deepEqual(kds.problems, []);
});

// Guests who come back: a guest rates their completed order on its tracking page; the
// owner reads the rating on the Guests page, finds the guest by their number in another
// spelling, keeps a note and a tag on their profile, exports their data and erases them.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { Server, browser, newPage, shot, signIn, seedMenu, skipReason, unlabelled, overflowsSideways } from './harness.mjs';

const skip = skipReason();
let server, b, owner, menu;

before(async () => {
  if (skip) return;
  server = await Server.start();
  owner = await server.signup();
  menu = await seedMenu(server, owner);
  b = await browser();
});
/** Adds an item from the guest menu `times` times. */
async function addItems(guest, name, times) {
  for (let i = 0; i < times; i += 1) {
    await guest.getByRole('button', { name }).first().click();
    await guest.getByRole('button', { name: 'Add to order' }).click();
  }
}

after(async () => {
  await b?.close();
  await server?.close();
});

test('a guest rates their order, and the owner reads it and keeps, exports and erases the guest', { skip }, async () => {
  const base = `/v1/restaurants/${owner.rid}`;
  const tables = await server.api('GET', `${base}/tables`, undefined, owner.token);
  const token = tables.items[0].qr_url.split('/t/')[1];
  const order = await server.api('POST', `/v1/public/tables/${token}/orders`, {
    items: [{ item_id: menu.side.id, quantity: 2 }],
    customer: { name: 'Grace Hopper', phone: '(555) 010-4242', email: 'grace@example.com', marketing_consent: true },
  });
  const linked = await server.api('GET', `${base}/orders/${order.id}`, undefined, owner.token);
  assert.ok(linked.customer_id, 'the order links its guest');
  assert.equal(linked.customer.phone, '•••• 4242', 'and keeps only the masked number');

  // The tracking page asks for a rating once the order is complete, not before.
  const guest = await newPage(b, server.base, { width: 390, height: 844 });
  await guest.goto(`${server.base}/t/${token}/orders/${order.id}#key=${encodeURIComponent(order.tracking_key)}`);
  await guest.getByText(/Received · ready around/).waitFor();
  assert.equal(await guest.locator('#rate').isHidden(), true);
  for (const status of ['accepted', 'preparing', 'ready', 'completed']) {
    await server.api('POST', `${base}/orders/${order.id}/status`, { status }, owner.token);
  }
  await guest.getByText('How was it?').waitFor();
  assert.deepEqual(await unlabelled(guest), []);
  await guest.locator('.star', { hasText: '2 of 5' }).click();
  assert.equal(await guest.getByRole('radio', { name: '2 of 5' }).isChecked(), true);
  await guest.getByLabel('Comment').fill('Fries were cold.');
  await shot(guest, 'guest-rating');
  await guest.getByRole('button', { name: 'Send' }).click();
  await guest.getByText('You rated this order 2 of 5.').waitFor();
  // A reload remembers it.
  await guest.reload();
  await guest.getByText('You rated this order 2 of 5.').waitFor();
  assert.equal(await overflowsSideways(guest), false);
  assert.deepEqual(guest.problems, []);
  await guest.close();

  // The owner reads it on the Guests page.
  const page = await newPage(b, server.base);
  await signIn(page, server.base, owner.email, owner.password);
  await page.getByRole('link', { name: 'Guests' }).click();
  await page.getByRole('heading', { name: /What guests thought/ }).waitFor();
  await page.getByText('Fries were cold.').waitFor();
  assert.match(await page.locator('#ratings').or(page.locator('section', { hasText: 'What guests thought' })).first().textContent(), /2 ★/);
  await shot(page, 'guests');

  // Found by their number written another way; the profile shows what they ordered.
  await page.getByLabel('Find a guest').fill('+1 555.010.4242');
  await page.getByRole('link', { name: 'Grace Hopper' }).click();
  await page.getByRole('heading', { name: 'Grace Hopper' }).waitFor();
  const profile = page.locator('#guest-profile');
  await profile.getByText('+15550104242 · grace@example.com').waitFor();
  await profile.getByText('Fries (2)').waitFor();
  assert.match(await profile.textContent(), /Agreed/);
  await page.getByLabel('Tags').fill('vip, allergy: peanuts');
  await page.getByLabel('Notes').fill('Likes the corner table.');
  await page.getByRole('button', { name: 'Save' }).click();
  await page.getByText('Saved').waitFor();
  await profile.locator('.tag', { hasText: 'vip' }).waitFor();
  assert.deepEqual(await unlabelled(page), []);
  await shot(page, 'guest-profile');

  // The board's card of their next order leads to the profile.
  await server.api('POST', `/v1/public/tables/${token}/orders`, {
    items: [{ item_id: menu.side.id, quantity: 1 }], customer: { name: 'Grace Hopper', phone: '555 010 4242' },
  });
  await page.goto(`${server.base}/app/orders`);
  await page.getByRole('link', { name: 'Grace Hopper' }).click();
  await page.getByRole('heading', { name: 'Grace Hopper' }).waitFor();

  // Export everything held about them, then erase them.
  const download = page.waitForEvent('download');
  await page.getByRole('button', { name: 'Export their data' }).click();
  const file = await download;
  assert.match(file.suggestedFilename(), /^guest-.+\.json$/);
  await page.getByRole('button', { name: 'Erase this guest' }).click();
  await page.getByText('Erased').waitFor();
  await page.getByText('No guests yet').waitFor();
  const kept = await server.api('GET', `${base}/orders/${order.id}`, undefined, owner.token);
  assert.equal(kept.customer, null);
  assert.equal(kept.total, linked.total, 'the order stays for the books');
  assert.deepEqual(page.problems, []);
  await page.close();
});

test('a guest collects points on their first order and spends them on the next', { skip }, async () => {
  const base = `/v1/restaurants/${owner.rid}`;
  // The owner turns loyalty on from the Guests page: 10 points a dollar, 100 for $5.00.
  const page = await newPage(b, server.base);
  await signIn(page, server.base, owner.email, owner.password, '/app/customers');
  await page.getByRole('heading', { name: 'Loyalty' }).waitFor();
  await page.getByLabel('Guests collect points').check();
  await page.getByLabel('Points per unit spent').fill('10');
  await page.getByLabel('Points for a reward').fill('100');
  await page.getByLabel('Reward (USD off)').fill('5');
  await page.getByRole('button', { name: 'Save program' }).click();
  await page.getByText('Loyalty program saved').waitFor();
  // A reward beside the standing one: fries on the house.
  await page.getByLabel('Reward name').fill('Free fries');
  await page.getByLabel('Points it takes').fill('100');
  await page.getByLabel('Free item').selectOption({ label: 'Fries' });
  await page.getByRole('button', { name: 'Add reward' }).click();
  await page.getByText('Free fries added').waitFor();
  await page.getByRole('table', { name: 'Rewards' }).getByText('Fries free').waitFor();
  const program = await server.api('GET', `${base}/loyalty`, undefined, owner.token);
  const { rewards, ...standing } = program;
  assert.deepEqual(standing, { enabled: true, points_per_unit: 10, reward_points: 100, reward_value: 500 });
  assert.deepEqual(rewards.map((r) => [r.name, r.points, r.kind]), [['Free fries', 100, 'free_item']]);

  // The guest orders at the table, giving their number to collect points.
  const tables = await server.api('GET', `${base}/tables`, undefined, owner.token);
  const url = `${server.base}/t/${tables.items[0].qr_url.split('/t/')[1]}`;
  const guest = await newPage(b, server.base, { width: 390, height: 844 });
  await guest.goto(url);
  const addFries = (times) => addItems(guest, /Fries/, times);
  await addFries(3);
  await guest.getByRole('button', { name: /View order/ }).click();
  await guest.getByText('Collect points, get your receipt (optional)').click();
  await guest.getByLabel('Name').fill('Linus');
  await guest.getByLabel('Phone').fill('555 010 5555');
  await guest.getByRole('button', { name: 'Place order' }).click();
  await guest.waitForURL(/\/orders\/.+#key=/);
  const orderId = guest.url().split('/orders/')[1].split('#')[0];
  for (const status of ['accepted', 'preparing', 'ready', 'completed']) {
    await server.api('POST', `${base}/orders/${orderId}/status`, { status }, owner.token);
  }
  await guest.getByText(/You have 1\d\d points: 100 take \$5\.00 off your next order here/).waitFor();
  await shot(guest, 'guest-points');

  // Back at the menu on the same phone: the reward is offered and priced by the server.
  await guest.goto(url);
  await addFries(3);
  await guest.getByRole('button', { name: /View order/ }).click();
  assert.equal(await guest.getByLabel('Phone').inputValue(), '555 010 5555', 'the device remembers them');
  await guest.getByLabel(/Use 100 points: \$5\.00 off/).waitFor();
  // The total of the whole cart, not of an earlier answer for two fries (which costs
  // what three with one free do).
  await guest.locator('#cart[aria-busy="false"]').waitFor();
  const before = await guest.locator('#total').textContent();
  await guest.getByLabel('Use 100 points: Free fries').check();
  await guest.getByText('Free fries (100)').waitFor();
  // The total is the server's quote of the cart with the reward: it lands just after.
  await guest.waitForFunction((b) => document.querySelector('#total').textContent !== b, before);
  await shot(guest, 'guest-redeem');
  await guest.getByRole('button', { name: 'Place order' }).click();
  await guest.waitForURL((u) => u.href.includes('/orders/') && !u.href.includes(orderId));
  const second = guest.url().split('/orders/')[1].split('#')[0];
  const placed = await server.api('GET', `${base}/orders/${second}`, undefined, owner.token);
  assert.equal(placed.points_redeemed, 100);
  assert.equal(placed.points_reward, 'Free fries');
  assert.equal(placed.points_discount, placed.items[0].unit_price, 'one portion of fries');
  assert.deepEqual(guest.problems, []);
  assert.deepEqual(page.problems, []);
  await guest.close();
  await page.close();
});

test('the owner adds a promotion code; a guest is told why it does not fit their cart, then gets it', { skip }, async () => {
  const base = `/v1/restaurants/${owner.rid}`;
  const page = await newPage(b, server.base);
  await signIn(page, server.base, owner.email, owner.password, '/app/customers');
  const promos = page.locator('#promotions');
  await promos.getByRole('heading', { name: 'Promotions' }).waitFor();
  await promos.getByLabel('Code').fill('save5');
  await promos.getByLabel('Takes').selectOption('amount');
  await promos.getByLabel('How much').fill('5');
  await promos.getByLabel('Minimum order (USD)').fill('20');
  await promos.getByRole('button', { name: 'Add promotion' }).click();
  await promos.getByRole('cell', { name: 'SAVE5' }).first().waitFor();
  assert.deepEqual(await unlabelled(page), []);
  await shot(page, 'promotions');

  // The restaurant's words for the ready text, and how long guests are kept.
  const texts = page.locator('#messages');
  await texts.getByText('Order ready').click();
  await texts.getByRole('form', { name: 'Order ready message' }).getByLabel('Text').fill('{restaurant}: #{number} is up!');
  await texts.getByRole('form', { name: 'Order ready message' }).getByRole('button', { name: 'Save' }).click();
  await page.getByText('Order ready message saved').waitFor();
  await texts.getByLabel('Erase guests with no order for (months)').fill('24');
  await texts.getByRole('form', { name: 'Retention' }).getByRole('button', { name: 'Save' }).click();
  await page.getByText('Retention saved').waitFor();
  assert.equal((await server.api('GET', `${base}/customers/retention`, undefined, owner.token)).months, 24);
  const ready = (await server.api('GET', `${base}/messages/templates`, undefined, owner.token)).items.find((t) => t.kind === 'order_ready');
  assert.equal(ready.sms, '{restaurant}: #{number} is up!');

  const tables = await server.api('GET', `${base}/tables`, undefined, owner.token);
  const guest = await newPage(b, server.base, { width: 390, height: 844 });
  await guest.goto(`${server.base}/t/${tables.items[0].qr_url.split('/t/')[1]}`);
  const addFries = (times) => addItems(guest, /Fries/, times);
  await addFries(3);
  await guest.getByRole('button', { name: /View order/ }).click();
  await guest.getByLabel('Promo code').fill('Save5');
  await guest.getByRole('button', { name: 'Apply' }).click();
  await guest.getByText('this code needs a subtotal of 20.00').waitFor();
  assert.match(await guest.locator('#totals').textContent(), /Subtotal\$13\.50/, 'the cart is still priced without it');
  // Two more fries: the cart is big enough now, and the code comes off before tax.
  await guest.locator('#cart-button').click();
  await addFries(2);
  await guest.getByRole('button', { name: /View order/ }).click();
  await guest.locator('#totals').getByText('SAVE5').waitFor();
  assert.match(await guest.locator('#totals').textContent(), /SAVE5−\$5\.00Subtotal\$17\.50/);
  await shot(guest, 'guest-promo');
  await guest.getByRole('button', { name: 'Place order' }).click();
  await guest.waitForURL(/\/orders\/.+#key=/);
  await guest.locator('#order-totals').getByText('SAVE5').waitFor();
  const id = guest.url().split('/orders/')[1].split('#')[0];
  const placed = await server.api('GET', `${base}/orders/${id}`, undefined, owner.token);
  assert.equal(placed.promo_discount, 500);
  assert.equal(placed.promotions[0].code, 'SAVE5');
  assert.deepEqual(guest.problems, []);
  assert.deepEqual(page.problems, []);
  await guest.close();
  await page.close();
});

// The shared staff device: PIN sign-in for one action on the orders board, then back to
// the PIN pad with the session ended on the server.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { Server, browser, newPage, shot, signIn, seedMenu, skipReason } from './harness.mjs';

const skip = skipReason();
let server, b, owner, menu;

before(async () => {
  if (skip) return;
  server = await Server.start();
  owner = await server.signup();
  menu = await seedMenu(server, owner);
  await server.api('POST', `/v1/restaurants/${owner.rid}/users`, { name: 'Sam Server', role: 'staff', phone: '+15550100001', pin: '1111' }, owner.token);
  b = await browser();
});
after(async () => {
  await b?.close();
  await server?.close();
});

test('a staff member signs in with a PIN, moves an order on, and is signed out after the action', { skip }, async () => {
  const order = await server.api('POST', `/v1/public/tables/${menu.table.qr_url.split('/t/')[1]}/orders`, {
    items: [{ item_id: menu.side.id, quantity: 1 }],
  });
  const device = await newPage(b, server.base, { width: 800, height: 1280 });
  await device.goto(`${server.base}/staff?r=${owner.slug}`);
  await device.getByText('Sign in with your PIN').waitFor();
  await shot(device, 'staff-pin-pad');

  // A wrong PIN is refused on the pad; nobody types a phone number.
  assert.equal(await device.getByLabel('Phone', { exact: true }).count(), 0);
  await device.getByLabel('PIN').focus();
  for (const k of ['9', '9', '9', '9']) await device.getByRole('button', { name: k, exact: true }).click();
  await device.getByRole('button', { name: 'OK' }).click();
  await device.getByText('That PIN is not right.').waitFor();

  await device.getByLabel('PIN').fill('1111');
  const signedIn = device.waitForResponse((r) => r.url().endsWith('/v1/auth/pin-login') && r.ok());
  await device.getByRole('button', { name: 'OK' }).click();
  const { access_token: token } = await (await signedIn).json();
  await device.getByText('Sam Server').waitFor();
  const card = device.locator('.order-card', { hasText: `#${order.number}` });
  await card.waitFor();
  await shot(device, 'staff-orders-board');
  await card.getByRole('button', { name: 'Accept' }).click();
  // After the action the device returns to the PIN pad by itself.
  await device.getByText('Sign in with your PIN').waitFor({ timeout: 3000 });
  assert.equal(await device.locator('#board').isVisible(), false);

  const after = await server.api('GET', `/v1/restaurants/${owner.rid}/orders/${order.id}`, undefined, owner.token);
  assert.equal(after.status, 'accepted');
  // The PIN session was ended on the server, not only forgotten by the page.
  await server.api('GET', '/v1/auth/me', undefined, token, 401);
  assert.deepEqual(device.problems, []);
});

test('the staff page without a restaurant, or with an unknown one, says what to do', { skip }, async () => {
  const device = await newPage(b, server.base);
  let r = await device.goto(`${server.base}/staff`);
  assert.equal(r.status(), 404);
  await device.getByText('/staff?r=').waitFor();
  r = await device.goto(`${server.base}/staff?r=nowhere`);
  assert.equal(r.status(), 404);
  await device.getByRole('heading', { name: 'Unknown restaurant' }).waitFor();
});

test('staff clock in and out on the shared device; the manager sees live labour, corrects and approves time', { skip }, async () => {
  const people = await server.api('GET', `/v1/restaurants/${owner.rid}/users`, undefined, owner.token);
  const sam = people.items.find((p) => p.name === 'Sam Server');
  await server.api('PUT', `/v1/restaurants/${owner.rid}/users/${sam.id}/positions`, { positions: [{ position: 'server', hourly_rate: 1800 }] }, owner.token);
  const device = await newPage(b, server.base, { width: 800, height: 1280 });
  await device.goto(`${server.base}/staff?r=${owner.slug}`);
  const pin = async () => {
    await device.getByLabel('PIN').fill('1111');
    await device.getByRole('button', { name: 'OK' }).click();
  };
  // A shift planned for Sam tomorrow shows on the device after the PIN.
  const tomorrow = new Date(Date.now() + 24 * 3600_000);
  tomorrow.setUTCHours(16, 0, 0, 0);
  const week = await server.api('POST', `/v1/restaurants/${owner.rid}/shifts`, {
    user_id: sam.id, position: 'server', starts_at: tomorrow.toISOString(), ends_at: new Date(tomorrow.getTime() + 6 * 3600_000).toISOString(),
  }, owner.token);
  await pin();
  await device.getByRole('heading', { name: 'Your next shifts' }).waitFor();
  await device.locator('#my-shifts li', { hasText: 'server' }).waitFor();
  const shift = week.shifts.find((x) => x.user_id === sam.id && x.starts_at === tomorrow.toISOString().replace('.000Z', 'Z'));
  await server.api('DELETE', `/v1/restaurants/${owner.rid}/shifts/${shift.id}`, undefined, owner.token, 204);
  await device.getByText('You are not clocked in.').waitFor();
  await shot(device, 'staff-time-clock');
  await device.getByRole('button', { name: 'Clock in' }).click();
  await device.getByText('Sign in with your PIN').waitFor({ timeout: 3000 });
  await pin();
  await device.getByText(/Clocked in since .* as server/).waitFor();
  await device.getByRole('button', { name: 'Start break' }).click();
  await device.getByText('Sign in with your PIN').waitFor({ timeout: 3000 });

  const manager = await newPage(b, server.base);
  await signIn(manager, server.base, owner.email, owner.password, '/app/labour');
  await manager.getByRole('cell', { name: 'Sam Server' }).first().waitFor();
  await manager.getByText('on break').waitFor();
  await shot(manager, 'app-labour');

  await pin();
  await device.getByRole('button', { name: 'End break' }).click();
  await device.getByText('Sign in with your PIN').waitFor({ timeout: 3000 });
  await pin();
  await device.getByRole('button', { name: 'Clock out' }).click();
  await device.getByText('Sign in with your PIN').waitFor({ timeout: 3000 });

  // The manager corrects the entry (a reason is required) and approves it.
  await manager.reload();
  const row = manager.locator('tbody tr', { hasText: 'Sam Server' }).last();
  await row.getByRole('button', { name: 'Edit' }).click();
  await manager.getByRole('button', { name: 'Save', exact: true }).click();
  await manager.locator('[name=reason] + .field-error').waitFor();
  await manager.getByLabel('Reason for the change').fill('started earlier');
  const cin = manager.getByLabel('Clock in');
  const earlier = new Date(Date.now() - 3 * 3600e3);
  await cin.fill(new Date(earlier.getTime() - earlier.getTimezoneOffset() * 60000).toISOString().slice(0, 16));
  await manager.getByRole('button', { name: 'Save', exact: true }).click();
  await manager.getByText('edited').waitFor();
  await manager.getByRole('button', { name: 'Approve' }).click();
  await manager.getByText('approved', { exact: true }).waitFor();
  await manager.getByRole('button', { name: 'Show' }).click();
  await manager.getByRole('cell', { name: 'Sam Server' }).last().waitFor();
  const entries = await server.api('GET', `/v1/restaurants/${owner.rid}/time-entries`, undefined, owner.token);
  const e = entries.items.find((x) => x.name === 'Sam Server');
  assert.ok(e.original && e.approved_at && e.worked_minutes >= 170, JSON.stringify(e));
  assert.deepEqual([...device.problems, ...manager.problems], []);
});

test('the manager plans a week on the schedule grid, sees a double-booking, and copies the week forward', { skip }, async () => {
  const page = await newPage(b, server.base);
  await signIn(page, server.base, owner.email, owner.password, '/app/schedule');
  await page.getByRole('button', { name: 'Add shift' }).waitFor();
  await page.getByLabel('Who').selectOption({ label: 'Sam Server' });
  await page.getByLabel('Day').selectOption({ index: 1 });
  await page.getByLabel('From').fill('09:00');
  await page.getByLabel('Until').fill('17:00');
  await page.getByLabel('Position').fill('server');
  await page.getByRole('button', { name: 'Add shift' }).click();
  await page.locator('.shift').first().waitFor();
  await page.getByLabel('From').fill('16:00');
  await page.getByLabel('Until').fill('22:00');
  await page.getByRole('button', { name: 'Add shift' }).click();
  await page.locator('.shift.conflict').first().waitFor();
  await page.getByText(/2 shift\(s\) with a conflict/).waitFor();
  await page.getByText(/14 hours planned · about \$252\.00/).waitFor();
  await shot(page, 'app-schedule');
  // A position Sam does not have is refused beside its field.
  await page.getByLabel('Position').fill('chef');
  await page.getByRole('button', { name: 'Add shift' }).click();
  await page.locator('[name=position] + .field-error').waitFor();

  await page.getByRole('button', { name: 'Next week →' }).click();
  await page.getByText(/^0 hours planned/).waitFor();
  await page.getByRole('button', { name: 'Copy last week here' }).click();
  await page.getByText(/14 hours planned/).waitFor();
  assert.equal(await page.locator('.shift').count(), 2);
  await page.getByRole('button', { name: /Remove Sam Server's shift/ }).first().click();
  await page.getByText(/8 hours planned|6 hours planned/).waitFor();
  assert.deepEqual(page.problems, []);
});

test("the opening checklist: a manager sets it up, a cook ticks it off on the shared device, the dashboard shows it done", { skip }, async () => {
  await server.api('POST', `/v1/restaurants/${owner.rid}/users`, { name: 'Kim Cook', role: 'kitchen', phone: '+15550100011', pin: '4444' }, owner.token);
  const manager = await newPage(b, server.base);
  await signIn(manager, server.base, owner.email, owner.password, '/app/tasks');
  await manager.getByLabel('Task').fill('Open the kitchen');
  await manager.getByLabel('Checklist').selectOption('opening');
  await manager.getByLabel('Due at').fill('23:59');
  await manager.getByLabel('For').selectOption('kitchen');
  await manager.getByLabel('Steps').fill('Fryers on\nFridge temperatures');
  await manager.getByLabel('How often').selectOption('weekly');
  await manager.getByRole('button', { name: 'Add recurring task' }).click();
  await manager.locator('[name=days] + .field-error').waitFor();
  await manager.getByLabel('How often').selectOption('daily');
  await manager.getByRole('button', { name: 'Add recurring task' }).click();
  await manager.getByRole('article', { name: 'Open the kitchen' }).waitFor();
  await shot(manager, 'app-tasks');

  const device = await newPage(b, server.base, { width: 800, height: 1280 });
  await device.goto(`${server.base}/staff?r=${owner.slug}`);
  await device.getByLabel('PIN').fill('4444');
  await device.getByRole('button', { name: 'OK' }).click();
  const task = device.getByRole('article', { name: 'Open the kitchen' });
  await task.waitFor();
  await task.getByRole('button', { name: 'Complete' }).click();
  await device.getByText('1 step(s) are not ticked yet').or(device.getByText('2 step(s) are not ticked yet')).waitFor();
  await task.getByLabel('Fryers on').check();
  await device.getByRole('article', { name: 'Open the kitchen' }).getByLabel('Fridge temperatures').check();
  await shot(device, 'staff-tasks');
  await device.getByRole('article', { name: 'Open the kitchen' }).getByRole('button', { name: 'Complete' }).click();
  await device.getByRole('article', { name: 'Open the kitchen' }).waitFor({ state: 'detached' });

  await manager.getByRole('article', { name: 'Open the kitchen' }).getByText('done', { exact: true }).waitFor({ timeout: 2000 });
  assert.deepEqual([...device.problems, ...manager.problems], []);
});

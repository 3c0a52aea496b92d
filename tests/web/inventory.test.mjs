// Back of house in the browser: stock items, a recipe that takes the burger off the guest
// menu until stock arrives, a delivery that brings it back, and the tablet count sheet.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { Server, browser, newPage, shot, signIn, seedMenu, skipReason, unlabelled } from './harness.mjs';

const skip = skipReason();
let server, b, owner, menu;

before(async () => {
  if (skip) return;
  server = await Server.start();
  owner = await server.signup();
  menu = await seedMenu(server, owner);
  b = await browser();
});
after(async () => {
  await b?.close();
  await server?.close();
});

test('a recipe that stock cannot make 86es the item on open guest menus; a delivery brings it back; the count sheet sets stock', { skip }, async () => {
  const page = await newPage(b, server.base);
  await signIn(page, server.base, owner.email, owner.password, '/app/inventory');
  await page.getByLabel('Name').fill('Beef patty');
  await page.getByLabel('Counted in').selectOption('each');
  await page.getByLabel('Reorder at').fill('4');
  await page.getByLabel('Par level').fill('48');
  await page.getByLabel('Bought by the').fill('case');
  await page.getByLabel('…which holds').fill('24');
  await page.getByRole('button', { name: 'Add stock item' }).click();
  await page.getByRole('cell', { name: /Beef patty/ }).waitFor();
  await page.getByText('2 × case').waitFor();
  assert.deepEqual(await unlabelled(page), []);

  const guest = await newPage(b, server.base, { width: 375, height: 740 });
  await guest.goto(menu.table.qr_url);
  await guest.getByRole('button', { name: /Burger/ }).waitFor();
  await guest.waitForTimeout(300);

  // The recipe: one patty a burger. No patties yet, so the burger goes off the menu.
  await page.goto(`${server.base}/app/menu`);
  await page.locator('li', { hasText: 'Burger' }).getByRole('button', { name: 'Recipe' }).click();
  const dialog = page.getByRole('dialog');
  await dialog.getByRole('button', { name: '+ Ingredient' }).click();
  await dialog.getByLabel('Ingredient').selectOption({ label: 'Beef patty' });
  await dialog.getByLabel('Quantity per portion').fill('1');
  await dialog.getByRole('button', { name: 'Save recipe' }).click();
  await dialog.getByText(/Stock cannot make one now/).waitFor();
  await shot(page, 'app-recipe-editor');
  await guest.getByRole('button', { name: /Burger/ }).waitFor({ state: 'detached', timeout: 1000 });
  await dialog.getByRole('button', { name: 'Close' }).click();

  // A delivery of one case brings it back, live.
  await page.goto(`${server.base}/app/inventory`);
  await page.getByRole('row', { name: /Beef patty/ }).getByRole('button', { name: 'Receive' }).click();
  await page.getByLabel('Quantity').fill('1');
  await page.getByLabel('Unit').selectOption('case');
  await page.getByLabel('Total cost').fill('36.00');
  await page.getByRole('button', { name: 'Record delivery' }).click();
  await page.getByRole('cell', { name: '24 each' }).waitFor();
  await guest.getByRole('button', { name: /Burger/ }).waitFor({ timeout: 1000 });
  await shot(page, 'app-inventory');

  // Waste needs a reason.
  await page.getByRole('row', { name: /Beef patty/ }).getByRole('button', { name: 'Waste' }).click();
  await page.getByLabel('Quantity').fill('2');
  await page.getByRole('button', { name: 'Record waste' }).click();
  await page.locator('[name=reason] + .field-error').waitFor();
  await page.getByLabel('Reason').fill('dropped');
  await page.getByRole('button', { name: 'Record waste' }).click();
  await page.getByRole('cell', { name: '22 each' }).waitFor();

  // The count sheet on a tablet.
  const tablet = await newPage(b, server.base, { width: 800, height: 1280 });
  await signIn(tablet, server.base, owner.email, owner.password, '/app/count');
  await tablet.getByLabel('Beef patty counted, in each').fill('3');
  await tablet.getByRole('button', { name: 'Save count' }).click();
  await tablet.waitForURL(/\/app\/inventory/);
  await tablet.getByRole('cell', { name: '3 each' }).waitFor();
  await tablet.getByText('low').first().waitFor();
  await shot(tablet, 'app-inventory-after-count');

  const items = await server.api('GET', `/v1/restaurants/${owner.rid}/inventory/items`, undefined, owner.token);
  assert.equal(items.items[0].on_hand, 3);
  assert.equal(items.items[0].unit_cost, 150, '36.00 for 24: 1.50 each');
  assert.deepEqual([...page.problems, ...guest.problems, ...tablet.problems], []);
});

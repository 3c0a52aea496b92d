// A new server, as a newcomer finds it: no accounts yet, so the sign-in page offers to
// create the restaurant; the form's errors sit next to their fields.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { Server, browser, newPage, shot, skipReason } from './harness.mjs';

const skip = skipReason();
let server, b;

before(async () => {
  if (skip) return;
  server = await Server.start();
  b = await browser();
});
after(async () => {
  await b?.close();
  await server?.close();
});

test('the first owner creates their restaurant from the browser, and sign-up closes behind them', { skip }, async () => {
  const page = await newPage(b, server.base);
  await page.goto(`${server.base}/`);
  await page.waitForURL(/\/login/);
  await page.getByRole('link', { name: 'Create your restaurant' }).click();
  await page.getByLabel('Your name').fill('Ana');
  await page.getByLabel('Email').fill('ana@example.com');
  await page.getByLabel('Password').fill('short');
  await page.getByLabel('Name', { exact: true }).fill("Ana's Diner");
  assert.ok((await page.getByLabel('Time zone').inputValue()).length > 0, 'the time zone is guessed from the browser');
  await page.getByLabel('Time zone').fill('Mars/Olympus');
  await page.getByRole('button', { name: 'Create restaurant' }).click();
  await page.locator('[name=password] + .field-error').waitFor();
  await page.getByLabel('Password').fill('correct horse battery');
  await page.getByRole('button', { name: 'Create restaurant' }).click();
  await page.locator('[name="restaurant.timezone"] + .field-error').waitFor();
  await shot(page, 'signup-errors');
  await page.getByLabel('Time zone').fill('Europe/Lisbon');
  await page.getByRole('button', { name: 'Create restaurant' }).click();
  await page.waitForURL(/\/app$/);
  await page.getByText("Ana's Diner").waitFor();

  const other = await newPage(b, server.base);
  await other.goto(`${server.base}/signup`);
  await other.waitForURL(/\/login$/);
  assert.equal(await other.getByRole('link', { name: 'Create your restaurant' }).count(), 0);
  assert.deepEqual([...page.problems, ...other.problems], []);
});

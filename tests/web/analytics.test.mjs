// The analytics screen on the demo restaurant's history: the headline numbers beside the
// period before, the charts drawn as SVG on the page, the menu-engineering scatter with
// its four quadrants, labour and prime cost, ticket times, the platforms, a period picked by preset or by dates, the report downloads, and a
// phone's width without sideways scrolling.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { Server, browser, newPage, shot, signIn, skipReason, unlabelled, overflowsSideways } from './harness.mjs';

const skip = skipReason();
const OWNER = { email: 'owner@brigade.demo', password: 'brigade-demo' };
let server, b, smtp;

/** A mail relay that takes whatever it is given (RFC 5321's commands, no TLS). */
async function smtpSink() {
  const net = await import('node:net');
  const mails = [];
  const srv = net.createServer((socket) => {
    let data = null;
    socket.write('220 sink ESMTP\r\n');
    socket.on('data', (chunk) => {
      for (const line of chunk.toString().split('\r\n').filter((l, i, all) => i < all.length - 1 || l)) {
        if (data !== null) {
          if (line === '.') { mails.push(data); data = null; socket.write('250 queued\r\n'); } else data += `${line}\n`;
        } else if (/^EHLO/i.test(line)) socket.write('250-sink\r\n250 8BITMIME\r\n');
        else if (/^DATA/i.test(line)) { data = ''; socket.write('354 go ahead\r\n'); } else if (/^QUIT/i.test(line)) socket.end('221 bye\r\n');
        else socket.write('250 OK\r\n');
      }
    });
  });
  await new Promise((r) => srv.listen(0, '127.0.0.1', r));
  return { url: `smtp://127.0.0.1:${srv.address().port}`, mails, close: () => srv.close() };
}

before(async () => {
  if (skip) return;
  smtp = await smtpSink();
  server = await Server.start(['--demo', '--days', '40', '--smtp-url', smtp.url]);
  b = await browser();
});

after(async () => {
  await b?.close();
  await server?.close();
  smtp?.close();
});

test('a manager reads a period against the one before, in charts, and downloads its report', { skip }, async () => {
  const page = await newPage(b, server.base);
  await signIn(page, server.base, OWNER.email, OWNER.password, '/app/analytics');
  const stats = page.locator('.stats');
  const net = stats.locator('.stat', { hasText: 'Net sales' });
  await net.locator('.value').getByText(/\$\d/).waitFor();
  // 30 days of a busy demo: sales, a change against the 30 days before, and charts.
  await net.getByText(/vs before/).waitFor();
  await page.getByRole('img', { name: /Net sales by day/ }).waitFor();
  assert.equal(await page.getByRole('img', { name: /Net sales by day/ }).locator('rect.bar').count(), 30);
  assert.equal(await page.getByRole('img', { name: 'Net sales by hour of the day' }).locator('rect.bar').count(), 24);
  await page.getByRole('img', { name: 'Net sales by channel' }).getByText('walk in').waitFor();
  const scatter = page.getByRole('img', { name: /Menu engineering/ });
  assert.ok(await scatter.locator('circle.dot').count() > 10);
  for (const q of ['Stars', 'Plowhorses', 'Puzzles', 'Dogs']) await scatter.getByText(q, { exact: true }).waitFor();
  await page.locator('.class-list.star h3').getByText(/Stars \(\d+\)/).waitFor();
  await page.getByRole('cell', { name: 'lunch' }).first().waitFor();
  // Labour beside the sales: a labour %, a prime cost %, the hours against the schedule,
  // each member's share; the kitchen's ticket times per station with late tickets; the
  // platforms' own totals and the cancelled orders.
  const labour = page.locator('#labour-stats');
  await labour.locator('.stat', { hasText: 'Labour %' }).locator('.value').getByText(/^\d+(\.\d)?%$/).waitFor();
  await labour.locator('.stat', { hasText: 'Prime cost %' }).locator('.value').getByText(/%$/).waitFor();
  await labour.locator('.stat', { hasText: 'Hours scheduled' }).locator('.value').getByText(/^[\d.]+ h$/).waitFor();
  await page.getByRole('img', { name: 'Labour % of net sales by day' }).waitFor();
  await page.locator('#labour').getByRole('cell', { name: 'Kim Cook' }).waitFor();
  await page.locator('#kitchen-stations').getByRole('cell', { name: 'Grill' }).waitFor();
  await page.locator('#kitchen-stats .stat', { hasText: '9 in 10 within' }).locator('.value').getByText(/^\d+:\d\d$/).waitFor();
  assert.equal(await page.getByRole('img', { name: /Nine in ten tickets/ }).locator('rect.bar').count(), 24);
  const uber = page.locator('#channel-rows tr', { hasText: 'ubereats' });
  await uber.waitFor();
  assert.match(await uber.locator('td').nth(4).textContent(), /\$\d/);
  // The daily report by email: a time chosen, said back with the next sending; stopped.
  const mail = page.locator('#daily-email');
  await mail.getByRole('button', { name: 'Email me daily' }).waitFor();
  await page.getByLabel('Send at').fill('06:45');
  await mail.getByRole('button', { name: 'Email me daily' }).click();
  await mail.getByText(/Sent to owner@brigade\.demo every day at 06:45: the next, .+, reports \d{4}-\d{2}-\d{2}\./).waitFor();
  assert.deepEqual(await unlabelled(page), []);
  await shot(page, 'analytics');
  await mail.getByRole('button', { name: 'Stop' }).click();
  await mail.getByRole('button', { name: 'Email me daily' }).waitFor();

  // The last 7 days: the day chart has seven bars and the note names the period before.
  const before30 = await net.locator('.value').textContent();
  await page.getByLabel('Period', { exact: true }).selectOption('7');
  await page.waitForFunction(() => document.querySelectorAll('svg.chart rect.bar').length > 0
    && document.querySelector('[aria-label^="Net sales by day"]')?.querySelectorAll('rect.bar').length === 7);
  assert.notEqual(await net.locator('.value').textContent(), before30);
  // Dates typed by hand make it custom; the report links follow.
  await page.getByLabel('From').fill('2026-01-01');
  await page.getByLabel('From').dispatchEvent('change');
  assert.equal(await page.getByLabel('Period', { exact: true }).inputValue(), 'custom');
  // The reports of the period shown download as files.
  const [pdf] = await Promise.all([page.waitForEvent('download'), page.getByRole('button', { name: 'Report (PDF)' }).click()]);
  assert.match(pdf.suggestedFilename(), /^report-2026-01-01-to-\d{4}-\d{2}-\d{2}\.pdf$/);
  await page.getByLabel('Period', { exact: true }).selectOption('30');
  const [csv] = await Promise.all([page.waitForEvent('download'), page.getByRole('button', { name: 'Report (CSV)' }).click()]);
  assert.match(csv.suggestedFilename(), /^report-\d{4}-\d{2}-\d{2}-to-\d{4}-\d{2}-\d{2}\.csv$/);
  const { readFile } = await import('node:fs/promises');
  assert.match(await readFile(await csv.path(), 'utf8'), /^section,key,label,orders,gross/);
  assert.deepEqual(page.problems, []);

  // On a phone: nothing scrolls sideways.
  const phone = await newPage(b, server.base, { width: 390, height: 844 });
  await signIn(phone, server.base, OWNER.email, OWNER.password, '/app/analytics');
  await phone.getByRole('img', { name: /Menu engineering/ }).waitFor();
  assert.equal(await overflowsSideways(phone), false);
  await shot(phone, 'analytics-phone');
  assert.deepEqual(phone.problems, []);
});

// The live calls panel: a call to the restaurant's Twilio number, driven the way Twilio
// drives it (signed webhooks, following each <Gather>'s action), shows on the Today page
// as it happens, with what the agent has understood so far; once placed it leaves the
// live list for the recent calls, whose transcript opens with a click.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import { createHmac } from 'node:crypto';
import { Server, browser, newPage, shot, signIn, seedMenu, skipReason, unlabelled } from './harness.mjs';

const skip = skipReason();
const SID = 'AC' + 'a'.repeat(32);
const TOKEN = 'twilio-web-token';
const LINE = '+15550100200';
let server, b, owner, twilio, hook;

/** Twilio's REST API as Brigade uses it: the account (a connection test) and Messages. */
async function fakeTwilio() {
  const texts = [];
  const s = createServer((req, res) => {
    let body = '';
    req.on('data', (c) => (body += c));
    req.on('end', () => {
      const send = (status, json) => {
        res.writeHead(status, { 'content-type': 'application/json' });
        res.end(JSON.stringify(json));
      };
      const basic = `Basic ${Buffer.from(`${SID}:${TOKEN}`).toString('base64')}`;
      if (req.headers.authorization !== basic) return send(401, { code: 20003, message: 'Authenticate', status: 401 });
      if (req.method === 'GET' && req.url === `/2010-04-01/Accounts/${SID}.json`) return send(200, { sid: SID, friendly_name: 'Test Kitchen', status: 'active' });
      if (req.method === 'POST' && req.url === `/2010-04-01/Accounts/${SID}/Messages.json`) {
        const form = Object.fromEntries(new URLSearchParams(body));
        texts.push(form);
        return send(201, { sid: `SM${String(texts.length).padStart(32, '0')}`, status: 'queued', to: form.To, from: form.From, body: form.Body });
      }
      return send(404, { code: 20404, message: 'The requested resource was not found', status: 404 });
    });
  });
  await new Promise((r) => s.listen(0, '127.0.0.1', r));
  return { url: `http://127.0.0.1:${s.address().port}`, texts, close: () => s.close() };
}

/** One signed webhook, as Twilio posts it: the signature is Base64 HMAC-SHA1 of the URL
 * followed by each parameter's name and value, sorted by name. Returns the TwiML. */
async function post(url, params) {
  const signed = url + Object.keys(params).sort().map((k) => k + params[k]).join('');
  const signature = createHmac('sha1', TOKEN).update(signed).digest('base64');
  const r = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded', 'x-twilio-signature': signature },
    body: new URLSearchParams(params).toString(),
  });
  assert.equal(r.status, 200);
  return r.text();
}

/** A caller on the line: each `say` answers the last <Gather> the way Twilio does. */
class Caller {
  constructor(from) {
    this.sid = `CA${Math.random().toString(16).slice(2).padEnd(32, '0').slice(0, 32)}`;
    this.params = { AccountSid: SID, CallSid: this.sid, From: from, To: LINE, Direction: 'inbound', ApiVersion: '2010-04-01' };
  }

  async dial() {
    return this.follow(await post(hook, { ...this.params, CallStatus: 'ringing' }));
  }

  async say(words) {
    assert.ok(this.action, `nothing is listening: ${this.twiml}`);
    return this.follow(await post(this.action, { ...this.params, CallStatus: 'in-progress', SpeechResult: words, Confidence: '0.93' }));
  }

  follow(twiml) {
    this.twiml = twiml;
    const action = twiml.match(/<Gather[^>]*\saction="([^"]+)"/);
    this.action = action ? action[1].replaceAll('&amp;', '&') : null;
    return twiml;
  }
}

before(async () => {
  if (skip) return;
  twilio = await fakeTwilio();
  server = await Server.start(['--twilio-base-url', twilio.url]);
  owner = await server.signup();
  await seedMenu(server, owner);
  b = await browser();
});

after(async () => {
  await b?.close();
  await server?.close();
  twilio?.close();
});

test('a phone line is connected on the Integrations page; its call shows live on Today, then its transcript', { skip }, async () => {
  const page = await newPage(b, server.base);
  await signIn(page, server.base, owner.email, owner.password, `/app/integrations?r=${owner.rid}`);
  const connect = page.getByRole('form', { name: 'Connect a platform' });
  await connect.getByLabel('Platform').selectOption('twilio');
  await connect.getByLabel('Your Twilio number').fill(LINE);
  await connect.getByLabel('Account SID').fill(SID);
  await connect.getByLabel('Auth token').fill(TOKEN);
  await connect.getByLabel('Hand calls to').fill('+1 555 010 0299');
  await connect.getByLabel('Take delivery orders by phone').check();
  await connect.getByLabel('Delivery areas').fill('10001, Chelsea');
  await connect.getByRole('button', { name: 'Connect' }).click();
  const line = page.getByRole('article', { name: /Twilio/ });
  await line.getByText('pickup or delivery to 10001, Chelsea').waitFor();
  await line.getByText('+15550100299').waitFor();
  hook = await line.locator('dt:has-text("Voice webhook") + dd code').textContent();
  assert.match(hook, /\/v1\/hooks\/twilio\//);
  await line.locator('dt:has-text("Status callback") + dd code').getByText(`/v1/restaurants/${owner.rid}/phone/status`).waitFor();
  // Its settings change in place: a bad number is refused beside its field.
  await line.getByText('Phone settings', { exact: true }).click();
  const settings = line.getByRole('form', { name: /Phone settings/ });
  await settings.getByLabel('Hand calls to').fill('555');
  await settings.getByRole('button', { name: 'Save phone settings' }).click();
  await settings.getByRole('alert').getByText('international form').waitFor();
  // A good one saves; emptied areas are gone (delivery anywhere).
  await settings.getByLabel('Hand calls to').fill('+1 555 010 0288');
  await settings.getByLabel('Delivery areas').fill('');
  await settings.getByRole('button', { name: 'Save phone settings' }).click();
  await line.getByText('+15550100288').waitFor();
  await line.getByText('pickup or delivery', { exact: true }).waitFor();
  assert.deepEqual(await unlabelled(page), []);
  await shot(page, 'phone-line');

  await page.goto(`${server.base}/app?r=${owner.rid}`);
  const card = page.locator('#calls');
  await card.getByText('No calls right now').waitFor();
  await card.getByText('No calls yet').waitFor();

  const call = new Caller('+15550104242');
  const hello = await call.dial();
  assert.match(hello, /Thanks for calling Test Kitchen/);
  const live = card.getByRole('list', { name: 'Calls in progress' }).locator('li.call-live');
  await live.waitFor();
  // The panel shows the caller's number masked, whoever looks.
  await assert.doesNotReject(live.getByText('•••• 4242').waitFor());
  await live.getByText('Nothing ordered yet.').waitFor();

  const asked = await call.say('two burgers and a fries');
  assert.match(asked, /Which doneness for the Burger/);
  await live.getByText('2 Burgers').waitFor();
  await live.getByText('Asking a choice').waitFor();
  await call.say('medium');
  await live.getByRole('list', { name: 'Understood so far' }).getByText('2 Burgers with Medium').waitFor();
  await live.getByText('1 Fries').waitFor();
  assert.deepEqual(await unlabelled(page), []);
  await shot(page, 'phone-live-call');

  const readBack = await call.say("that's all");
  assert.match(readBack, /That is 2 Burgers with Medium and 1 Fries, for pickup\. Your total is \$31\.86 with tax/);
  await live.getByText('Reading the order back').waitFor();
  const placed = await call.say('yes');
  assert.match(placed, /Your order number is \d+/);
  assert.match(placed, /<Hangup\/>/);

  // Placed: off the live list, on the recent calls with its outcome; the guest got a text.
  await card.getByText('No calls right now').waitFor();
  const recent = card.getByRole('table', { name: 'Recent calls' });
  await recent.getByText('Ordered').waitFor();
  await recent.getByRole('button', { name: 'Transcript' }).click();
  await recent.getByText('two burgers and a fries').waitFor();
  await recent.getByText(/That is 2 Burgers with Medium/).waitFor();
  // The text goes out from the job queue, just after.
  for (const deadline = Date.now() + 10_000; !twilio.texts.length && Date.now() < deadline;) await new Promise((r) => setTimeout(r, 50));
  assert.equal(twilio.texts.length, 1, 'the order news went out once');
  assert.equal(twilio.texts[0].To, '+15550104242');
  await shot(page, 'phone-recent-call');
  assert.deepEqual(page.problems, []);
});

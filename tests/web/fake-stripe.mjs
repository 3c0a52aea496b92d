// Stripe Terminal as the counter uses it, for browser tests: readers, card_present
// PaymentIntents, process_payment_intent and cancel_action, with Stripe's bearer keys,
// form bodies, Idempotency-Key replays and error shape; and its webhooks, signed
// `t=…,v1=…` (HMAC-SHA256 of "{t}.{body}"), sent when a card is presented.
import http from 'node:http';
import crypto from 'node:crypto';

export class FakeStripe {
  constructor() {
    this.secretKey = 'sk_test_web';
    this.webhookSecret = 'whsec_web';
    this.readers = [];
    this.intents = new Map();
    this.answered = new Map();
  }

  static async start() {
    const f = new FakeStripe();
    f.server = http.createServer((req, res) => f.handle(req, res));
    await new Promise((r) => f.server.listen(0, '127.0.0.1', r));
    f.base = `http://127.0.0.1:${f.server.address().port}`;
    return f;
  }

  close() {
    this.server?.close();
  }

  credentials() {
    return { secret_key: this.secretKey, webhook_secret: this.webhookSecret };
  }

  addReader(id, label, status = 'online') {
    this.readers.push({ id, object: 'terminal.reader', label, status, device_type: 'bbpos_wisepos_e', action: null });
  }

  async handle(req, res) {
    let body = '';
    for await (const chunk of req) body += chunk;
    const send = (status, value) => {
      res.writeHead(status, { 'Content-Type': 'application/json' });
      res.end(JSON.stringify(value));
    };
    const error = (status, message, code) => send(status, { error: { type: 'invalid_request_error', code, message } });
    if (req.headers.authorization !== `Bearer ${this.secretKey}`) return error(401, 'Invalid API Key provided');
    const form = Object.fromEntries(new URLSearchParams(body));
    const key = req.headers['idempotency-key'];
    if (key && this.answered.has(key)) return send(200, this.answered.get(key));
    const answer = (value) => {
      if (key) this.answered.set(key, value);
      send(200, value);
    };
    const path = new URL(req.url, this.base).pathname;
    let m;
    if (req.method === 'GET' && path === '/v1/terminal/readers') return send(200, { object: 'list', data: this.readers, has_more: false });
    if (req.method === 'GET' && path === '/v1/balance') return send(200, { object: 'balance', livemode: false });
    if (req.method === 'POST' && path === '/v1/payment_intents') {
      if (form['payment_method_types[]'] !== 'card_present') return error(400, 'A Terminal payment needs card_present.');
      const id = `pi_web_${this.intents.size + 1}`;
      const intent = { id, object: 'payment_intent', amount: Number(form.amount), currency: form.currency, status: 'requires_payment_method' };
      this.intents.set(id, intent);
      return answer(intent);
    }
    if (req.method === 'POST' && (m = path.match(/^\/v1\/payment_intents\/([^/]+)\/cancel$/))) {
      const intent = this.intents.get(m[1]);
      if (!intent) return error(404, `No such payment_intent: '${m[1]}'`);
      if (intent.status === 'succeeded') return error(400, 'You cannot cancel this PaymentIntent because it has a status of succeeded.');
      intent.status = 'canceled';
      return answer(intent);
    }
    if (req.method === 'POST' && (m = path.match(/^\/v1\/terminal\/readers\/([^/]+)\/(process_payment_intent|cancel_action)$/))) {
      const reader = this.readers.find((r) => r.id === m[1]);
      if (!reader) return error(404, `No such terminal.reader: '${m[1]}'`);
      if (m[2] === 'cancel_action') {
        reader.action = null;
        return answer(reader);
      }
      if (reader.status === 'offline') return error(400, 'Reader is currently offline, please ensure the reader is powered on and connected to the internet before retrying your request.', 'terminal_reader_offline');
      reader.action = { type: 'process_payment_intent', status: 'in_progress', process_payment_intent: { payment_intent: form.payment_intent } };
      return answer(reader);
    }
    return error(404, `Unrecognized request URL (${req.method}: ${path})`);
  }

  /** Waits until the reader is asking for a card. */
  async asking(readerId) {
    for (let i = 0; i < 200; i++) {
      const r = this.readers.find((x) => x.id === readerId);
      if (r?.action?.status === 'in_progress') return r.action.process_payment_intent.payment_intent;
      await new Promise((ok) => setTimeout(ok, 25));
    }
    throw new Error(`reader ${readerId} was never asked`);
  }

  /** A card tapped on the reader: Stripe's webhook goes to `hookUrl`, signed. */
  async present(readerId, hookUrl) {
    const pi = await this.asking(readerId);
    const intent = this.intents.get(pi);
    intent.status = 'succeeded';
    this.readers.find((x) => x.id === readerId).action.status = 'succeeded';
    const t = Math.floor(Date.now() / 1000);
    const body = JSON.stringify({ id: `evt_${crypto.randomUUID()}`, object: 'event', type: 'payment_intent.succeeded', created: t, data: { object: intent } });
    const v1 = crypto.createHmac('sha256', this.webhookSecret).update(`${t}.${body}`).digest('hex');
    const r = await fetch(hookUrl, { method: 'POST', headers: { 'Content-Type': 'application/json', 'Stripe-Signature': `t=${t},v1=${v1}` }, body });
    if (!r.ok) throw new Error(`the webhook was refused: ${r.status} ${await r.text()}`);
    return intent;
  }
}

// Brigade's shared browser code: the API client, the live feed, and small DOM helpers.
// Every screen's module imports from here. No framework: text always goes in through
// textContent (never innerHTML), so names like <script> show as text.

/** Builds an element. attrs: plain attributes, plus `on*` handlers and `class`. */
export function h(tag, attrs, ...children) {
  const el = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs || {})) {
    if (v === false || v === null || v === undefined) continue;
    if (k.startsWith('on') && typeof v === 'function') el.addEventListener(k.slice(2), v);
    else if (k === 'dataset') Object.assign(el.dataset, v);
    else if (k === 'value' || k === 'checked' || k === 'selected' || k === 'disabled' || k === 'hidden') el[k] = v;
    else el.setAttribute(k, v === true ? '' : String(v));
  }
  append(el, children);
  return el;
}

function append(el, children) {
  for (const c of children.flat(Infinity)) {
    if (c === null || c === undefined || c === false) continue;
    el.append(c instanceof Node ? c : document.createTextNode(String(c)));
  }
}

export const $ = (sel, root = document) => root.querySelector(sel);
export const $$ = (sel, root = document) => Array.from(root.querySelectorAll(sel));

/** Replaces an element's children. */
export function fill(el, ...children) {
  el.replaceChildren();
  append(el, children);
  return el;
}

export function debounce(fn, ms) {
  let t = null;
  return (...args) => {
    clearTimeout(t);
    t = setTimeout(() => fn(...args), ms);
  };
}

const formats = new Map();
/** Minor units (cents) as money in the restaurant's currency. */
export function money(minor, currency) {
  if (!formats.has(currency)) {
    const f = new Intl.NumberFormat(undefined, { style: 'currency', currency });
    formats.set(currency, [f, f.resolvedOptions().maximumFractionDigits]);
  }
  const [f, digits] = formats.get(currency);
  return f.format(minor / 10 ** digits);
}

/** "12.50" in the currency's major units, back to minor units; NaN if not a number. */
export function toMinor(text, currency) {
  money(0, currency);
  const digits = formats.get(currency)[1];
  const n = Number(String(text).trim());
  return String(text).trim() === '' || !Number.isFinite(n) ? NaN : Math.round(n * 10 ** digits);
}

export function toMajor(minor, currency) {
  money(0, currency);
  const digits = formats.get(currency)[1];
  return (minor / 10 ** digits).toFixed(digits);
}

export function since(iso, now = Date.now()) {
  const s = Math.max(0, Math.floor((now - Date.parse(iso)) / 1000));
  if (s < 60) return `${s}s`;
  if (s < 3600) return `${Math.floor(s / 60)}m ${String(s % 60).padStart(2, '0')}s`;
  return `${Math.floor(s / 3600)}h ${Math.floor((s % 3600) / 60)}m`;
}

/** The restaurant's time zone: every time on every screen is the restaurant's, whatever
 * the device's zone, in one format. Pages name it (a `restaurant-tz` meta, or the
 * restaurant's embedded data). */
export const TIME_ZONE =
  document.querySelector('meta[name="restaurant-tz"]')?.content ||
  JSON.parse(document.getElementById('restaurant-data')?.textContent || '{}').timezone ||
  undefined;
const zoned = (options) => new Intl.DateTimeFormat(undefined, { timeZone: TIME_ZONE, ...options });
const TIME = zoned({ hour: '2-digit', minute: '2-digit' });
const STAMP = zoned({ dateStyle: 'medium', timeStyle: 'short' });
const DAY_TIME = zoned({ weekday: 'short', hour: '2-digit', minute: '2-digit' });
const DATE = zoned({ dateStyle: 'medium' });

/** 14:05 (or 2:05 PM, as the device's language writes it), in the restaurant's zone. */
export function clockTime(iso) {
  return TIME.format(iso ? new Date(iso) : new Date());
}

/** Dec 5, 2026, 2:05 PM, in the restaurant's zone. */
export function stamp(iso) {
  return STAMP.format(new Date(iso));
}

/** Sat 2:05 PM, in the restaurant's zone. */
export function dayTime(iso) {
  return DAY_TIME.format(new Date(iso));
}

/** Dec 5, 2026, in the restaurant's zone. */
export function dateOf(iso) {
  return DATE.format(new Date(iso));
}

let toastTimer = null;
export function toast(message, kind = 'info') {
  const el = document.getElementById('toast');
  if (!el) return;
  el.textContent = message;
  el.dataset.kind = kind;
  el.classList.add('show');
  clearTimeout(toastTimer);
  toastTimer = setTimeout(() => el.classList.remove('show'), 4000);
}

/** An error from the API, with the field it names (for 422) when there is one. */
export class ApiError extends Error {
  constructor(status, body) {
    const e = (body && body.error) || {};
    super(e.message || `request failed (${status})`);
    this.status = status;
    this.code = e.code || 'error';
    this.field = e.details && e.details.field;
  }
}

/**
 * Access tokens. `source` fetches a fresh one: `{access_token, expires_in}`. The token
 * lives only in this page's memory and is renewed a minute before it expires.
 */
export class Auth {
  constructor(source) {
    this.source = source;
    this.token = null;
    this.expires = 0;
    this.pending = null;
    this.listeners = [];
  }

  static fromCookie() {
    const csrf = document.querySelector('meta[name="csrf-token"]')?.content || '';
    return new Auth(async () => {
      const r = await fetch('/web/token', { method: 'POST', headers: { 'X-CSRF-Token': csrf }, credentials: 'same-origin' });
      if (r.status === 401 || r.status === 403) {
        location.href = `/login?next=${encodeURIComponent(location.pathname + location.search)}`;
        throw new ApiError(r.status, await r.json().catch(() => null));
      }
      if (!r.ok) throw new ApiError(r.status, await r.json().catch(() => null));
      return r.json();
    });
  }

  onRenew(fn) {
    this.listeners.push(fn);
  }

  set(t) {
    this.token = t.access_token;
    this.expires = Date.now() + t.expires_in * 1000;
    clearTimeout(this.timer);
    // A minute early, or at four fifths of a short lifetime.
    const ahead = t.expires_in > 300 ? (t.expires_in - 60) * 1000 : t.expires_in * 800;
    this.timer = setTimeout(() => this.renew().catch(() => {}), ahead);
    for (const fn of this.listeners) fn(this.token);
  }

  async get() {
    if (this.token && Date.now() < this.expires - 5_000) return this.token;
    return this.renew();
  }

  async renew() {
    if (!this.pending) {
      this.pending = this.source()
        .then((t) => {
          this.set(t);
          return this.token;
        })
        .finally(() => {
          this.pending = null;
        });
    }
    return this.pending;
  }

  clear() {
    clearTimeout(this.timer);
    this.token = null;
    this.expires = 0;
  }
}

/**
 * Calls the API. Retries once with a fresh token when the old one has lapsed. A Blob body
 * is sent as it is, with its own type (a WAV, say); an answer that is not JSON (audio) comes
 * back as a Blob.
 */
export async function api(auth, method, path, body, { idempotent = false } = {}) {
  const raw = body instanceof Blob;
  for (let attempt = 0; ; attempt++) {
    const headers = { Accept: 'application/json' };
    if (auth) headers.Authorization = `Bearer ${await auth.get()}`;
    if (body !== undefined) headers['Content-Type'] = raw ? body.type : 'application/json';
    if (idempotent) headers['Idempotency-Key'] = idempotent === true ? crypto.randomUUID() : idempotent;
    const r = await fetch(path, { method, headers, body: body === undefined ? undefined : raw ? body : JSON.stringify(body) });
    if (r.status === 401 && auth && attempt === 0) {
      auth.clear();
      continue;
    }
    if (r.status === 204) return null;
    if (r.ok && !(r.headers.get('Content-Type') || '').includes('json')) return r.blob();
    const data = await r.json().catch(() => null);
    if (!r.ok) throw new ApiError(r.status, data);
    return data;
  }
}

/** Every page of a list. */
export async function all(auth, path) {
  const out = [];
  let cursor = null;
  do {
    const sep = path.includes('?') ? '&' : '?';
    const page = await api(auth, 'GET', `${path}${sep}limit=200${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`);
    out.push(...page.items);
    cursor = page.next_cursor;
  } while (cursor);
  return out;
}

/**
 * The live feed over /v1/ws. Keeps the last offset per channel and, after any drop,
 * reconnects with it as `since`, so nothing is missed; `onResync` is called after each
 * (re)connection so that a screen can also reload its current state.
 */
export class Live {
  constructor({ auth = null, channels, onEvent, onStatus = () => {}, onResync = () => {} }) {
    this.auth = auth;
    this.channels = channels; // [{name, key?}]
    this.onEvent = onEvent;
    this.onStatus = onStatus;
    this.onResync = onResync;
    this.offsets = new Map();
    this.delay = 250;
    this.ws = null;
    this.closed = false;
    if (auth) auth.onRenew((token) => this.send({ op: 'auth', token }));
    this.connect();
  }

  send(msg) {
    if (this.ws && this.ws.readyState === WebSocket.OPEN) this.ws.send(JSON.stringify(msg));
  }

  async connect() {
    if (this.closed) return;
    let token = null;
    if (this.auth) {
      try {
        token = await this.auth.get();
      } catch {
        return this.retry();
      }
    }
    const proto = location.protocol === 'https:' ? 'wss' : 'ws';
    const ws = new WebSocket(`${proto}://${location.host}/v1/ws`);
    this.ws = ws;
    let opened = false;
    ws.onopen = () => {
      opened = true;
      if (token) ws.send(JSON.stringify({ op: 'auth', token }));
      for (const c of this.channels) {
        const msg = { op: 'subscribe', channel: c.name };
        if (c.key) msg.key = c.key;
        if (this.offsets.has(c.name)) msg.since = this.offsets.get(c.name);
        ws.send(JSON.stringify(msg));
      }
      this.pinger = setInterval(() => this.send({ op: 'ping' }), 20_000);
    };
    ws.onmessage = (m) => {
      let msg;
      try {
        msg = JSON.parse(m.data);
      } catch {
        return;
      }
      if (msg.op === 'subscribed') {
        if (!this.offsets.has(msg.channel)) this.offsets.set(msg.channel, msg.offset);
        this.subscribed = (this.subscribed || 0) + 1;
        if (this.subscribed === this.channels.length) {
          this.delay = 250;
          this.onStatus('online');
          this.onResync();
        }
      } else if (msg.op === 'event') {
        this.offsets.set(msg.channel, Math.max(this.offsets.get(msg.channel) || 0, msg.offset));
        this.onEvent(msg.event, msg.channel);
      } else if (msg.op === 'error') {
        if (msg.code === 'resync_required') {
          this.offsets.delete(msg.channel);
          this.onResync();
        } else if (msg.code === 'token_expired' || msg.code === 'token_revoked') {
          this.auth?.clear();
        }
      }
    };
    ws.onclose = () => {
      clearInterval(this.pinger);
      this.subscribed = 0;
      if (this.ws === ws) this.ws = null;
      if (opened || this.delay > 250) this.onStatus('offline');
      this.retry();
    };
  }

  retry() {
    if (this.closed) return;
    this.onStatus('offline');
    const wait = this.delay;
    this.delay = Math.min(this.delay * 2, 5_000);
    setTimeout(() => this.connect(), wait);
  }

  close() {
    this.closed = true;
    this.ws?.close();
  }
}

/** The "Live" indicator every live screen shows: pass it as a `Live`'s `onStatus`. */
export function liveIndicator(el, also = () => {}) {
  return (s) => {
    if (el) {
      el.textContent = s === 'online' ? '● Live' : '○ Reconnecting…';
      el.dataset.state = s;
    }
    also(s);
  };
}

/** Shows a 422's message next to the field it names (`data-field` or the input's name),
 * until that field is edited. */
export function showFieldError(form, err) {
  for (const el of form.querySelectorAll('.field-error')) el.remove();
  for (const el of form.querySelectorAll('[aria-invalid]')) el.removeAttribute('aria-invalid');
  if (!err || !err.field) return false;
  const root = err.field.split(/[.[]/)[0];
  const input =
    form.querySelector(`[data-field="${CSS.escape(err.field)}"]`) ||
    form.querySelector(`[name="${CSS.escape(err.field)}"]`) ||
    form.querySelector(`[data-field="${CSS.escape(root)}"]`) ||
    form.querySelector(`[name="${CSS.escape(root)}"]`);
  const note = h('p', { class: 'field-error', role: 'alert' }, err.message);
  if (input) {
    input.setAttribute('aria-invalid', 'true');
    input.insertAdjacentElement('afterend', note);
    input.focus();
    // Fixing the field takes its error away; the next save checks it again.
    input.addEventListener('input', () => {
      note.remove();
      input.removeAttribute('aria-invalid');
    }, { once: true });
  } else {
    form.prepend(note);
  }
  return true;
}

export const STATUS_LABELS = {
  received: 'Received',
  accepted: 'Accepted',
  preparing: 'Preparing',
  ready: 'Ready',
  completed: 'Completed',
  cancelled: 'Cancelled',
};

/** What the server's own types say (base.html embeds it from the Rust enums, so a new
 * status, step or channel needs no change here): the order statuses with the steps each
 * may take, and the channels. */
const VOCABULARY = JSON.parse(document.getElementById('brigade-vocabulary')?.textContent || '{}');

/** The next statuses an order may move to, as the server's state machine allows
 * (cancelling is its own action, so it is not among them). */
export const NEXT_STATUS = Object.fromEntries((VOCABULARY.order_statuses || []).map((s) => [s.status, s.next]));

/** Every channel an order can come from, in the server's order. */
export const CHANNELS = VOCABULARY.channels || [];

export const CHANNEL_LABELS = {
  walk_in: 'Walk-in', qr: 'QR', phone: 'Phone', web: 'Web', voice: 'Voice',
  doordash: 'DoorDash', ubereats: 'Uber Eats', grubhub: 'Grubhub', pos: 'POS',
};
export const channelLabel = (c) => CHANNEL_LABELS[c] || c;

/** Sends `form` with `send` (which reads the fields and calls the API) instead of
 * reloading the page. The submit button is disabled while it runs, so a double tap sends
 * once; a refusal shows at its field, or as a toast when no field is named. */
export function onSubmit(form, send) {
  form.addEventListener('submit', async (e) => {
    e.preventDefault();
    const button = form.querySelector('[type="submit"]');
    if (button) button.disabled = true;
    showFieldError(form, null);
    try {
      await send(e);
    } catch (err) {
      if (!showFieldError(form, err)) toast(err.message, 'error');
    } finally {
      if (button) button.disabled = false;
    }
  });
}

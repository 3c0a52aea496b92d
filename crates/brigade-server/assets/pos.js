// The counter (/pos): order entry, the floor, checks and payments, and the close of the
// day. Every action is one REST call (the same a third-party POS would make); totals come
// from the server's quote, and what needs a manager asks for a manager's PIN on the spot.
import { $, $$, h, fill, api, Auth, Live, liveIndicator, toast, money, toMinor, toMajor, debounce, clockTime, stamp, STATUS_LABELS, CHANNELS, channelLabel, onSubmit } from './brigade.js';
import { itemSheet } from './sheet.js';
import { pinPad } from './pinpad.js';

const root = $('#pos');
const rid = root.dataset.rid;
const device = root.dataset.device === 'true';
let role = root.dataset.role;
// Only what the role allows is offered; the server decides all the same.
const mayApprove = () => role === 'owner' || role === 'manager';
const mayReport = mayApprove;
const restaurant = JSON.parse($('#restaurant-data').textContent);
const currency = restaurant.currency;
const base = `/v1/restaurants/${rid}`;
const auth = device ? new Auth(unlock) : Auth.fromCookie();
const call = (method, path, body, opts) => api(auth, method, `${base}${path}`, body, opts);
const fmt = (minor) => money(minor, currency);

// Times are the restaurant's, whatever the device's zone, in one format (brigade.js).
const at = clockTime;
const dayFormat = new Intl.DateTimeFormat(undefined, { timeZone: 'UTC', weekday: 'short', day: 'numeric', month: 'short', year: 'numeric' });
const dayLabel = (d) => dayFormat.format(new Date(`${d}T00:00:00Z`));
let businessDay = root.dataset.day;

const FLOOR_LABELS = {
  available: 'Free', occupied: 'Seated', reserved: 'Reserved', out_of_service: 'Out of service',
  ordered: 'Ordered', waiting_for_food: 'Waiting for food', served: 'Served', paying: 'Paying',
};
const TYPE_LABELS = { dine_in: 'Dine-in', takeout: 'Takeout', delivery: 'Delivery' };
const METHOD_LABELS = { cash: 'Cash', external: 'Card machine', card: 'Card' };
const VOID_REASONS = ['Guest changed their mind', 'Entered by mistake', 'Kitchen error', 'Took too long'];

let categories = [];
let items = [];
let itemsById = new Map();
let tables = [];
let tablesById = new Map();
let category = null;
let view = 'order';
let current = null; // the order shown in the check view
let changeDue = null; // {order, amount}: the change to hand over for the check shown

// ---------------------------------------------------------------- frame

function tick() {
  $('#clock').textContent = clockTime();
  $('#day').textContent = `Business day ${dayLabel(businessDay)}`;
}
tick();
setInterval(tick, 15_000);

function show(name) {
  view = name;
  for (const s of ['order', 'floor', 'check', 'history', 'close']) $(`#${s}-view`).hidden = s !== name;
  for (const b of $$('.pos-tabs button')) b.setAttribute('aria-current', b.dataset.view === name ? 'page' : 'false');
  if (name === 'floor') loadFloor();
  if (name === 'history') loadHistory();
  if (name === 'close') loadClose();
  if (name === 'order') $('#search').focus();
}
for (const b of $$('.pos-tabs button')) b.addEventListener('click', () => (b.dataset.view === 'order' && !draft.check ? startOrder() : show(b.dataset.view)));

document.addEventListener('keydown', (e) => {
  if (e.altKey && !e.ctrlKey && !e.metaKey) {
    const to = { n: 'order', f: 'floor', h: 'history' }[e.key.toLowerCase()];
    if (to) {
      e.preventDefault();
      to === 'order' ? startOrder() : show(to);
    }
    return;
  }
  // Typing anywhere on the order screen goes to the search.
  if (view === 'order' && e.key.length === 1 && !e.ctrlKey && !e.metaKey && !document.querySelector('dialog[open]')) {
    const t = e.target;
    if (!(t instanceof HTMLInputElement || t instanceof HTMLTextAreaElement || t instanceof HTMLSelectElement)) {
      $('#search').focus();
    }
  }
});

/** Runs `send(approval)`; when the server answers that a manager must approve, asks for a
 * manager's PIN and sends again with it, until it is accepted or the person cancels. */
function withApproval(why, send) {
  return send(undefined).catch((err) => {
    if (err.status !== 403 || err.code !== 'approval_required') throw err;
    const dialog = $('#approval');
    const form = $('#approval-form');
    const pin = $('#approval-pin');
    $('#approval-why').textContent = why;
    $('#approval-error').textContent = '';
    pin.value = '';
    return new Promise((resolve, reject) => {
      let done = false;
      const submit = async (e) => {
        e.preventDefault();
        if (!pin.value.trim()) return;
        try {
          const r = await send({ pin: pin.value.trim() });
          done = true;
          dialog.close();
          resolve(r);
        } catch (e2) {
          if (e2.status === 403 || e2.status === 429) {
            $('#approval-error').textContent = e2.message;
            pin.value = '';
            pin.focus();
          } else {
            done = true;
            dialog.close();
            reject(e2);
          }
        }
      };
      const cancel = () => dialog.close();
      form.addEventListener('submit', submit);
      $('#approval-cancel').addEventListener('click', cancel);
      dialog.addEventListener('close', () => {
        form.removeEventListener('submit', submit);
        $('#approval-cancel').removeEventListener('click', cancel);
        if (!done) resolve(null);
      }, { once: true });
      dialog.showModal();
      pin.focus();
    });
  });
}

/** A small form in the shared dialog; resolves with `read()`'s value once `send` succeeds. */
function ask(title, fields, { submit = 'OK', danger = false, send }) {
  const dialog = $('#dialog');
  const form = h('form', { method: 'dialog' }, h('h2', {}, title), fields,
    h('div', { class: 'row' }, h('button', { type: 'button', class: 'ghost', onclick: () => dialog.close() }, 'Cancel'),
      h('button', { type: 'submit', class: danger ? 'primary danger' : 'primary' }, submit)));
  fill(dialog, form);
  return new Promise((resolve) => {
    let result = null;
    onSubmit(form, async () => {
      result = await send(form);
      if (result !== null) dialog.close();
    });
    dialog.addEventListener('close', () => resolve(result), { once: true });
    dialog.showModal();
    form.querySelector('input, select, textarea')?.focus();
  });
}

// ---------------------------------------------------------------- a shared device

// On a shared device the counter is locked until someone signs in with their PIN; it
// locks again on "Lock", after five idle minutes, or when the sign-in lapses. The
// refresh token is never kept.
const IDLE_MS = 5 * 60_000;
let waiting = null;
let idleTimer = null;
if (device) {
  pinPad($('#lock-screen .pin-form'), rid, async (tokens) => {
    const headers = { Authorization: `Bearer ${tokens.access_token}`, Accept: 'application/json' };
    const [me, here] = await Promise.all([
      fetch('/v1/auth/me', { headers }).then((r) => r.json()),
      fetch(base, { headers }).then((r) => r.json()),
    ]);
    if (!['owner', 'manager', 'staff'].includes(here.role)) {
      $('#lock-screen .error').textContent = 'The counter is for owners, managers and staff.';
      fetch('/v1/auth/logout', { method: 'POST', headers }).catch(() => {});
      return;
    }
    role = here.role;
    $('#who').textContent = `${me.name} · ${role}`;
    $('#lock-screen').hidden = true;
    waiting?.({ access_token: tokens.access_token, expires_in: tokens.expires_in });
    waiting = null;
    touch();
  });
  $('#lock').addEventListener('click', lock);
  for (const ev of ['pointerdown', 'keydown']) document.addEventListener(ev, touch);
}

function unlock() {
  $('#who').textContent = '';
  $('#lock-screen').hidden = false;
  $('#lock-screen [name=pin]').focus();
  return new Promise((resolve) => (waiting = resolve));
}

function touch() {
  if (!device || !$('#lock-screen').hidden) return;
  clearTimeout(idleTimer);
  idleTimer = setTimeout(lock, IDLE_MS);
}

async function lock() {
  clearTimeout(idleTimer);
  for (const d of $$('dialog[open]')) d.close();
  // The token held now, never a fresh one (asking for one would open the PIN pad and
  // sign out whoever signs in next).
  const token = auth.token;
  auth.clear();
  if (token) {
    fetch('/v1/auth/logout', { method: 'POST', headers: { Authorization: `Bearer ${token}` } }).catch(() => {
      // It lapses by itself soon; the page forgets it now.
    });
  }
  role = '';
  current = null;
  draft = newDraft();
  quote = null;
  drawTicket();
  show('order');
  auth.renew().catch(() => {});
}

// ---------------------------------------------------------------- menu

async function loadMenu() {
  const [cats, its] = await Promise.all([allPages('/menu/categories'), allPages('/menu/items')]);
  categories = cats.filter((c) => c.is_active).sort((a, b) => a.sort_order - b.sort_order || a.name.localeCompare(b.name));
  items = its.filter((i) => i.is_active).sort((a, b) => a.sort_order - b.sort_order || a.name.localeCompare(b.name));
  itemsById = new Map(items.map((i) => [i.id, i]));
  if (!category || !categories.some((c) => c.id === category)) category = categories[0]?.id || null;
  drawMenu();
}

async function allPages(path) {
  const out = [];
  let cursor = null;
  do {
    const page = await call('GET', `${path}?limit=200${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`);
    out.push(...page.items);
    cursor = page.next_cursor;
  } while (cursor);
  return out;
}

function matches() {
  const q = $('#search').value.trim().toLowerCase();
  if (q) return items.filter((i) => i.name.toLowerCase().includes(q) || (i.sku || '').toLowerCase() === q);
  return items.filter((i) => i.category_id === category);
}

function drawMenu() {
  const searching = $('#search').value.trim() !== '';
  fill($('#categories'), categories.map((c) =>
    h('button', { type: 'button', role: 'tab', 'aria-selected': String(!searching && c.id === category), onclick: () => {
      category = c.id;
      $('#search').value = '';
      drawMenu();
    } }, c.name)));
  const list = matches();
  fill($('#items'), list.length ? list.map((i) => {
    const out = !i.availability.available;
    return h('button', {
      type: 'button', class: out ? 'pos-item out' : 'pos-item', 'aria-disabled': out ? 'true' : null,
      title: out ? `86'd${i.availability.reason ? `: ${i.availability.reason}` : ''}` : null,
      onclick: () => addItem(i),
    }, h('span', { class: 'name' }, i.name), h('span', { class: 'price' }, fmt(i.price)), out ? h('span', { class: 'badge-86' }, '86') : null,
    i.modifier_groups.length ? h('span', { class: 'has-options', 'aria-label': 'has options' }, '…') : null);
  }) : h('p', { class: 'muted' }, searching ? 'No item has that name.' : 'Nothing in this section.'));
}

$('#search').addEventListener('input', drawMenu);
$('#search').addEventListener('keydown', (e) => {
  if (e.key === 'Enter') {
    e.preventDefault();
    const first = matches().find((i) => i.availability.available);
    if (first) {
      addItem(first).then(() => {
        $('#search').value = '';
        drawMenu();
        $('#search').focus();
      });
    }
  } else if (e.key === 'Escape') {
    $('#search').value = '';
    drawMenu();
  } else if (e.key === 'ArrowDown') {
    e.preventDefault();
    $('#items button')?.focus();
  }
});

// ---------------------------------------------------------------- the order being taken

function newDraft(over = {}) {
  return { type: 'dine_in', table_id: null, name: '', phone: '', address: '', promo: '', lines: [], seat: 1, check: null, key: crypto.randomUUID(), ...over };
}
let draft = newDraft();
let quote = null;

function startOrder(over = {}) {
  draft = newDraft(over);
  quote = null;
  drawTicket();
  show('order');
}

async function addItem(item) {
  if (!item.availability.available) {
    toast(`${item.name} is 86'd${item.availability.reason ? `: ${item.availability.reason}` : ''}.`, 'error');
    return;
  }
  const seat = draft.type === 'dine_in' ? draft.seat : null;
  if (!item.modifier_groups.length) {
    const same = draft.lines.find((l) => l.item_id === item.id && !l.modifiers.length && !l.notes && l.seat === seat);
    if (same) same.quantity += 1;
    else draft.lines.push({ item_id: item.id, quantity: 1, modifiers: [], notes: null, seat });
  } else {
    const line = await itemSheet($('#sheet'), item, { currency, line: { quantity: 1, modifiers: [], notes: null, seat }, seats: draft.type === 'dine_in' });
    if (!line) return;
    draft.lines.push(line);
  }
  changed();
}

async function editLine(index) {
  const line = draft.lines[index];
  const item = itemsById.get(line.item_id);
  if (!item) return;
  const next = await itemSheet($('#sheet'), item, { currency, line, seats: draft.type === 'dine_in', addLabel: 'Save' });
  if (!next) return;
  draft.lines[index] = next;
  changed();
}

function changed() {
  drawTicket();
  requote();
}

function orderInput() {
  const customer = { name: draft.name.trim() || null, phone: draft.phone.trim() || null, address: draft.type === 'delivery' ? draft.address.trim() || null : null };
  return {
    channel: draft.phone_order ? 'phone' : 'pos',
    type: draft.type,
    table_id: draft.type === 'dine_in' ? draft.table_id : null,
    customer: customer.name || customer.phone || customer.address ? customer : null,
    items: draft.lines.map((l) => ({ ...l, seat: draft.type === 'dine_in' ? l.seat : null })),
    promo_code: draft.promo.trim() || null,
  };
}

const requote = debounce(async () => {
  $('#ticket-error').textContent = '';
  if (!draft.lines.length) {
    quote = null;
    return drawTotals();
  }
  const input = orderInput();
  try {
    quote = await call('POST', '/orders/quote', { ...input, table_id: null });
  } catch (e) {
    quote = null;
    $('#ticket-error').textContent = e.message;
  }
  drawTotals();
}, 120);

function drawTicket() {
  const head = $('#ticket-head');
  if (draft.check) {
    const o = draft.check;
    fill(head, h('h2', {}, `Adding to check #${o.number}`), h('p', { class: 'muted' }, where(o), ' · round ', String(nextRound(o))),
      h('div', { class: 'row' }, seatPicker(), h('button', { type: 'button', class: 'ghost', onclick: () => openCheck(o.id) }, 'Back to the check')));
  } else {
    const types = [['dine_in', 'Dine-in'], ['takeout', 'Takeout'], ['delivery', 'Delivery'], ['phone', 'Phone']];
    const chosen = draft.phone_order ? 'phone' : draft.type;
    const field = (id, label, key, attrs = {}) => [h('label', { for: id }, label), h('input', { id, value: draft[key], maxlength: attrs.maxlength || 200, ...attrs, oninput: (e) => { draft[key] = e.target.value; } })];
    fill(head,
      h('div', { class: 'segmented', role: 'radiogroup', 'aria-label': 'Order type' }, types.map(([k, label]) =>
        h('button', { type: 'button', role: 'radio', 'aria-checked': String(chosen === k), onclick: () => {
          draft.phone_order = k === 'phone';
          draft.type = k === 'phone' ? 'takeout' : k;
          changed();
        } }, label))),
      chosen === 'dine_in' ? [
        h('label', { for: 'ticket-table' }, 'Table'),
        h('select', { id: 'ticket-table', onchange: (e) => { draft.table_id = e.target.value || null; } },
          h('option', { value: '' }, 'Choose a table'),
          tables.map((t) => h('option', { value: t.id, selected: t.id === draft.table_id }, `${t.name} · ${FLOOR_LABELS[t.status] || t.status}`))),
        seatPicker(),
      ] : null,
      chosen !== 'dine_in' ? field('ticket-name', 'Guest name', 'name') : null,
      chosen === 'delivery' || chosen === 'phone' ? field('ticket-phone', 'Phone', 'phone', { type: 'tel', inputmode: 'tel', maxlength: 32 }) : null,
      chosen === 'delivery' ? field('ticket-address', 'Delivery address', 'address', { maxlength: 500 }) : null,
      field('ticket-promo', 'Promo code', 'promo', { maxlength: 32, autocomplete: 'off', onchange: () => requote() }),
    );
  }
  fill($('#ticket-lines'), draft.lines.map((l, i) => {
    const item = itemsById.get(l.item_id);
    const names = modifierNames(item, l.modifiers);
    return h('li', { class: 'ticket-line' },
      h('div', { class: 'line-main' },
        h('button', { type: 'button', class: 'ghost line-name', onclick: () => editLine(i), 'aria-label': `Change ${item?.name || 'line'}` }, `${l.quantity} × ${item?.name || '?'}`),
        h('span', { class: 'line-price', dataset: { line: i } }, '')),
      names.length ? h('div', { class: 'mods' }, names.join(', ')) : null,
      l.notes ? h('div', { class: 'note' }, l.notes) : null,
      h('div', { class: 'line-tools' },
        draft.type === 'dine_in' && l.seat ? h('span', { class: 'tag' }, `Seat ${l.seat}`) : null,
        h('span', { class: 'spacer' }),
        h('button', { type: 'button', 'aria-label': `One fewer ${item?.name || ''}`, onclick: () => { l.quantity > 1 ? (l.quantity -= 1) : draft.lines.splice(i, 1); changed(); } }, '−'),
        h('button', { type: 'button', 'aria-label': `One more ${item?.name || ''}`, onclick: () => { l.quantity = Math.min(999, l.quantity + 1); changed(); } }, '+'),
        h('button', { type: 'button', class: 'danger', 'aria-label': `Remove ${item?.name || 'line'}`, onclick: () => { draft.lines.splice(i, 1); changed(); } }, '×')));
  }));
  if (!draft.lines.length) $('#ticket-lines').append(h('li', { class: 'muted' }, 'Tap an item, or type its name and press Enter.'));
  $('#send').textContent = draft.check ? 'Send round' : 'Send to kitchen';
  drawTotals();
}

function seatPicker() {
  return h('div', { class: 'seat-picker', role: 'group', 'aria-label': 'Seat for the next items' },
    h('span', {}, 'Seat'),
    h('button', { type: 'button', 'aria-label': 'Previous seat', onclick: () => { draft.seat = Math.max(1, draft.seat - 1); drawTicket(); } }, '−'),
    h('output', { id: 'seat' }, String(draft.seat)),
    h('button', { type: 'button', 'aria-label': 'Next seat', onclick: () => { draft.seat = Math.min(99, draft.seat + 1); drawTicket(); } }, '+'));
}

function drawTotals() {
  const dl = $('#ticket-totals');
  if (!quote) {
    fill(dl);
  } else {
    quote.lines.forEach((l, i) => {
      const el = $(`[data-line="${i}"]`);
      if (el) el.textContent = fmt(l.line_total);
    });
    fill(dl, quote.promotions.map((p) => [h('dt', {}, p.name), h('dd', { class: 'promo' }, `−${fmt(p.amount)}`)]),
      h('dt', {}, 'Subtotal'), h('dd', {}, fmt(quote.subtotal)), h('dt', {}, 'Tax'), h('dd', {}, fmt(quote.tax)),
      h('dt', { class: 'total' }, 'Total'), h('dd', { class: 'total', id: 'ticket-total' }, fmt(quote.total)));
  }
  $('#send').disabled = !draft.lines.length;
}

function modifierNames(item, ids) {
  if (!item) return [];
  const names = new Map(item.modifier_groups.flatMap((g) => g.options.map((o) => [o.id, o.name])));
  return ids.map((id) => names.get(id) || '?');
}

$('#clear').addEventListener('click', () => (draft.check ? openCheck(draft.check.id) : startOrder()));
$('#send').addEventListener('click', async () => {
  const button = $('#send');
  button.disabled = true;
  $('#ticket-error').textContent = '';
  try {
    let order;
    if (draft.check) {
      const items = draft.lines.map((l) => ({ ...l }));
      order = await call('POST', `/orders/${draft.check.id}/items`, { items }, { idempotent: draft.key });
      toast(`Round sent for #${order.number}`);
    } else {
      if (draft.type === 'dine_in' && !draft.table_id) throw new Error('Choose the table this order is for.');
      order = await call('POST', '/orders', orderInput(), { idempotent: draft.key });
      toast(`#${order.number} sent to the kitchen`);
    }
    draft = newDraft();
    quote = null;
    drawTicket();
    await openCheck(order.id, order);
  } catch (e) {
    $('#ticket-error').textContent = e.message;
  } finally {
    button.disabled = !draft.lines.length;
  }
});

// ---------------------------------------------------------------- the floor

async function loadTables() {
  tables = await allPages('/tables');
  tablesById = new Map(tables.map((t) => [t.id, t]));
  const select = $('#h-table');
  const chosen = select.value;
  fill(select, h('option', { value: '' }, 'Any'), tables.map((t) => h('option', { value: t.id, selected: t.id === chosen }, t.name)));
}

async function loadFloor() {
  const [, open] = await Promise.all([loadTables(), call('GET', '/orders/queue?limit=200')]);
  fill($('#tables'), tables.length ? tables.map((t) => {
    const count = t.open_order_ids.length;
    return h('button', { type: 'button', class: `table-tile status-${t.status}`, dataset: { table: t.name }, onclick: () => openTable(t) },
      h('span', { class: 'table-name' }, t.name),
      h('span', { class: 'table-status' }, FLOOR_LABELS[t.status] || t.status),
      count ? h('span', { class: 'table-check' }, count > 1 ? `${count} checks` : 'Check open', t.open_balance ? ` · ${fmt(t.open_balance)} due` : '') : h('span', { class: 'muted small' }, `${t.capacity} seats`));
  }) : h('p', { class: 'muted' }, 'No tables yet: add them in the dashboard under Tables.'));
  const loose = open.items.filter((o) => !o.table_id);
  fill($('#open-checks'), loose.length ? loose.map((o) => h('li', {}, h('button', { type: 'button', class: 'check-link', onclick: () => openCheck(o.id) },
    h('strong', {}, `#${o.number}`), ` ${TYPE_LABELS[o.type] || o.type} · ${guestName(o) || channelLabel(o.channel)} · ${STATUS_LABELS[o.status]} · ${o.paid ? 'paid' : `${fmt(o.balance)} due`}`)))
    : h('li', { class: 'muted' }, 'None.'));
  if (draft.type === 'dine_in' && !draft.check) drawTicket();
}

async function openTable(t) {
  if (t.open_order_ids.length === 1) return openCheck(t.open_order_ids[0]);
  if (t.open_order_ids.length > 1) {
    const orders = await Promise.all(t.open_order_ids.map((id) => call('GET', `/orders/${id}`)));
    return ask(`${t.name}: which check?`, h('ul', { class: 'check-list' }, orders.map((o) => h('li', {}, h('button', { type: 'button', class: 'check-link', onclick: () => { $('#dialog').close(); openCheck(o.id); } },
      h('strong', {}, `#${o.number}`), ` ${o.items.filter((l) => !l.voided).length} lines · ${o.paid ? 'paid' : `${fmt(o.balance)} due`}`)))), {
      submit: 'New check here', send: async () => { startOrder({ type: 'dine_in', table_id: t.id }); return true; },
    });
  }
  startOrder({ type: 'dine_in', table_id: t.id });
}

function guestName(o) {
  return o.customer?.name || null;
}

function where(o) {
  const table = o.table_id ? tablesById.get(o.table_id)?.name || 'a table' : null;
  return [TYPE_LABELS[o.type] || o.type, table, guestName(o), o.channel === 'phone' ? 'by phone' : null].filter(Boolean).join(' · ');
}

function nextRound(o) {
  return Math.max(0, ...o.items.map((l) => l.round)) + 1;
}

// ---------------------------------------------------------------- a check

async function openCheck(id, order = null) {
  current = order && order.payments ? order : await call('GET', `/orders/${id}`);
  if (!tables.length) await loadTables().catch(() => {});
  drawCheck();
  show('check');
}

const refreshCheck = debounce(async () => {
  if (view !== 'check' || !current) return;
  try {
    current = await call('GET', `/orders/${current.id}`);
    drawCheck();
  } catch {
    /* shown on the next action */
  }
}, 250);

function drawCheck() {
  // A redraw keeps the field being typed in focused.
  const focused = document.activeElement?.closest('#check-view') ? document.activeElement.id : null;
  drawCheckView();
  if (focused) document.getElementById(focused)?.focus();
}

function drawCheckView() {
  const o = current;
  const open = !['completed', 'cancelled'].includes(o.status);
  const rounds = new Map();
  for (const l of o.items) {
    if (!rounds.has(l.round)) rounds.set(l.round, []);
    rounds.get(l.round).push(l);
  }
  if (changeDue && changeDue.order !== o.id) changeDue = null;
  const owing = o.status !== 'cancelled' && o.balance > 0;
  const waiting = o.payments.find((p) => p.status === 'open' && p.reader_id);
  clearTimeout(readerPoll);
  if (waiting) readerPoll = setTimeout(refreshCheck, 2000);
  fill($('#check-view'),
    waiting ? h('div', { class: 'reader-banner', role: 'status' },
      h('span', {}, `Waiting for the card on ${readers.label(waiting.reader_id)}: ${fmt(waiting.amount + waiting.tip)}`),
      h('button', { type: 'button', onclick: () => cancelCard(waiting) }, 'Cancel')) : null,
    changeDue ? h('p', { class: 'change-banner', role: 'status' }, `Give change: ${fmt(changeDue.amount)}`) : null,
    h('div', { class: 'check-layout' },
      h('div', { class: 'check-main card' },
        h('header', { class: 'check-head' },
          h('h2', {}, `Check #${o.number}`),
          h('span', { class: `tag status-${o.status}` }, STATUS_LABELS[o.status] || o.status),
          h('span', { class: 'muted' }, where(o)),
          h('span', { class: 'spacer' }),
          h('span', { class: 'muted small' }, `Placed ${stamp(o.created_at)}`)),
        o.merged_into ? h('p', { class: 'notice' }, 'Merged into another check. ', h('button', { type: 'button', class: 'ghost', onclick: () => openCheck(o.merged_into) }, 'Open it')) : null,
        o.split_from ? h('p', { class: 'muted small' }, 'Split from another check. ', h('button', { type: 'button', class: 'ghost', onclick: () => openCheck(o.split_from) }, 'Open it')) : null,
        o.customer?.address ? h('p', {}, `Deliver to: ${o.customer.address}`) : null,
        o.customer?.phone ? h('p', { class: 'muted' }, `Phone: ${o.customer.phone}`) : null,
        o.customer_id ? h('p', {}, h('a', { href: `/app/customers?r=${rid}&id=${o.customer_id}`, target: '_blank', rel: 'noopener' }, 'Guest profile →')) : null,
        [...rounds.entries()].map(([round, lines]) => h('section', { class: 'round' },
          h('h3', {}, `Round ${round}`),
          h('ul', { class: 'check-lines' }, lines.map((l) => h('li', { class: l.voided ? 'voided' : l.comped ? 'comped' : '' },
            h('div', { class: 'line-main' },
              h('span', {}, `${l.quantity} × ${l.name}`),
              l.seat ? h('span', { class: 'tag' }, `Seat ${l.seat}`) : null,
              h('span', { class: 'spacer' }),
              h('span', { class: 'line-price' }, fmt(l.line_total)),
              open && !l.voided && !l.comped ? h('button', { type: 'button', class: 'small-button', onclick: () => compLine(l) }, 'Comp') : null,
              open && !l.voided ? h('button', { type: 'button', class: 'danger small-button', onclick: () => voidLine(l) }, 'Void') : null),
            l.modifiers.length ? h('div', { class: 'mods' }, l.modifiers.map((m) => m.name).join(', ')) : null,
            l.notes ? h('div', { class: 'note' }, l.notes) : null,
            l.voided ? h('div', { class: 'void-note' }, `Voided${l.void_reason ? `: ${l.void_reason}` : ''}${l.voided_at ? ` · ${at(l.voided_at)}` : ''}`) : null,
            l.comped ? h('div', { class: 'comp-note' }, `On the house${l.comp_reason ? `: ${l.comp_reason}` : ''}`) : null))))),
        h('dl', { class: 'totals' },
          discountLines(o),
          h('dt', {}, 'Subtotal'), h('dd', {}, fmt(o.subtotal)),
          h('dt', {}, 'Tax'), h('dd', {}, fmt(o.tax)),
          h('dt', { class: 'total' }, 'Total'), h('dd', { class: 'total' }, fmt(o.total)),
          h('dt', {}, 'Paid'), h('dd', {}, fmt(o.payments.reduce((n, p) => n + (p.status === 'paid' || p.status === 'refunded' ? p.amount - p.refunded : 0), 0))),
          h('dt', { class: 'total' }, 'Balance'), h('dd', { class: 'total', id: 'check-balance' }, o.paid ? 'Paid' : fmt(Math.max(0, o.balance)))),
        h('div', { class: 'row check-actions' },
          open ? h('button', { type: 'button', class: 'primary', onclick: () => addRound(o) }, 'Add a round') : null,
          open && o.type === 'dine_in' ? h('button', { type: 'button', onclick: () => moveCheck(o) }, 'Move') : null,
          open ? h('button', { type: 'button', onclick: () => mergeCheck(o) }, 'Merge') : null,
          open ? h('button', { type: 'button', onclick: () => splitCheck(o) }, 'Split') : null,
          open && !(o.discount - o.promo_discount - o.points_discount) ? h('button', { type: 'button', onclick: () => discountCheck(o) }, 'Discount') : null,
          open && o.discount - o.promo_discount - o.points_discount ? h('button', { type: 'button', onclick: () => removeDiscount(o) }, 'Remove discount') : null,
          h('button', { type: 'button', onclick: () => printReceipt(o) }, 'Receipt'),
          open && o.paid ? h('button', { type: 'button', class: 'primary', onclick: () => closeCheck(o) }, 'Close check') : null,
          open ? h('button', { type: 'button', class: 'danger', onclick: () => cancelCheck(o) }, 'Cancel order') : null,
          o.status === 'completed' ? h('button', { type: 'button', onclick: () => reopenCheck(o) }, 'Reopen') : null)),
      h('div', { class: 'check-side' },
        owing ? (waiting ? null : payPanel(o)) : h('div', { class: 'card' }, h('h2', {}, o.status === 'cancelled' ? 'Cancelled' : 'Paid in full'),
          o.cancel_reason ? h('p', {}, o.cancel_reason) : null),
        o.payments.length ? h('div', { class: 'card' }, h('h2', {}, 'Payments'), h('ul', { class: 'simple' }, o.payments.map((p) => h('li', {},
          h('div', { class: 'line-main' },
            h('strong', {}, METHOD_LABELS[p.method] || p.method), h('span', {}, fmt(p.amount)),
            p.tip ? h('span', { class: 'muted' }, `tip ${fmt(p.tip)}`) : null,
            p.change ? h('span', { class: 'muted' }, `change ${fmt(p.change)}`) : null,
            h('span', { class: 'spacer' }), h('span', { class: 'muted small' }, at(p.created_at))),
          p.refunded ? h('div', { class: 'void-note' }, `Refunded ${fmt(p.refunded)}`) : null,
          p.status !== 'paid' && p.status !== 'refunded' ? h('div', { class: p.status === 'failed' ? 'void-note' : 'muted small' },
            { open: p.reader_id ? 'waiting on the card reader' : 'payment link open', failed: 'failed', canceled: 'cancelled' }[p.status] || p.status.replace(/_/g, ' '),
            p.error ? `: ${p.error}` : '') : null,
          p.status === 'paid' && p.refunded < p.amount + p.tip ? h('button', { type: 'button', class: 'ghost small-button', onclick: () => refund(p) }, 'Refund') : null)))) : null)));
}

// What is typed in the payment form, kept across redraws (a live update redraws the
// check while the cashier is typing), until the payment is taken or another check shown.
let payState = null;

function payPanel(o) {
  const due = Math.max(0, o.balance);
  if (!payState || payState.order !== o.id || payState.due !== due) {
    payState = { order: o.id, due, method: 'cash', tipPct: null, amount: toMajor(due, currency), tip: '', tendered: '' };
  }
  const st = payState;
  const amount = h('input', { id: 'pay-amount', name: 'amount', inputmode: 'decimal', value: st.amount, 'aria-describedby': 'pay-help' });
  const tip = h('input', { id: 'pay-tip', name: 'tip', inputmode: 'decimal', value: st.tip });
  const tendered = h('input', { id: 'pay-tendered', name: 'tendered', inputmode: 'decimal', value: st.tendered });
  const change = h('output', { id: 'pay-change', class: 'change' });
  const cashOnly = h('div', { class: 'cash-only' },
    h('label', { for: 'pay-tendered' }, 'Cash handed over'), tendered,
    h('div', { class: 'row quick' }, quickCash(due).map((v) => h('button', { type: 'button', onclick: () => { tendered.value = toMajor(v, currency); update(); } }, v === due ? 'Exact' : fmt(v)))),
    h('p', {}, 'Change due: ', change));
  const cardOnly = h('div', { class: 'card-only' }, readerPicker(o));
  const methods = h('div', { class: 'segmented', role: 'radiogroup', 'aria-label': 'Payment method' }, Object.entries(METHOD_LABELS).map(([k, label]) =>
    h('button', { type: 'button', role: 'radio', dataset: { method: k }, onclick: () => { st.method = k; update(); } }, label)));
  const tips = h('div', { class: 'row tips', role: 'group', 'aria-label': 'Tip presets' }, [null, 10, 15, 20].map((p) =>
    h('button', { type: 'button', dataset: { tip: p ?? 0 }, onclick: () => { st.tipPct = p; tip.value = p ? toMajor(Math.round(minor(amount) * p / 100), currency) : ''; update(); } }, p ? `${p}%` : 'No tip')));
  function minor(input) {
    const v = toMinor(input.value || '0', currency);
    return Number.isNaN(v) ? 0 : v;
  }
  function update() {
    Object.assign(st, { amount: amount.value, tip: tip.value, tendered: tendered.value });
    const method = st.method;
    for (const b of methods.children) b.setAttribute('aria-checked', String(b.dataset.method === method));
    for (const b of tips.children) b.setAttribute('aria-pressed', String(Number(b.dataset.tip) === (st.tipPct || 0) && (st.tipPct !== null || !tip.value)));
    cashOnly.hidden = method !== 'cash';
    cardOnly.hidden = method !== 'card';
    const owed = Math.min(minor(amount), due) + minor(tip);
    const given = tendered.value ? minor(tendered) : owed;
    change.textContent = given >= owed ? fmt(given - owed) : `${fmt(owed - given)} short`;
  }
  amount.addEventListener('input', () => {
    if (st.tipPct) tip.value = toMajor(Math.round(minor(amount) * st.tipPct / 100), currency);
    update();
  });
  tip.addEventListener('input', () => { st.tipPct = null; update(); });
  tendered.addEventListener('input', update);
  const form = h('form', { class: 'card pay', id: 'pay-form' },
    h('h2', {}, 'Take payment'),
    h('p', { class: 'due' }, 'Due ', h('strong', {}, fmt(due))),
    methods,
    h('label', { for: 'pay-amount' }, 'Amount'), amount,
    h('small', { id: 'pay-help', class: 'muted' }, 'Less than the balance to split the tender.'),
    h('label', { for: 'pay-tip' }, 'Tip'), tips, tip,
    cashOnly,
    cardOnly,
    h('button', { type: 'submit', class: 'primary wide' }, 'Take payment'));
  onSubmit(form, async () => {
    const method = st.method;
    const body = { method, amount: toMinor(amount.value, currency), tip: tip.value ? toMinor(tip.value, currency) : 0 };
    if (Number.isNaN(body.amount)) throw Object.assign(new Error('Enter the amount.'), { field: 'amount' });
    if (Number.isNaN(body.tip)) throw Object.assign(new Error('The tip is not a number.'), { field: 'tip' });
    if (method === 'card') {
      body.reader_id = readers.chosen;
      if (!body.reader_id) throw Object.assign(new Error('Choose the card reader, or show the guest a payment link.'), { field: 'reader_id' });
    }
    if (method === 'cash' && tendered.value) {
      body.tendered = toMinor(tendered.value, currency);
      if (Number.isNaN(body.tendered)) throw Object.assign(new Error('The cash handed over is not a number.'), { field: 'tendered' });
    }
    const taken = await call('POST', `/orders/${o.id}/payments`, body, { idempotent: true });
    const p = taken;
    if (p.status === 'open') {
      toast(`Present the card on the reader: ${fmt(p.amount + p.tip)}`);
      payState = null;
      current = await call('GET', `/orders/${o.id}`);
      return drawCheck();
    }
    toast(`${METHOD_LABELS[p.method]} ${fmt(p.amount)} taken${p.change ? ` · change ${fmt(p.change)}` : ''}${taken.paid ? ' · paid in full' : ''}`);
    changeDue = p.change ? { order: o.id, amount: p.change } : null;
    payState = null;
    current = await call('GET', `/orders/${o.id}`);
    drawCheck();
  });
  update();
  return form;
}

// The card readers of the restaurant's Stripe account, asked once; the one chosen is
// remembered on this device.
const readers = {
  list: null,
  error: null,
  chosen: localStorage.getItem(`brigade.reader.${rid}`) || null,
  label(id) {
    return this.list?.find((r) => r.id === id)?.label || 'the reader';
  },
  async load() {
    if (this.list || this.error) return;
    try {
      this.list = (await call('GET', '/card-readers')).items;
      if (!this.list.some((r) => r.id === this.chosen)) this.chosen = this.list.find((r) => r.status !== 'offline')?.id || this.list[0]?.id || null;
    } catch (e) {
      this.error = e;
    }
  },
};
let readerPoll = null;

function readerPicker(o) {
  const box = h('div', { class: 'readers' }, h('p', { class: 'muted small' }, 'Looking for card readers…'));
  readers.load().then(() => {
    if (readers.error) {
      return fill(box, h('p', { class: 'muted small' }, readers.error.code === 'payments_unavailable'
        ? 'No card reader is connected here: take the card on your card machine and choose Card machine.'
        : readers.error.message));
    }
    const link = h('button', { type: 'button', class: 'ghost', onclick: () => showPaymentLink(o) }, 'Show a payment link');
    if (!readers.list.length) return fill(box, h('p', { class: 'muted small' }, 'No card reader is registered.'), link);
    const select = h('select', { id: 'pay-reader', name: 'reader_id', onchange: (e) => {
      readers.chosen = e.target.value;
      localStorage.setItem(`brigade.reader.${rid}`, readers.chosen);
    } }, readers.list.map((r) => h('option', { value: r.id, selected: r.id === readers.chosen }, `${r.label || r.id}${r.status === 'offline' ? ' (offline)' : ''}`)));
    fill(box, h('label', { for: 'pay-reader' }, 'Card reader'), select, link);
  });
  return box;
}

async function cancelCard(p) {
  try {
    await call('POST', `/payments/${p.id}/cancel`);
    toast('The reader stopped asking');
  } catch (e) {
    toast(e.message, 'error');
  }
  refreshCheck();
}

async function showPaymentLink(o) {
  let link;
  try {
    link = await call('POST', `/orders/${o.id}/payment-link`);
  } catch (e) {
    return toast(e.message, 'error');
  }
  const svg = new DOMParser().parseFromString(link.qr_svg, 'image/svg+xml').documentElement;
  await ask(`Pay ${fmt(link.amount)} by card`, [
    h('p', {}, 'The guest scans this with their phone and pays on Stripe; the check is paid when Stripe says so.'),
    h('div', { class: 'qr-big' }, document.importNode(svg, true)),
    h('p', { class: 'small' }, h('a', { href: link.url, target: '_blank', rel: 'noopener' }, 'Open the payment page')),
  ], { submit: 'Done', send: async () => true });
  refreshCheck();
}

/** Exact, then the next round notes above it. */
function quickCash(due) {
  const out = [due];
  for (const step of [500, 1000, 2000, 5000, 10000]) {
    const v = Math.ceil(due / step) * step;
    if (v > due && !out.includes(v) && out.length < 4) out.push(v);
  }
  return out;
}

function addRound(o) {
  draft = newDraft({ type: o.type, table_id: o.table_id, check: o, seat: 1 });
  quote = null;
  drawTicket();
  show('order');
}

async function voidLine(l) {
  const reason = h('select', { id: 'void-reason', name: 'reason' }, VOID_REASONS.map((r) => h('option', {}, r)), h('option', { value: '' }, 'Other…'));
  const other = h('input', { id: 'void-other', maxlength: 500, placeholder: 'Say why' });
  const r = await ask(`Void ${l.quantity} × ${l.name}`, [h('label', { for: 'void-reason' }, 'Why'), reason, other,
    mayApprove() ? null : h('p', { class: 'muted small' }, 'A line sent to the kitchen needs a manager: they approve with their PIN.')], {
    submit: 'Void', danger: true,
    send: async () => {
      const why = reason.value || other.value.trim();
      if (!why) throw Object.assign(new Error('Say why the line is voided.'), { field: 'reason' });
      return withApproval(`Voiding ${l.quantity} × ${l.name} (${why}).`, (approval) => call('POST', `/orders/${current.id}/items/${l.id}/void`, { reason: why, approval }));
    },
  });
  if (r) {
    toast(`${l.name} voided`);
    current = r.id ? r : await call('GET', `/orders/${current.id}`);
    drawCheck();
  }
}

async function reopenCheck(o) {
  const reason = h('input', { id: 'reopen-reason', name: 'reason', maxlength: 500, placeholder: 'Forgot dessert, wrong tender…' });
  const r = await ask(`Reopen check #${o.number}`, [h('label', { for: 'reopen-reason' }, 'Why'), reason,
    mayApprove() ? null : h('p', { class: 'muted small' }, 'Reopening a closed check needs a manager: they approve with their PIN.')], {
    submit: 'Reopen',
    send: () => {
      const why = reason.value.trim();
      if (!why) throw Object.assign(new Error('Say why the check is opened again.'), { field: 'reason' });
      return withApproval(`Reopening check #${o.number} (${why}).`, (approval) => call('POST', `/orders/${o.id}/reopen`, { reason: why, approval }));
    },
  });
  if (r) {
    toast(`Check #${o.number} is open again`);
    current = r;
    drawCheck();
  }
}

async function compLine(l) {
  const reason = h('input', { id: 'comp-reason', name: 'reason', maxlength: 500, placeholder: 'Too salty, birthday, long wait…' });
  const r = await ask(`${l.quantity} × ${l.name} on the house`, [h('label', { for: 'comp-reason' }, 'Why'), reason,
    mayApprove() ? null : h('p', { class: 'muted small' }, 'A comp needs a manager: they approve with their PIN.')], {
    submit: 'Comp',
    send: () => {
      const why = reason.value.trim();
      if (!why) throw Object.assign(new Error('Say why it is on the house.'), { field: 'reason' });
      return withApproval(`${l.quantity} × ${l.name} on the house (${why}).`, (approval) => call('POST', `/orders/${current.id}/items/${l.id}/comp`, { reason: why, approval }));
    },
  });
  if (r) {
    toast(`${l.name} is on the house`);
    current = r;
    drawCheck();
  }
}

async function discountCheck(o) {
  const kind = h('select', { id: 'discount-kind', name: 'kind' }, h('option', { value: 'percent' }, 'Per cent'), h('option', { value: 'amount' }, 'Amount'));
  const value = h('input', { id: 'discount-value', name: 'percent', inputmode: 'decimal', value: '10' });
  const presets = h('div', { class: 'row' }, [10, 15, 20, 50].map((p) => h('button', { type: 'button', onclick: () => { kind.value = 'percent'; value.value = String(p); } }, `${p}%`)));
  const reason = h('input', { id: 'discount-reason', name: 'reason', maxlength: 500, placeholder: 'Regular, staff meal, complaint…' });
  const r = await ask(`Discount check #${o.number}`, [presets, h('label', { for: 'discount-kind' }, 'As'), kind, h('label', { for: 'discount-value' }, 'How much'), value,
    h('label', { for: 'discount-reason' }, 'Why'), reason,
    mayApprove() ? null : h('p', { class: 'muted small' }, 'A discount needs a manager: they approve with their PIN.')], {
    submit: 'Discount',
    send: () => {
      const why = reason.value.trim();
      if (!why) throw Object.assign(new Error('Say why the check is discounted.'), { field: 'reason' });
      const body = { reason: why };
      if (kind.value === 'percent') {
        body.percent = Number(value.value);
        if (!(body.percent > 0 && body.percent <= 100)) throw Object.assign(new Error('A discount is 0.01 to 100 %.'), { field: 'percent' });
      } else {
        body.amount = toMinor(value.value, currency);
        if (!(body.amount > 0)) throw Object.assign(new Error('Enter the amount off.'), { field: 'percent' });
      }
      return withApproval(`A discount on check #${o.number} (${why}).`, (approval) => call('POST', `/orders/${o.id}/discount`, { ...body, approval }));
    },
  });
  if (r) {
    toast(`${fmt(r.discount)} off check #${o.number}`);
    current = r;
    drawCheck();
  }
}

async function removeDiscount(o) {
  try {
    current = await call('DELETE', `/orders/${o.id}/discount`);
    toast('Discount taken off');
    drawCheck();
  } catch (e) {
    toast(e.message, 'error');
  }
}

async function moveCheck(o) {
  const select = h('select', { id: 'move-table', name: 'table_id' }, tables.filter((t) => t.id !== o.table_id).map((t) => h('option', { value: t.id }, `${t.name} · ${FLOOR_LABELS[t.status] || t.status}`)));
  const r = await ask(`Move check #${o.number}`, [h('label', { for: 'move-table' }, 'To table'), select], {
    submit: 'Move', send: () => call('POST', `/orders/${o.id}/move`, { table_id: select.value }),
  });
  if (r) {
    toast(`Moved to ${tablesById.get(select.value)?.name || 'the table'}`);
    await loadTables();
    current = r;
    drawCheck();
  }
}

async function mergeCheck(o) {
  const open = (await call('GET', '/orders/queue?limit=200')).items.filter((x) => x.id !== o.id);
  if (!open.length) return toast('No other open check to merge.', 'error');
  const select = h('select', { id: 'merge-from', name: 'order_id' }, open.map((x) => h('option', { value: x.id }, `#${x.number} · ${where(x)} · ${fmt(x.total)}`)));
  const r = await ask(`Merge into check #${o.number}`, [h('label', { for: 'merge-from' }, 'Bring in the lines of'), select], {
    submit: 'Merge', send: () => call('POST', `/orders/${o.id}/merge`, { order_id: select.value }),
  });
  if (r) {
    toast('Checks merged');
    current = r;
    drawCheck();
  }
}

async function splitCheck(o) {
  const live = o.items.filter((l) => !l.voided);
  const seats = new Set(live.map((l) => l.seat).filter(Boolean));
  const by = h('select', { id: 'split-by', name: 'by' },
    h('option', { value: 'seat', disabled: seats.size < 2 }, `By seat${seats.size < 2 ? ' (needs lines on two seats)' : ` (${seats.size} checks)`}`),
    h('option', { value: 'even' }, 'Evenly'),
    h('option', { value: 'items' }, 'By item'));
  if (seats.size < 2) by.value = 'even';
  const ways = h('input', { id: 'split-ways', name: 'ways', type: 'number', min: 2, max: 20, value: 2 });
  const picks = h('fieldset', { class: 'split-items' }, h('legend', {}, 'Lines for the new check'), live.map((l) =>
    h('label', { class: 'inline' }, h('input', { type: 'checkbox', value: l.id }), `${l.quantity} × ${l.name}${l.seat ? ` (seat ${l.seat})` : ''}`)));
  const waysField = h('div', { class: 'field' }, h('label', { for: 'split-ways' }, 'Into how many checks'), ways);
  const sync = () => {
    waysField.hidden = by.value !== 'even';
    picks.hidden = by.value !== 'items';
  };
  by.addEventListener('change', sync);
  sync();
  const r = await ask(`Split check #${o.number}`, [h('label', { for: 'split-by' }, 'Split how'), by, waysField, picks], {
    submit: 'Split', send: () => {
      const body = { by: by.value };
      if (by.value === 'even') body.ways = Number(ways.value);
      if (by.value === 'items') body.groups = [[...picks.querySelectorAll('input:checked')].map((b) => b.value)];
      return call('POST', `/orders/${o.id}/split`, body);
    },
  });
  if (r) {
    toast(`Split into ${r.orders.length} checks: ${r.orders.map((x) => `#${x.number}`).join(', ')}`);
    current = r.orders[0];
    drawCheck();
  }
}

async function closeCheck(o) {
  try {
    current = await call('POST', `/orders/${o.id}/status`, { status: 'completed' });
    toast(`Check #${o.number} closed`);
    drawCheck();
  } catch (e) {
    toast(e.message, 'error');
  }
}

async function cancelCheck(o) {
  const reason = h('input', { id: 'cancel-reason', name: 'reason', maxlength: 500, required: true });
  const r = await ask(`Cancel order #${o.number}`, [h('label', { for: 'cancel-reason' }, 'Why'), reason,
    o.payments.length ? h('p', { class: 'muted small' }, 'It has payments: a manager approves, and what was paid is refunded.') : null], {
    submit: 'Cancel the order', danger: true,
    send: () => {
      if (!reason.value.trim()) throw Object.assign(new Error('Say why the order is cancelled.'), { field: 'reason' });
      return withApproval(`Cancelling order #${o.number}.`, (approval) =>
        call('DELETE', `/orders/${o.id}`, { reason: reason.value.trim(), approval }));
    },
  });
  if (r) {
    toast(`Order #${o.number} cancelled`);
    current = await call('GET', `/orders/${o.id}`);
    drawCheck();
  }
}

async function refund(p) {
  const amount = h('input', { id: 'refund-amount', name: 'amount', inputmode: 'decimal', value: toMajor(p.amount + p.tip - p.refunded, currency) });
  const reason = h('input', { id: 'refund-reason', name: 'reason', maxlength: 500 });
  const r = await ask(`Refund ${METHOD_LABELS[p.method] || p.method} payment`, [h('label', { for: 'refund-amount' }, 'Amount'), amount, h('label', { for: 'refund-reason' }, 'Why'), reason], {
    submit: 'Refund', danger: true,
    send: () => {
      const value = toMinor(amount.value, currency);
      if (Number.isNaN(value)) throw Object.assign(new Error('Enter the amount to refund.'), { field: 'amount' });
      if (!reason.value.trim()) throw Object.assign(new Error('Say why.'), { field: 'reason' });
      return withApproval(`Refunding ${fmt(value)}.`, (approval) => call('POST', `/payments/${p.id}/refund`, { amount: value, reason: reason.value.trim(), approval }));
    },
  });
  if (r) {
    toast(`${fmt(r.amount)} refunded`);
    if (current) {
      current = await call('GET', `/orders/${current.id}`);
      drawCheck();
    }
  }
}

// ---------------------------------------------------------------- receipts

/** What came off a check, one line each: its promotions, the guest's points, a manager's discount. */
function discountLines(o) {
  const given = o.discount - o.promo_discount - o.points_discount;
  return [
    o.promotions.map((p) => [h('dt', {}, p.code && p.code !== p.name ? `${p.name} (${p.code})` : p.name), h('dd', { class: 'promo' }, `−${fmt(p.amount)}`)]),
    o.points_discount ? [h('dt', {}, `${o.points_reward || 'Points'} (${o.points_redeemed})`), h('dd', {}, `−${fmt(o.points_discount)}`)] : null,
    given > 0 ? [h('dt', {}, `Discount${o.discount_percent ? ` ${o.discount_percent}%` : ''}${o.discount_reason ? ` (${o.discount_reason})` : ''}`), h('dd', { id: 'check-discount' }, `−${fmt(given)}`)] : null,
  ];
}

function printReceipt(o) {
  const lines = o.items.filter((l) => !l.voided);
  fill($('#receipt'),
    h('div', { class: 'receipt-paper' },
      h('h2', {}, restaurant.name),
      restaurant.address ? h('p', {}, restaurant.address) : null,
      restaurant.phone ? h('p', {}, restaurant.phone) : null,
      h('p', {}, `Order #${o.number} · ${stamp(o.created_at)}`),
      h('p', {}, where(o)),
      h('table', {}, h('tbody', {}, lines.map((l) => h('tr', {},
        h('td', {}, `${l.quantity} × ${l.name}`, l.modifiers.length ? h('div', { class: 'small' }, l.modifiers.map((m) => m.name).join(', ')) : null),
        h('td', { class: 'num' }, l.comped ? 'on the house' : fmt(l.line_total)))))),
      h('dl', { class: 'totals' }, discountLines(o),
        h('dt', {}, 'Subtotal'), h('dd', {}, fmt(o.subtotal)), h('dt', {}, 'Tax'), h('dd', {}, fmt(o.tax)),
        h('dt', { class: 'total' }, 'Total'), h('dd', { class: 'total' }, fmt(o.total)),
        o.payments.filter((p) => p.status === 'paid' || p.status === 'refunded').map((p) => [
          h('dt', {}, METHOD_LABELS[p.method] || p.method), h('dd', {}, fmt(p.amount)),
          p.tip ? [h('dt', {}, 'Tip'), h('dd', {}, fmt(p.tip))] : null,
          p.change ? [h('dt', {}, 'Change'), h('dd', {}, fmt(p.change))] : null,
          p.refunded ? [h('dt', {}, 'Refunded'), h('dd', {}, fmt(p.refunded))] : null]),
        h('dt', { class: 'total' }, 'Balance'), h('dd', { class: 'total' }, fmt(Math.max(0, o.balance)))),
      h('p', { class: 'thanks' }, 'Thank you!')),
    h('div', { class: 'row no-print' }, h('button', { type: 'button', class: 'primary', onclick: () => window.print() }, 'Print'),
      h('button', { type: 'button', onclick: () => { $('#receipt').hidden = true; document.body.classList.remove('receipt-open'); } }, 'Close')));
  $('#receipt').hidden = false;
  document.body.classList.add('receipt-open');
}

// ---------------------------------------------------------------- order history

let historyCursor = null;
for (const s of (JSON.parse(document.getElementById('brigade-vocabulary')?.textContent || '{}').order_statuses || [])) {
  $('#h-status').append(h('option', { value: s.status }, STATUS_LABELS[s.status] || s.status));
}
for (const c of CHANNELS) $('#h-channel').append(h('option', { value: c }, channelLabel(c)));
$('#history-form').addEventListener('submit', (e) => {
  e.preventDefault();
  loadHistory();
});
$('#history-more').addEventListener('click', () => loadHistory(true));

// Only the newest search is drawn: an earlier one answering late would put back rows
// the counter has searched past.
let historySeq = 0;
async function loadHistory(more = false) {
  const mine = ++historySeq;
  const params = new URLSearchParams();
  for (const [k, v] of new FormData($('#history-form'))) if (String(v).trim()) params.set(k, String(v).trim());
  params.set('limit', '50');
  if (more && historyCursor) params.set('cursor', historyCursor);
  if (!tables.length) await loadTables().catch(() => {});
  let page;
  try {
    page = await call('GET', `/orders?${params}`);
  } catch (e) {
    if (mine === historySeq) toast(e.message, 'error');
    return;
  }
  if (mine !== historySeq) return;
  historyCursor = page.next_cursor;
  $('#history-more').hidden = !historyCursor;
  const rows = page.items.map((o) => h('tr', { class: 'clickable', tabindex: 0, onclick: () => openCheck(o.id), onkeydown: (e) => e.key === 'Enter' && openCheck(o.id) },
    h('td', {}, h('strong', {}, `#${o.number}`)), h('td', {}, dayLabel(o.business_day)), h('td', {}, at(o.created_at)),
    h('td', {}, o.table_id ? tablesById.get(o.table_id)?.name || '' : `${TYPE_LABELS[o.type] || o.type} · ${channelLabel(o.channel)}`),
    h('td', {}, [guestName(o), o.customer?.phone].filter(Boolean).join(' · ')),
    h('td', {}, STATUS_LABELS[o.status] || o.status), h('td', {}, fmt(o.total)), h('td', {}, o.paid ? 'Paid' : fmt(Math.max(0, o.balance)))));
  if (more) $('#history').append(...rows);
  else fill($('#history'), rows.length ? rows : h('tr', {}, h('td', { colspan: 8, class: 'muted' }, 'No order matches.')));
}

// ---------------------------------------------------------------- close of day

async function loadClose() {
  const section = $('#close-view');
  let drawers;
  try {
    drawers = await call('GET', '/drawers');
  } catch (e) {
    return fill(section, h('p', { class: 'error' }, e.message));
  }
  const open = drawers.items;
  const openForm = h('form', { class: 'inline-form', id: 'drawer-open' },
    h('div', { class: 'field' }, h('label', { for: 'drawer-name' }, 'Drawer'), h('input', { id: 'drawer-name', name: 'name', maxlength: 200, value: `Drawer ${open.filter((d) => !d.closed_at).length + 1}` })),
    h('div', { class: 'field' }, h('label', { for: 'drawer-float' }, 'Opening float'), h('input', { id: 'drawer-float', name: 'float', inputmode: 'decimal', value: toMajor(20000, currency) })),
    h('button', { type: 'submit', class: 'primary' }, 'Open drawer'));
  onSubmit(openForm, async () => {
    const float = toMinor(openForm.float.value, currency);
    if (Number.isNaN(float)) throw Object.assign(new Error('Enter the float.'), { field: 'float' });
    await call('POST', '/drawers', { name: openForm.name.value.trim(), float });
    toast('Drawer opened');
    loadClose();
  });
  fill(section,
    h('h2', {}, 'Cash drawers'),
    open.length ? h('div', { class: 'drawers' }, open.map(drawerCard)) : h('p', { class: 'muted' }, 'No drawer is open today. Cash payments go in the drawer you open.'),
    openForm,
    h('div', { id: 'close-out' }));
  if (mayReport()) loadCloseOut(businessDay);
  else $('#close-out').append(h('p', { class: 'muted' }, 'The close-out report is for managers and owners.'));
}

function drawerCard(d) {
  const closed = !!d.closed_at;
  const card = h('div', { class: 'card drawer', dataset: { drawer: d.name } },
    h('h3', {}, d.name, ' ', h('span', { class: 'tag' }, closed ? 'Closed' : 'Open')),
    h('p', { class: 'muted small' }, `Opened by ${d.opened_by_name || d.opened_by} at ${at(d.opened_at)} with ${fmt(d.float)}`),
    h('dl', { class: 'totals' }, h('dt', {}, 'Expected'), h('dd', { class: 'expected' }, fmt(d.expected)),
      closed ? [h('dt', {}, 'Counted'), h('dd', {}, fmt(d.counted)), h('dt', {}, 'Difference'), h('dd', { class: d.difference ? 'short' : '' }, fmt(d.difference))] : null));
  if (closed) return card;
  const move = h('form', { class: 'inline-form' },
    h('select', { name: 'kind', 'aria-label': 'Paid in or out' }, h('option', { value: 'paid_out' }, 'Paid out'), h('option', { value: 'paid_in' }, 'Paid in')),
    h('input', { name: 'amount', inputmode: 'decimal', placeholder: 'Amount', 'aria-label': 'Amount' }),
    h('input', { name: 'reason', maxlength: 500, placeholder: 'Reason', 'aria-label': 'Reason' }),
    h('button', { type: 'submit' }, 'Record'));
  onSubmit(move, async () => {
    const amount = toMinor(move.amount.value, currency);
    if (Number.isNaN(amount)) throw Object.assign(new Error('Enter the amount.'), { field: 'amount' });
    await call('POST', `/drawers/${d.id}/movements`, { kind: move.kind.value, amount, reason: move.reason.value.trim() });
    toast('Recorded');
    loadClose();
  });
  const close = h('form', { class: 'inline-form' },
    h('input', { name: 'counted', inputmode: 'decimal', placeholder: 'Cash counted', 'aria-label': `Cash counted in ${d.name}` }),
    h('button', { type: 'submit', class: 'primary' }, 'Close drawer'));
  onSubmit(close, async () => {
    const counted = toMinor(close.counted.value, currency);
    if (Number.isNaN(counted)) throw Object.assign(new Error('Enter the cash counted.'), { field: 'counted' });
    const r = await call('POST', `/drawers/${d.id}/close`, { counted });
    toast(`${d.name} closed: ${r.difference === 0 ? 'it adds up' : `${fmt(Math.abs(r.difference))} ${r.difference < 0 ? 'short' : 'over'}`}`);
    loadClose();
  });
  card.append(move, close);
  return card;
}

async function loadCloseOut(date) {
  const box = $('#close-out');
  let r;
  try {
    r = await call('GET', `/reports/close-out?date=${date}`);
  } catch (e) {
    return fill(box, h('p', { class: 'error' }, e.message));
  }
  const picker = h('input', { type: 'date', id: 'close-date', value: r.business_day, onchange: (e) => e.target.value && loadCloseOut(e.target.value) });
  fill(box,
    h('div', { class: 'toolbar' }, h('h2', {}, `Close-out · ${dayLabel(r.business_day)}`), h('span', { class: 'spacer' }),
      h('div', { class: 'field' }, h('label', { for: 'close-date' }, 'Business day'), picker),
      h('button', { type: 'button', onclick: () => downloadCsv(r.business_day) }, 'Download CSV'),
      h('button', { type: 'button', onclick: () => window.print() }, 'Print')),
    r.open_checks.length ? h('div', { class: 'card warn' }, h('h3', {}, `${r.open_checks.length} open ${r.open_checks.length === 1 ? 'check' : 'checks'} to close first`),
      h('ul', { class: 'simple' }, r.open_checks.map((c) => h('li', {}, h('button', { type: 'button', class: 'ghost', onclick: () => openCheck(c.order_id) },
        `#${c.number}${c.table_id ? ` · ${tablesById.get(c.table_id)?.name || ''}` : ''} · ${fmt(c.balance)} due`))))) : null,
    h('div', { class: 'stats' },
      stat('Orders', String(r.orders)), stat('Sales', fmt(r.sales), 'close-sales'), stat('Tax', fmt(r.tax)),
      stat('Cash', fmt(r.by_tender.cash), 'close-cash'), stat('Card machine', fmt(r.by_tender.external), 'close-external'), stat('Card', fmt(r.by_tender.card), 'close-card'),
      stat('Tips', fmt(r.tips.total), 'close-tips'), stat('Discounts', fmt(r.discounts))),
    h('h3', {}, 'Tips by person'),
    r.tips.by_person.length ? h('ul', { class: 'simple' }, r.tips.by_person.map((t) => h('li', {}, `${t.name || t.taken_by}: ${fmt(t.tips)}`))) : h('p', { class: 'muted' }, 'No tips.'),
    h('h3', {}, 'Voids'),
    r.voids.length ? h('table', { class: 'grid' }, h('thead', {}, h('tr', {}, ['Time', 'Order', 'What', 'By', 'Approved by', 'Why', 'Amount'].map((t) => h('th', {}, t)))),
      h('tbody', {}, r.voids.map((v) => h('tr', {}, h('td', {}, at(v.at)), h('td', {}, `#${v.number}`), h('td', {}, v.item || 'Whole order'), h('td', {}, v.by_name || v.by),
        h('td', {}, v.approved_by_name || ''), h('td', {}, v.reason || ''), h('td', {}, fmt(v.amount))))))
      : h('p', { class: 'muted' }, 'No voids.'),
    h('h3', {}, 'Comps'),
    r.comps.length ? h('table', { class: 'grid' }, h('thead', {}, h('tr', {}, ['Time', 'Order', 'What', 'By', 'Approved by', 'Why', 'Worth'].map((t) => h('th', {}, t)))),
      h('tbody', {}, r.comps.map((v) => h('tr', {}, h('td', {}, at(v.at)), h('td', {}, `#${v.number}`), h('td', {}, v.item || ''), h('td', {}, v.by_name || v.by),
        h('td', {}, v.approved_by_name || ''), h('td', {}, v.reason || ''), h('td', {}, fmt(v.amount))))))
      : h('p', { class: 'muted' }, 'No comps.'),
    h('h3', {}, 'Discounts'),
    r.discounted.length ? h('table', { class: 'grid' }, h('thead', {}, h('tr', {}, ['Order', 'Off', 'By', 'Approved by', 'Why'].map((t) => h('th', {}, t)))),
      h('tbody', {}, r.discounted.map((d) => h('tr', {}, h('td', {}, `#${d.number}`), h('td', {}, `${fmt(d.amount)}${d.percent ? ` (${d.percent}%)` : ''}`),
        h('td', {}, d.by_name || d.by || ''), h('td', {}, d.approved_by_name || ''), h('td', {}, d.reason || '')))))
      : h('p', { class: 'muted' }, 'No discounts.'),
    h('h3', {}, 'Refunds'),
    r.refunds.length ? h('table', { class: 'grid' }, h('thead', {}, h('tr', {}, ['Time', 'By', 'Why', 'Status', 'Amount'].map((t) => h('th', {}, t)))),
      h('tbody', {}, r.refunds.map((x) => h('tr', {}, h('td', {}, at(x.at)), h('td', {}, x.refunded_by_name || x.refunded_by), h('td', {}, x.reason), h('td', {}, x.status), h('td', {}, fmt(x.amount))))))
      : h('p', { class: 'muted' }, 'No refunds.'));
}

function stat(label, value, id) {
  return h('div', { class: 'stat' }, h('span', { class: 'label' }, label), h('span', { class: 'value', id }, value));
}

async function downloadCsv(date) {
  const r = await fetch(`${base}/reports/close-out?date=${date}&format=csv`, { headers: { Authorization: `Bearer ${await auth.get()}`, Accept: 'text/csv' } });
  if (!r.ok) return toast(`The CSV could not be made (${r.status}).`, 'error');
  const url = URL.createObjectURL(await r.blob());
  const a = h('a', { href: url, download: `close-out-${date}.csv` });
  document.body.append(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 10_000);
}

// ---------------------------------------------------------------- live

const conn = $('#conn');
const reloadFloor = debounce(() => view === 'floor' && loadFloor().catch(() => {}), 300);
const reloadMenu = debounce(() => loadMenu().catch(() => {}), 300);
new Live({
  auth,
  channels: [{ name: `restaurant:${rid}` }],
  onStatus: liveIndicator(conn),
  onEvent: (e) => {
    if (e.type.startsWith('menu.')) reloadMenu();
    if (e.type.startsWith('order.') || e.type.startsWith('table.') || e.type.startsWith('kds.')) {
      reloadFloor();
      refreshCheck();
    }
  },
  onResync: () => {
    reloadFloor();
    refreshCheck();
  },
});

// ---------------------------------------------------------------- start

// The first screen is drawn at once; the menu and tables fill it in as they come (a click
// on another view meanwhile is not undone).
const params = new URLSearchParams(location.search);
if (params.get('order')) openCheck(params.get('order')).catch((e) => toast(e.message, 'error'));
else if (params.get('view')) show(params.get('view'));
else startOrder();
Promise.all([loadMenu(), loadTables()])
  .then(() => view === 'order' && drawTicket())
  .catch((e) => toast(e.message, 'error'));

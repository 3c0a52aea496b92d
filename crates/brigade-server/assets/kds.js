// The kitchen display: open tickets of one station, oldest first; or, for expo (all
// stations), one card per order with each station's part and whether it is done, the
// order complete when every station has bumped. Tap Bump, press a card's number key, or
// Tab to any card and press Enter; R recalls the last bumped ticket. The
// feed is the kds channel; after a drop the screen shows a banner, reconnects with its
// last offset and reloads the open tickets, so no ticket is lost.
import { h, $, fill, api, all, Auth, Live, liveIndicator, debounce, toast, channelLabel, clockTime } from './brigade.js';

const root = $('#tickets');
const rid = root.dataset.rid;
const warn = Number(root.dataset.warn);
const late = Number(root.dataset.late);
const select = $('#station');
const station = select.dataset.selected || null;
const base = `/v1/restaurants/${rid}/kds`;
const auth = Auth.fromCookie();
const banner = $('#offline');
const expo = !station;
const stationNames = new Map();
let tickets = [];
// For expo: the orders with a part still cooking, each with all its parts.
let orders = [];
const bumped = [];
// Ticket ages come from the server (age_seconds), so a kitchen tablet with a wrong
// clock still shows true ages.
const startedAt = new Map();

async function loadStations() {
  const stations = await all(auth, `${base}/stations`);
  for (const s of stations) {
    stationNames.set(s.id, s.name);
    select.append(h('option', { value: s.id, selected: s.id === station }, s.name));
  }
  select.addEventListener('change', () => {
    const q = new URLSearchParams({ r: rid });
    if (select.value) q.set('station', select.value);
    location.search = q.toString();
  });
}

// Loads overlap (a bump, a socket event, a reconnect): only the newest one's answer is
// drawn, so a slow older answer never brings back a part already bumped.
let loading = 0;

async function load() {
  const mine = ++loading;
  const q = station ? `?station_id=${station}&limit=500` : '?limit=500';
  const [page, counts] = await Promise.all([api(auth, 'GET', `${base}/tickets${q}`), api(auth, 'GET', `${base}/all-day${q}`)]);
  const done = expo ? (await api(auth, 'GET', `${base}/tickets?status=bumped&limit=500`)).items : [];
  if (mine !== loading) return;
  tickets = page.items.sort((a, b) => a.created_at.localeCompare(b.created_at));
  const now = Date.now();
  for (const t of tickets) startedAt.set(t.id, now - t.age_seconds * 1000);
  if (expo) {
    const byOrder = new Map();
    for (const t of tickets) {
      if (!byOrder.has(t.order_id)) byOrder.set(t.order_id, { id: t.order_id, first: t, parts: [] });
      byOrder.get(t.order_id).parts.push(t);
    }
    for (const t of done) byOrder.get(t.order_id)?.parts.push(t);
    orders = [...byOrder.values()];
    for (const o of orders) o.parts.sort((a, b) => (stationNames.get(a.station_id) || '').localeCompare(stationNames.get(b.station_id) || ''));
  }
  draw();
  fill($('#allday'), counts.map((c) => h('li', {}, h('b', {}, c.quantity), ' ', c.name)));
  $('#counts').textContent = expo ? `${orders.length} orders, ${tickets.length} tickets open` : `${tickets.length} open`;
}

/** A ticket's lines as the cook reads them. */
function lines(t) {
  return h('ul', { class: 'items' }, t.items.map((l) =>
    h('li', l.voided ? { class: 'voided', 'aria-label': `Voided: ${l.name}` } : {},
      h('span', { class: 'qty' }, l.voided ? 'VOID' : l.quantity),
      l.seat ? h('span', { class: 'seat' }, `S${l.seat}`) : null,
      h('span', { class: 'name' }, l.name,
        l.modifiers.length ? h('span', { class: 'mods' }, l.modifiers.map((m) => m.name).join(', ')) : null,
        l.notes ? h('span', { class: 'note' }, l.notes) : null,
        l.flag ? h('span', { class: 'flag', role: 'note' }, `⚠ ${l.flag}`) : null))));
}

const where = (t) => (t.table || t.guest || t.round > 1
  ? h('p', { class: 'where' }, [t.table ? `Table ${t.table}` : null, t.guest, t.round > 1 ? `round ${t.round}` : null].filter(Boolean).join(' · '))
  : null);

/** Enter or Space on a focused card bumps it: every card is reachable by keyboard. */
const keyBump = (fn) => (e) => {
  if ((e.key === 'Enter' || e.key === ' ') && e.target === e.currentTarget) {
    e.preventDefault();
    fn();
  }
};

function drawExpo() {
  fill(root, orders.map((o, i) => {
    const t = o.first;
    const open = o.parts.filter((p) => p.status === 'open');
    return h('article', { class: 'ticket expo', tabindex: 0, dataset: { id: t.id, order: o.id }, 'aria-label': `Order ${t.order_number}, ${open.length} of ${o.parts.length} stations cooking`, onkeydown: keyBump(() => bumpOrder(o)) },
      h('header', {},
        h('span', { class: 'key', 'aria-hidden': 'true' }, i < 9 ? String(i + 1) : ''),
        h('strong', { class: 'number' }, `#${t.order_number}`),
        h('span', { class: 'kind' }, `${channelLabel(t.channel)} · ${t.type.replace('_', ' ')}`),
        h('span', { class: 'timer', dataset: { id: t.id } })),
      where(t),
      t.promised_at ? h('p', { class: 'promised' }, `Promised ${clockTime(t.promised_at)}`) : null,
      o.parts.map((p) => h('section', { class: `part ${p.status === 'open' ? 'cooking' : 'done'}` },
        h('h3', {}, stationNames.get(p.station_id) || 'Kitchen', ' ', h('span', { class: 'state' }, p.status === 'open' ? 'cooking' : '✓ done')),
        lines(p))),
      t.special_instructions ? h('p', { class: 'note' }, t.special_instructions) : null,
      t.promotions?.length ? h('p', { class: 'promo' }, `Promo: ${t.promotions.join(', ')}`) : null,
      h('button', { type: 'button', class: 'bump', onclick: () => bumpOrder(o) }, i < 9 ? `Bump order (${i + 1})` : 'Bump order'));
  }));
  if (!orders.length) root.append(h('p', { class: 'empty' }, 'No open tickets'));
  tick();
}

function draw() {
  if (expo) return drawExpo();
  fill(
    root,
    tickets.map((t, i) =>
      h(
        'article',
        { class: 'ticket', tabindex: 0, dataset: { id: t.id }, 'aria-label': `Order ${t.order_number}`, onkeydown: keyBump(() => bump(t)) },
        h(
          'header',
          {},
          h('span', { class: 'key', 'aria-hidden': 'true' }, i < 9 ? String(i + 1) : ''),
          h('strong', { class: 'number' }, `#${t.order_number}`),
          h('span', { class: 'kind' }, `${channelLabel(t.channel)} · ${t.type.replace('_', ' ')}`),
          h('span', { class: 'timer', dataset: { id: t.id } }),
        ),
        where(t),
        lines(t),
        t.special_instructions ? h('p', { class: 'note' }, t.special_instructions) : null,
        t.promotions?.length ? h('p', { class: 'promo' }, `Promo: ${t.promotions.join(', ')}`) : null,
        h('button', { type: 'button', class: 'bump', onclick: () => bump(t) }, i < 9 ? `Bump (${i + 1})` : 'Bump'),
      ),
    ),
  );
  if (!tickets.length) root.append(h('p', { class: 'empty' }, 'No open tickets'));
  tick();
}

function tick() {
  const now = Date.now();
  for (const el of root.querySelectorAll('.timer')) {
    const secs = Math.max(0, Math.floor((now - (startedAt.get(el.dataset.id) || now)) / 1000));
    el.textContent = `${Math.floor(secs / 60)}:${String(secs % 60).padStart(2, '0')}`;
    const ticket = el.closest('.ticket');
    ticket.classList.toggle('warn', secs >= warn && secs < late);
    ticket.classList.toggle('late', secs >= late);
  }
  $('#clock').textContent = clockTime();
}

async function bump(t) {
  try {
    await api(auth, 'POST', `${base}/tickets/${t.id}/bump`);
    bumped.push(t.id);
    tickets = tickets.filter((x) => x.id !== t.id);
    draw();
  } catch (e) {
    toast(e.message, 'error');
  }
  reload();
}

/** Expo bumps an order: every station's part still open, so the order is ready. */
async function bumpOrder(o) {
  try {
    for (const p of o.parts.filter((x) => x.status === 'open')) {
      try {
        await api(auth, 'POST', `${base}/tickets/${p.id}/bump`);
        bumped.push(p.id);
      } catch (e) {
        // Bumped at its station meanwhile: done already, go on with the others.
        if (e.status !== 409) throw e;
      }
    }
    orders = orders.filter((x) => x.id !== o.id);
    draw();
  } catch (e) {
    toast(e.message, 'error');
  }
  reload();
}

async function recall() {
  const id = bumped.pop();
  if (!id) return toast('Nothing to recall');
  try {
    await api(auth, 'POST', `${base}/tickets/${id}/recall`);
  } catch (e) {
    toast(e.message, 'error');
  }
  reload();
}

const reload = debounce(() => load().catch((e) => toast(`Could not load tickets: ${e.message}`, 'error')), 60);

document.addEventListener('keydown', (e) => {
  if (e.target.closest('input, select, textarea') || e.ctrlKey || e.metaKey || e.altKey) return;
  if (e.key >= '1' && e.key <= '9') {
    if (expo) {
      const o = orders[Number(e.key) - 1];
      if (o) bumpOrder(o);
      return;
    }
    const t = tickets[Number(e.key) - 1];
    if (t) bump(t);
  } else if (e.key === 'r' || e.key === 'R') {
    recall();
  }
});
$('#recall').addEventListener('click', recall);
setInterval(tick, 1000);

await loadStations().catch((e) => toast(e.message, 'error'));
await load().catch((e) => toast(`Could not load tickets: ${e.message}`, 'error'));
new Live({
  auth,
  channels: [{ name: `kds:${rid}:${station || 'all'}` }],
  onEvent: reload,
  onResync: reload,
  onStatus: liveIndicator($('#conn'), (s) => {
    banner.hidden = s === 'online';
    document.body.classList.toggle('is-offline', s !== 'online');
  }),
});

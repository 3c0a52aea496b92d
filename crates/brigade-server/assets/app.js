// The manager dashboard. The server renders the frame (navigation, restaurant, user);
// this module draws the current section from the API and keeps it live.
import {
  h, $, fill, api, all, Auth, Live, liveIndicator, debounce, money, toMinor, toMajor, since, clockTime, dayTime, stamp, dateOf, toast, showFieldError, channelLabel, onSubmit, CHANNELS,
} from './brigade.js';
import { OrdersBoard } from './board.js';

const main = $('#main');
const view = $('#view');
const rid = main.dataset.rid;
const section = main.dataset.section;
const restaurant = JSON.parse($('#restaurant-data').textContent);
const currency = restaurant.currency;
const auth = Auth.fromCookie();
const base = `/v1/restaurants/${rid}`;
const DAYS = ['Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat', 'Sun'];

$('#sign-out').addEventListener('click', async () => {
  const csrf = document.querySelector('meta[name="csrf-token"]').content;
  await fetch('/web/session', { method: 'DELETE', headers: { 'X-CSRF-Token': csrf } }).catch(() => {});
  location.href = '/login';
});
$('#restaurant-switch')?.addEventListener('change', (e) => {
  location.href = `${location.pathname}?r=${e.target.value}`;
});

/** Subscribes to this restaurant's feed; `handler` gets each event. The busy badge in the
 * top bar follows the same feed. */
function live(handler, onResync = () => {}) {
  const conn = $('#conn');
  return new Live({
    auth,
    channels: [{ name: `restaurant:${rid}` }],
    onEvent: (e) => {
      if (e.type === 'restaurant.busy_changed') loadBusy();
      handler(e);
    },
    onResync: () => {
      loadBusy();
      onResync();
    },
    onStatus: liveIndicator(conn),
  });
}

// ---------------------------------------------------------------- busy mode, everywhere

/** Listeners of busy mode's state (the badge, the Today card). */
const busyWatchers = [showBusyBadge];
let busyNow = null;
async function loadBusy() {
  try {
    busyNow = await api(auth, 'GET', `${base}/busy`);
  } catch {
    return; // the badge keeps its last state
  }
  for (const fn of busyWatchers) fn(busyNow);
}

/** Busy mode in a line: "+15 min on quotes · QR, Uber Eats paused · until 21:30". */
function busyLine(b) {
  const parts = [];
  if (b.extra_minutes) parts.push(`+${b.extra_minutes} min on quotes`);
  if (b.paused_channels.length) parts.push(`${b.paused_channels.map(channelLabel).join(', ')} paused`);
  parts.push(`until ${dayTime(b.until)}`);
  return parts.join(' · ');
}

function showBusyBadge(b) {
  const badge = $('#busy-badge');
  badge.hidden = !b.active;
  badge.textContent = b.active ? `Busy: ${busyLine(b)}` : '';
}
loadBusy();

// ---------------------------------------------------------------- the assistant

const dock = $('#assistant');
const dockToggle = $('#assistant-toggle');
let assistant = null;
/** Opens or closes the assistant beside the page; it stays open from page to page. */
async function openAssistant(open) {
  dock.hidden = !open;
  dockToggle.setAttribute('aria-expanded', String(open));
  document.body.classList.toggle('with-assistant', open);
  sessionStorage.setItem('brigade-assistant', open ? 'open' : '');
  if (!open) return;
  if (!assistant) {
    const { AssistantPanel } = await import(`./assistant.js${new URL(import.meta.url).search}`);
    assistant = new AssistantPanel({ root: $('#assistant-panel'), rid, auth });
  }
  assistant.focus();
}
dockToggle.addEventListener('click', () => openAssistant(dock.hidden).catch((e) => toast(e.message, 'error')));
$('#assistant-close').addEventListener('click', () => (openAssistant(false), dockToggle.focus()));
dock.addEventListener('keydown', (e) => e.key === 'Escape' && (openAssistant(false), dockToggle.focus()));
if (sessionStorage.getItem('brigade-assistant') === 'open') openAssistant(true).catch(() => {});

const field = (label, input, hint) => {
  input.id = input.id || `f-${Math.random().toString(36).slice(2, 9)}`;
  return h('div', { class: 'field' }, h('label', { for: input.id }, label), input, hint ? h('small', { class: 'muted' }, hint) : null);
};

const sections = {
  // ------------------------------------------------------------ today
  async today() {
    const cards = h('div', { class: 'stats' });
    const channels = h('tbody');
    const day = h('p', { class: 'muted', id: 'business-day' });
    fill(
      view,
      day,
      busyCard(),
      cards,
      callsCard(),
      h('h2', {}, 'By channel'),
      h('table', { class: 'grid' }, h('thead', {}, h('tr', {}, h('th', {}, 'Channel'), h('th', {}, 'Orders'), h('th', {}, 'Sales'), h('th', {}, 'Avg. ticket'))), channels),
      h('p', {}, h('a', { href: `/app/orders?r=${rid}` }, 'Open the live orders board →')),
    );
    const stat = (label, value) => h('div', { class: 'stat' }, h('span', { class: 'label' }, label), h('span', { class: 'value' }, value));
    const load = async () => {
      const [s, tickets] = await Promise.all([api(auth, 'GET', `${base}/orders/stats`), api(auth, 'GET', `${base}/kds/tickets?limit=500`)]);
      const date = new Date(`${s.business_day}T12:00:00Z`).toLocaleDateString(undefined, { timeZone: 'UTC', weekday: 'long', day: 'numeric', month: 'long', year: 'numeric' });
      day.textContent = `Business day ${date} (it turns over at ${restaurant.day_starts_at.slice(0, 5)}). Open orders and tickets count from earlier days too.`;
      fill(
        cards,
        stat('Sales', money(s.sales, currency)),
        stat('Orders', s.orders),
        stat('Open orders', s.open),
        stat('Open tickets', tickets.items.length),
        stat('Avg. ticket time', s.avg_ticket_minutes == null ? '—' : `${s.avg_ticket_minutes.toFixed(1)} min`),
        stat('Average order', s.average_order == null ? '—' : money(s.average_order, currency)),
        stat('Cancelled', s.cancelled),
      );
      const rows = Object.entries(s.by_channel).sort((a, b) => b[1].sales - a[1].sales);
      fill(
        channels,
        rows.length
          ? rows.map(([c, v]) =>
              h('tr', {}, h('td', {}, channelLabel(c)), h('td', {}, v.orders), h('td', {}, money(v.sales, currency)), h('td', {}, v.avg_ticket_minutes == null ? '—' : `${v.avg_ticket_minutes.toFixed(1)} min`)),
            )
          : h('tr', {}, h('td', { colspan: 4, class: 'muted' }, 'No orders yet today.')),
      );
    };
    const reload = debounce(() => load().catch((e) => toast(e.message, 'error')), 300);
    await load();
    live((e) => {
      if (e.type.startsWith('phone.')) return callWatchers.forEach((fn) => fn(e));
      if (e.type.startsWith('order.') || e.type.startsWith('kds.ticket')) reload();
    }, () => {
      reload();
      callWatchers.forEach((fn) => fn(null));
    });
  },

  // ------------------------------------------------------------ orders
  async orders() {
    const sound = h('input', { type: 'checkbox', id: 'sound' });
    const boardRoot = h('div');
    fill(view, h('div', { class: 'row' }, h('label', { for: 'sound', class: 'inline' }, sound, ' Sound on new orders')), boardRoot);
    const members = (await all(auth, `${base}/users`)).filter((m) => m.is_active).map((m) => ({ id: m.id, name: m.name }));
    const board = new OrdersBoard({ root: boardRoot, rid, auth, currency, members });
    sound.addEventListener('change', () => (board.sound = sound.checked));
    await board.load();
    live((e) => e.type.startsWith('order.') && board.reload(), () => board.reload());
  },

  // ------------------------------------------------------------ 86 board
  async 86() {
    const reason = h('input', { id: 'reason', placeholder: 'e.g. sold out', maxlength: 200 });
    const eod = h('input', { type: 'checkbox', id: 'eod', checked: true });
    const filter = h('input', { id: 'filter', type: 'search', placeholder: 'Find an item' });
    const list = h('ul', { class: 'eighty-six', 'aria-label': 'Items' });
    const optionList = h('ul', { class: 'eighty-six', 'aria-label': 'Options' });
    const selectedCount = h('span', {}, '0 selected');
    const bulk = (available) => async () => {
      const ids = [...list.querySelectorAll('input[type=checkbox]:checked')].map((c) => c.value);
      if (!ids.length) return toast('Select items first');
      try {
        await api(auth, 'POST', `${base}/menu/bulk-availability`, change(available, ids));
        toast(`${ids.length} item(s) ${available ? 'back on' : "86'd"}`);
        for (const c of list.querySelectorAll('input[type=checkbox]:checked')) c.checked = false;
      } catch (e) {
        toast(e.message, 'error');
      }
      load();
    };
    const change = (available, ids) => {
      const body = { available };
      if (!available) {
        body.reason = reason.value.trim() || null;
        body.until = eod.checked ? 'end_of_day' : null;
      }
      if (ids) body.item_ids = ids;
      return body;
    };
    fill(
      view,
      h(
        'div',
        { class: 'toolbar' },
        field('Reason', reason),
        h('label', { class: 'inline', for: 'eod' }, eod, ' Until end of day'),
        field('Find', filter),
        h('span', { class: 'spacer' }),
        selectedCount,
        h('button', { type: 'button', class: 'danger', onclick: bulk(false) }, '86 selected'),
        h('button', { type: 'button', onclick: bulk(true) }, 'Back on'),
      ),
      list,
      h('h2', {}, 'Options'),
      h('p', { class: 'muted' }, 'A choice on an item (a topping, a side). 86 one and guests cannot choose it; an item whose required choice has none left is unavailable.'),
      optionList,
    );
    const categories = new Map((await all(auth, `${base}/menu/categories`)).map((c) => [c.id, c.name]));
    const load = async () => {
      const items = await all(auth, `${base}/menu/items`);
      items.sort((a, b) => (categories.get(a.category_id) || '').localeCompare(categories.get(b.category_id) || '') || a.name.localeCompare(b.name));
      // A live update must not drop what the manager has ticked.
      const ticked = new Set([...list.querySelectorAll('input[type=checkbox]:checked')].map((c) => c.value));
      fill(
        list,
        items.map((i) => {
          const out = !i.availability.available || i.availability.channels;
          return h(
            'li',
            { class: out ? 'out' : '', dataset: { name: i.name.toLowerCase() } },
            h('input', { type: 'checkbox', value: i.id, id: `sel-${i.id}`, 'aria-label': `Select ${i.name}`, checked: ticked.has(i.id), onchange: count }),
            h('label', { for: `sel-${i.id}`, class: 'item-name' }, i.name, h('small', { class: 'muted' }, ` ${categories.get(i.category_id) || ''}`)),
            ...stateAndToggle(i, i.name, `${base}/menu/items/${i.id}/availability`),
          );
        }),
      );
      // Every option once, with the items it is a choice on (a group copied to several
      // items keeps its options' ids, and an 86 takes the option off all of them).
      const options = new Map();
      for (const i of items) {
        for (const g of i.modifier_groups) {
          for (const o of g.options) {
            const seen = options.get(o.id) || options.set(o.id, { o, group: g.name, on: [] }).get(o.id);
            seen.on.push(i.name);
          }
        }
      }
      fill(optionList, [...options.values()].map(({ o, group, on }) =>
        h('li', { class: !o.available || o.availability.channels ? 'out' : '', dataset: { name: `${o.name} ${on.join(' ')}`.toLowerCase() } },
          h('span', { class: 'item-name' }, o.name, h('small', { class: 'muted' }, ` ${group} · ${on.join(', ')}`)),
          ...stateAndToggle(o, `${o.name} (${group}, ${on.join(', ')})`, `${base}/menu/options/${o.id}/availability`))));
      applyFilter();
      count();
    };
    /** An item's or option's state ("86'd: sold out until 17:00"), and its 86 / Back on button. */
    const stateAndToggle = (thing, label, path) => {
      const a = thing.availability;
      const out = !a.available || a.channels;
      return [
        h('span', { class: 'state' }, out
          ? `86'd: ${a.reason || ''}${a.until ? ` until ${clockTime(a.until)}` : ''}${a.channels ? ` (${a.channels.join(', ')})` : ''}`
          : thing.is_active ? 'On' : 'Inactive'),
        h('button', {
          type: 'button', class: out ? '' : 'danger', 'aria-label': out ? `Bring back ${label}` : `86 ${label}`,
          onclick: async () => {
            try {
              await api(auth, 'POST', path, change(!!out));
              toast(out ? `${thing.name} is back` : `${thing.name} 86'd`);
            } catch (e) {
              toast(e.message, 'error');
            }
            load();
          },
        }, out ? 'Back on' : '86'),
      ];
    };
    function count() {
      selectedCount.textContent = `${list.querySelectorAll('input[type=checkbox]:checked').length} selected`;
    }
    function applyFilter() {
      const q = filter.value.trim().toLowerCase();
      for (const li of [...list.children, ...optionList.children]) li.hidden = q !== '' && !li.dataset.name.includes(q);
    }
    filter.addEventListener('input', applyFilter);
    await load();
    const reload = debounce(load, 200);
    live((e) => e.type.startsWith('menu.') && reload(), reload);
  },

  // ------------------------------------------------------------ menu editor
  async menu() {
    const stationsEl = h('div');
    const categoriesEl = h('div');
    const itemsEl = h('div');
    fill(
      view,
      h('section', { class: 'card' }, h('h2', {}, 'Kitchen stations'), stationsEl),
      h('section', { class: 'card' }, h('h2', {}, 'Categories'), categoriesEl),
      h('section', { class: 'card' }, h('h2', {}, 'Items'), itemsEl),
    );
    let stations = [];
    let categories = [];
    const load = async () => {
      [stations, categories] = await Promise.all([all(auth, `${base}/kds/stations`), all(auth, `${base}/menu/categories`)]);
      const items = await all(auth, `${base}/menu/items`);
      drawStations();
      drawCategories();
      drawItems(items);
    };
    const stationOptions = (selected) => [h('option', { value: '' }, '—'), stations.map((s) => h('option', { value: s.id, selected: s.id === selected }, s.name))];

    function drawStations() {
      const name = h('input', { name: 'name', required: true, maxlength: 100 });
      const form = h('form', { class: 'inline-form', 'aria-label': 'Add a station' }, field('New station', name), h('button', { type: 'submit' }, 'Add station'));
      form.addEventListener('submit', (e) =>
        submit(e, form, () => api(auth, 'POST', `${base}/kds/stations`, { name: name.value }, { idempotent: true }), 'Station added'),
      );
      fill(
        stationsEl,
        h('ul', { class: 'simple' }, stations.map((s) =>
          h('li', {}, s.name, ' ', h('a', { href: `/kds?r=${rid}&station=${s.id}` }, 'open display'), ' ',
            h('button', { type: 'button', class: 'ghost danger', onclick: () => remove(`${base}/kds/stations/${s.id}`, `station ${s.name}`) }, 'Delete'))),
        ),
        form,
      );
    }

    function categoryForm(c) {
      const name = h('input', { name: 'name', required: true, maxlength: 100, value: c?.name || '' });
      const desc = h('input', { name: 'description', maxlength: 500, value: c?.description || '' });
      const station = h('select', { name: 'station_id' }, stationOptions(c?.station_id));
      const parent = h('select', { name: 'parent_id' }, h('option', { value: '' }, '— top level —'),
        categories.filter((x) => x.id !== c?.id).map((x) => h('option', { value: x.id, selected: x.id === c?.parent_id }, x.name)));
      const sort = h('input', { name: 'sort_order', type: 'number', value: c?.sort_order ?? 0 });
      const active = h('input', { name: 'is_active', type: 'checkbox', checked: c ? c.is_active : true });
      const form = h('form', { class: 'grid-form', 'aria-label': c ? `Edit category ${c.name}` : 'Add a category' },
        field('Category name', name), field('Description', desc), field('Station', station), field('Inside', parent), field('Sort', sort),
        h('label', { class: 'inline' }, active, ' Active'),
        h('button', { type: 'submit', class: 'primary' }, c ? 'Save category' : 'Add category'));
      form.addEventListener('submit', (e) => {
        const body = { name: name.value, description: desc.value || null, station_id: station.value || null, parent_id: parent.value || null, sort_order: Number(sort.value) || 0, is_active: active.checked };
        submit(e, form, () => (c ? api(auth, 'PUT', `${base}/menu/categories/${c.id}`, body) : api(auth, 'POST', `${base}/menu/categories`, body, { idempotent: true })), c ? 'Category saved' : 'Category added');
      });
      return form;
    }

    function drawCategories() {
      fill(
        categoriesEl,
        h('ul', { class: 'simple' }, categories.map((c) => {
          const li = h('li', {}, h('span', { class: c.is_active ? '' : 'muted' }, c.name), ' ',
            h('button', { type: 'button', class: 'ghost', onclick: () => li.append(categoryForm(c)) }, 'Edit'),
            h('button', { type: 'button', class: 'ghost danger', onclick: () => remove(`${base}/menu/categories/${c.id}`, `category ${c.name}`) }, 'Delete'));
          return li;
        })),
        categoryForm(null),
      );
    }

    function drawItems(items) {
      const list = h('ul', { class: 'simple items' });
      for (const c of categories) {
        const inCat = items.filter((i) => i.category_id === c.id);
        if (!inCat.length) continue;
        list.append(h('li', { class: 'group-head' }, c.name));
        for (const i of inCat) {
          const li = h('li', {}, h('span', { class: i.is_active ? '' : 'muted' }, i.name), ' ', h('span', { class: 'muted' }, money(i.price, currency)),
            i.modifier_groups.length ? h('span', { class: 'tag' }, `${i.modifier_groups.length} modifier group(s)`) : null, ' ',
            h('button', { type: 'button', class: 'ghost', onclick: () => openItem(i) }, 'Edit'),
            h('button', { type: 'button', class: 'ghost', onclick: () => openRecipe(i) }, 'Recipe'),
            h('button', { type: 'button', class: 'ghost danger', onclick: () => remove(`${base}/menu/items/${i.id}`, `item ${i.name}`) }, 'Delete'));
          list.append(li);
        }
      }
      fill(itemsEl, categories.length ? h('button', { type: 'button', class: 'primary', onclick: () => openItem(null) }, 'New item') : h('p', { class: 'muted' }, 'Add a category first.'), list);
    }

    function openItem(item) {
      const dialog = h('dialog', { class: 'wide', 'aria-labelledby': 'item-editor-title' });
      const form = itemForm(item, () => dialog.close());
      fill(dialog, h('h2', { id: 'item-editor-title' }, item ? `Edit ${item.name}` : 'New item'), form);
      dialog.addEventListener('close', () => dialog.remove());
      document.body.append(dialog);
      dialog.showModal();
    }

    async function openRecipe(item) {
      const [recipe, stock] = await Promise.all([api(auth, 'GET', `${base}/menu/items/${item.id}/recipe`), all(auth, `${base}/inventory/items`)]);
      const dialog = h('dialog', { class: 'wide', 'aria-labelledby': 'recipe-title' });
      const rows = h('tbody');
      const summary = h('p', { role: 'status' });
      const options = item.modifier_groups.flatMap((g) => g.options.map((o) => ({ id: o.id, name: `${g.name}: ${o.name}` })));
      const unitsOf = (s) => (s ? [s.unit, ...s.purchase_units.map((p) => p.name), ...({ g: ['kg', 'oz', 'lb'], ml: ['l', 'fl_oz'], each: ['dozen'] }[s.unit] || [])] : []);
      const addRow = (l) => {
        const ingredient = h('select', { 'aria-label': 'Ingredient' }, h('option', { value: '' }, 'choose…'), stock.map((s) => h('option', { value: s.id, selected: s.id === l?.inventory_item_id }, s.name)));
        const when = h('select', { 'aria-label': 'When' }, h('option', { value: '' }, 'every portion'), options.map((o) => h('option', { value: o.id, selected: o.id === l?.option_id }, `with ${o.name}`)));
        const quantity = h('input', { inputmode: 'decimal', value: l ? String(l.quantity) : '1', 'aria-label': 'Quantity per portion' });
        const unit = h('select', { 'aria-label': 'Unit' });
        const setUnits = () => fill(unit, unitsOf(stock.find((s) => s.id === ingredient.value)).map((u) => h('option', { value: u }, u)));
        ingredient.addEventListener('change', setUnits);
        setUnits();
        const tr = h('tr', { class: 'recipe-line' }, h('td', {}, ingredient), h('td', {}, when), h('td', {}, quantity), h('td', {}, unit),
          h('td', {}, h('button', { type: 'button', class: 'ghost', onclick: () => tr.remove() }, 'Remove')));
        tr.fields = { ingredient, when, quantity, unit };
        rows.append(tr);
      };
      const show = (r) => {
        summary.textContent = `A plain portion costs ${money(r.portion_cost, currency)} of its ${money(r.price, currency)} price` +
          (r.food_cost_percent == null ? '' : ` (${r.food_cost_percent}% food cost)`) + (r.can_make ? '.' : '. Stock cannot make one now: it is 86\'d until it can.');
      };
      recipe.lines.forEach(addRow);
      show(recipe);
      const error = h('p', { class: 'error', role: 'alert' });
      const form = h('form', { novalidate: true }, h('table', { class: 'grid', 'data-field': 'lines' },
        h('thead', {}, h('tr', {}, ['Ingredient', 'When', 'Quantity', 'Unit', ''].map((t) => h('th', {}, t)))), rows),
        h('button', { type: 'button', onclick: () => addRow(null) }, '+ Ingredient'), summary, error,
        h('div', { class: 'row' }, h('button', { type: 'button', class: 'ghost', onclick: () => dialog.close() }, 'Close'), h('button', { type: 'submit', class: 'primary' }, 'Save recipe')));
      form.addEventListener('submit', async (e) => {
        e.preventDefault();
        error.textContent = '';
        const lines = [...rows.querySelectorAll('.recipe-line')].map((tr) => ({
          inventory_item_id: tr.fields.ingredient.value, option_id: tr.fields.when.value || null,
          quantity: Number(tr.fields.quantity.value), unit: tr.fields.unit.value || null,
        }));
        try {
          const r = await api(auth, 'PUT', `${base}/menu/items/${item.id}/recipe`, { lines });
          show(r);
          toast('Recipe saved');
        } catch (err) {
          error.textContent = err.field ? `${err.field}: ${err.message}` : err.message;
        }
      });
      fill(dialog, h('h2', { id: 'recipe-title' }, `Recipe: ${item.name}`), stock.length ? form : h('p', {}, 'Add stock items on the Inventory page first.'));
      dialog.addEventListener('close', () => dialog.remove());
      document.body.append(dialog);
      dialog.showModal();
    }

    function itemForm(item, close) {
      const i = item || { name: '', category_id: categories[0]?.id, price: 0, allergens: [], images: [], prep_minutes: 0, is_active: true, channels: {}, schedule: { windows: [] }, modifier_groups: [] };
      const name = h('input', { name: 'name', required: true, maxlength: 100, value: i.name });
      const category = h('select', { name: 'category_id' }, categories.map((c) => h('option', { value: c.id, selected: c.id === i.category_id }, c.name)));
      const price = h('input', { name: 'price', inputmode: 'decimal', value: toMajor(i.price, currency) });
      const cost = h('input', { name: 'cost', inputmode: 'decimal', value: i.cost == null ? '' : toMajor(i.cost, currency) });
      const sku = h('input', { name: 'sku', value: i.sku || '' });
      const desc = h('textarea', { name: 'description', rows: 2 }, i.description || '');
      const allergens = h('input', { name: 'allergens', value: i.allergens.join(', ') });
      const images = h('input', { name: 'images', value: i.images.join(' ') });
      const prep = h('input', { name: 'prep_minutes', type: 'number', min: 0, max: 1440, value: i.prep_minutes });
      const station = h('select', { name: 'station_id' }, stationOptions(i.station_id));
      const active = h('input', { type: 'checkbox', name: 'is_active', checked: i.is_active });

      const channelRows = CHANNELS.map((c) => {
        const s = i.channels[c] || {};
        const on = h('input', { type: 'checkbox', checked: s.enabled !== false, 'aria-label': `Sell on ${c}` });
        const p = h('input', { inputmode: 'decimal', placeholder: 'menu price', value: s.price == null ? '' : toMajor(s.price, currency), 'aria-label': `Price on ${c}` });
        return { c, on, p, el: h('tr', {}, h('td', {}, channelLabel(c)), h('td', {}, on), h('td', {}, p)) };
      });
      const windowsEl = h('div', { 'data-field': 'schedule' });
      const windowRows = [];
      const addWindow = (w) => {
        const days = DAYS.map((d) => h('label', { class: 'inline day' }, h('input', { type: 'checkbox', value: d, checked: w ? w.days.includes(d) : true }), d));
        const start = h('input', { type: 'time', value: (w?.start || '11:00:00').slice(0, 5), 'aria-label': 'From' });
        const end = h('input', { type: 'time', value: (w?.end || '22:00:00').slice(0, 5), 'aria-label': 'Until' });
        const row = { days, start, end };
        const el = h('div', { class: 'window' }, days, start, '–', end, h('button', { type: 'button', class: 'ghost', onclick: () => { el.remove(); windowRows.splice(windowRows.indexOf(row), 1); } }, 'Remove'));
        windowRows.push(row);
        windowsEl.append(el);
      };
      (i.schedule.windows || []).forEach(addWindow);

      const groupsEl = h('div');
      const groupRows = [];
      const addGroup = (g) => {
        const gname = h('input', { value: g?.name || '', required: true, 'aria-label': 'Group name', placeholder: 'e.g. Doneness' });
        const min = h('input', { type: 'number', min: 0, value: g?.min ?? 0, 'aria-label': 'Minimum choices' });
        const max = h('input', { type: 'number', min: 1, value: g?.max ?? 1, 'aria-label': 'Maximum choices' });
        const optionsEl = h('div');
        const row = { id: g?.id, gname, min, max, options: [] };
        const addOption = (o) => {
          const oname = h('input', { value: o?.name || '', 'aria-label': 'Option name', placeholder: 'e.g. Medium' });
          const delta = h('input', { inputmode: 'decimal', value: o ? toMajor(o.price_delta, currency) : '0', 'aria-label': 'Price change' });
          const orow = { id: o?.id, oname, delta, is_active: o?.is_active ?? true };
          const el = h('div', { class: 'option' }, oname, delta, h('button', { type: 'button', class: 'ghost', onclick: () => { el.remove(); row.options.splice(row.options.indexOf(orow), 1); } }, 'Remove'));
          row.options.push(orow);
          optionsEl.append(el);
        };
        (g?.options || []).forEach(addOption);
        const fs = h('fieldset', { class: 'group', 'data-field': `modifier_groups[${groupRows.length}]` },
          h('legend', {}, 'Modifier group'),
          h('div', { class: 'row' }, gname, h('label', { class: 'inline' }, 'min ', min), h('label', { class: 'inline' }, 'max ', max),
            h('button', { type: 'button', class: 'ghost danger', onclick: () => { fs.remove(); groupRows.splice(groupRows.indexOf(row), 1); } }, 'Remove group')),
          optionsEl,
          h('button', { type: 'button', class: 'ghost', onclick: () => addOption(null) }, '+ Option'));
        groupRows.push(row);
        groupsEl.append(fs);
        if (!g) addOption(null);
      };
      i.modifier_groups.forEach(addGroup);

      const error = h('p', { class: 'error', role: 'alert' });
      const form = h('form', { class: 'item-form', novalidate: true },
        h('div', { class: 'grid-form' }, field('Name', name), field('Category', category), field(`Price (${currency})`, price), field('Cost', cost),
          field('SKU', sku), field('Prep minutes', prep), field('Station', station, 'Leave empty to use the category\'s'),
          h('label', { class: 'inline' }, active, ' Active')),
        field('Description', desc), field('Allergens', allergens, 'Comma separated'), field('Image URLs', images, 'Separated by spaces'),
        h('h3', {}, 'Modifier groups'), groupsEl, h('button', { type: 'button', onclick: () => addGroup(null) }, '+ Modifier group'),
        h('h3', {}, 'Schedule'), h('p', { class: 'muted small' }, 'No windows: available whenever the restaurant takes orders.'), windowsEl,
        h('button', { type: 'button', onclick: () => addWindow(null) }, '+ Time window'),
        h('h3', {}, 'Channels'), h('table', { class: 'grid', 'data-field': 'channels' }, h('thead', {}, h('tr', {}, h('th', {}, 'Channel'), h('th', {}, 'Sell'), h('th', {}, 'Price override'))), h('tbody', {}, channelRows.map((r) => r.el))),
        error,
        h('div', { class: 'row' }, h('button', { type: 'button', class: 'ghost', onclick: close }, 'Cancel'), h('button', { type: 'submit', class: 'primary' }, 'Save item')));

      form.addEventListener('submit', async (e) => {
        e.preventDefault();
        error.textContent = '';
        const minor = (input, fieldName, optional) => {
          if (optional && input.value.trim() === '') return null;
          const v = toMinor(input.value, currency);
          if (Number.isNaN(v)) throw Object.assign(new Error('enter an amount like 12.50'), { field: fieldName, local: true });
          return v;
        };
        let body;
        try {
          const channels = {};
          for (const r of channelRows) {
            const p = minor(r.p, 'channels', true);
            if (!r.on.checked || p != null) channels[r.c] = { enabled: r.on.checked, ...(p != null ? { price: p } : {}) };
          }
          body = {
            name: name.value, category_id: category.value, price: minor(price, 'price'), cost: minor(cost, 'cost', true),
            sku: sku.value || null, description: desc.value || null,
            allergens: allergens.value.split(',').map((s) => s.trim()).filter(Boolean),
            images: images.value.split(/\s+/).filter(Boolean), prep_minutes: Number(prep.value) || 0,
            station_id: station.value || null, is_active: active.checked, sort_order: i.sort_order || 0, channels,
            schedule: { windows: windowRows.map((w) => ({ days: w.days.map((d) => d.firstChild).filter((c) => c.checked).map((c) => c.value), start: `${w.start.value}:00`, end: `${w.end.value}:00` })) },
            modifier_groups: groupRows.map((g) => ({ id: g.id, name: g.gname.value, min: Number(g.min.value) || 0, max: Number(g.max.value) || 0,
              options: g.options.map((o) => ({ id: o.id, name: o.oname.value, price_delta: minor(o.delta, 'modifier_groups'), is_active: o.is_active })) })),
          };
        } catch (err) {
          if (!showFieldError(form, err)) error.textContent = err.message;
          return;
        }
        try {
          if (item) await api(auth, 'PUT', `${base}/menu/items/${item.id}`, body);
          else await api(auth, 'POST', `${base}/menu/items`, body, { idempotent: true });
          toast('Item saved');
          close();
          load();
        } catch (err) {
          if (!showFieldError(form, err)) error.textContent = err.message;
        }
      });
      return form;
    }

    async function submit(e, form, call, done) {
      e.preventDefault();
      try {
        await call();
        toast(done);
        load();
      } catch (err) {
        if (!showFieldError(form, err)) toast(err.message, 'error');
      }
    }
    async function remove(path, what) {
      if (!confirm(`Delete ${what}?`)) return;
      try {
        await api(auth, 'DELETE', path);
        toast(`Deleted ${what}`);
      } catch (err) {
        toast(err.message, 'error');
      }
      load();
    }
    await load();
  },

  // ------------------------------------------------------------ tables
  async tables() {
    const list = h('tbody');
    const name = h('input', { name: 'name', required: true, maxlength: 50 });
    const capacity = h('input', { name: 'capacity', type: 'number', min: 1, value: 4 });
    const form = h('form', { class: 'inline-form', 'aria-label': 'Add a table' }, field('Table name', name), field('Seats', capacity), h('button', { type: 'submit', class: 'primary' }, 'Add table'));
    fill(view,
      h('p', {}, h('a', { class: 'button', href: `/app/tables/print?r=${rid}` }, 'Print all table codes')),
      form,
      h('table', { class: 'grid' }, h('thead', {}, h('tr', {}, h('th', {}, 'Table'), h('th', {}, 'Seats'), h('th', {}, 'Status'), h('th', {}, 'Code'), h('th', {}, ''))), list));
    onSubmit(form, async () => {
      await api(auth, 'POST', `${base}/tables`, { name: name.value, capacity: Number(capacity.value) }, { idempotent: true });
      toast('Table added');
      name.value = '';
      load();
    });
    const load = async () => {
      const tables = await all(auth, `${base}/tables`);
      fill(list, tables.map((t) => {
        const img = h('img', { alt: `QR code for ${t.name}`, width: 96, height: 96, class: 'qr-thumb' });
        qrImage(t.id).then((url) => (img.src = url)).catch(() => {});
        return h('tr', {}, h('td', {}, t.name), h('td', {}, t.capacity), h('td', {}, t.status.replace(/_/g, ' ')),
          h('td', {}, img, h('br'), h('a', { href: t.qr_url, class: 'small' }, 'guest link')),
          h('td', {}, h('button', { type: 'button', class: 'ghost', onclick: async () => {
            if (!confirm(`Make a new code for ${t.name}? The printed one stops working.`)) return;
            await api(auth, 'POST', `${base}/tables/${t.id}/qr/rotate`).then(() => toast('New code made'), (err) => toast(err.message, 'error'));
            load();
          } }, 'New code'), h('button', { type: 'button', class: 'ghost danger', onclick: async () => {
            if (!confirm(`Delete ${t.name}?`)) return;
            await api(auth, 'DELETE', `${base}/tables/${t.id}`).then(() => toast('Deleted'), (err) => toast(err.message, 'error'));
            load();
          } }, 'Delete')));
      }));
    };
    const qrImage = async (id) => {
      const r = await fetch(`${base}/tables/${id}/qr.svg`, { headers: { Authorization: `Bearer ${await auth.get()}` } });
      return URL.createObjectURL(await r.blob());
    };
    await load();
  },

  // ------------------------------------------------------------ people
  async people() {
    const list = h('tbody');
    const invited = h('tbody');
    const shown = h('div', { role: 'status' });
    const inputs = {
      name: h('input', { name: 'name', maxlength: 100 }),
      role: h('select', { name: 'role' }, ['staff', 'kitchen', 'manager', 'owner'].map((r) => h('option', { value: r }, r))),
      email: h('input', { name: 'email', type: 'email' }),
      phone: h('input', { name: 'phone', type: 'tel' }),
      pin: h('input', { name: 'pin', inputmode: 'numeric', autocomplete: 'off' }),
    };
    const form = h('form', { class: 'grid-form', 'aria-label': 'Add a person' },
      field('Name', inputs.name), field('Role', inputs.role), field('Email', inputs.email, 'They get an invitation link and choose their own password'),
      field('Phone', inputs.phone, 'Staff sign in on the shared device with phone and PIN'), field('PIN', inputs.pin, '4 to 8 digits'),
      h('button', { type: 'submit', class: 'primary' }, 'Add person'));
    fill(view, h('section', { class: 'card' }, h('h2', {}, 'Add someone'), form), shown,
      h('table', { class: 'grid' }, h('thead', {}, h('tr', {}, ['Name', 'Role', 'Email', 'Phone', 'PIN', 'Last sign-in', ''].map((t) => h('th', {}, t)))), list),
      h('h2', {}, 'Invited'),
      h('table', { class: 'grid', 'aria-label': 'Invitations' }, h('thead', {}, h('tr', {}, ['Name', 'Role', 'Email', 'Link works until', ''].map((t) => h('th', {}, t)))), invited));
    onSubmit(form, async () => {
      const body = Object.fromEntries(Object.entries(inputs).map(([k, el]) => [k, el.value.trim() || null]));
      const p = await api(auth, 'POST', `${base}/users`, body, { idempotent: true });
      if (p.invite_url) {
        fill(shown, h('div', { class: 'card notice' }, h('p', {}, `Give ${p.name} this link to join. It works for 14 days and is shown only now.`),
          h('code', { class: 'secret invite' }, p.invite_url)));
      } else {
        fill(shown);
      }
      toast(p.invite_url ? 'Invited' : 'Added');
      form.reset();
      load();
    });
    const load = async () => {
      const [people, invitations] = await Promise.all([all(auth, `${base}/users`), api(auth, 'GET', `${base}/invitations`)]);
      fill(list, people.map((p) => h('tr', { class: p.is_active ? '' : 'muted' }, h('td', {}, p.name),
        h('td', {}, h('select', { 'aria-label': `Role of ${p.name}`, onchange: (e) => change(p, { role: e.target.value }) },
          ['owner', 'manager', 'staff', 'kitchen'].map((r) => h('option', { value: r, selected: r === p.role }, r)))),
        h('td', {}, p.email || '—'), h('td', {}, p.phone || '—'), h('td', {}, p.has_pin ? 'set' : '—'),
        h('td', {}, p.last_login_at ? stamp(p.last_login_at) : 'never'),
        h('td', {}, h('button', { type: 'button', class: 'ghost', onclick: () => change(p, { is_active: !p.is_active }) }, p.is_active ? 'Deactivate' : 'Activate'),
          h('button', { type: 'button', class: 'ghost danger', onclick: async () => {
            if (!confirm(`Remove ${p.name} from this restaurant?`)) return;
            await api(auth, 'DELETE', `${base}/users/${p.id}`).then(() => toast('Removed'), (err) => toast(err.message, 'error'));
            load();
          } }, 'Remove')))));
      fill(invited, invitations.length ? invitations.map((i) => h('tr', {}, h('td', {}, i.name), h('td', {}, i.role), h('td', {}, i.email),
        h('td', {}, dateOf(i.invite_expires_at)),
        h('td', {}, h('button', { type: 'button', class: 'ghost danger', onclick: async () => {
          if (!confirm(`Take back the invitation to ${i.email}? Its link stops working.`)) return;
          await api(auth, 'DELETE', `${base}/invitations/${i.id}`).then(() => toast('Taken back'), (err) => toast(err.message, 'error'));
          load();
        } }, 'Take back')))) : [h('tr', {}, h('td', { colspan: 5, class: 'muted' }, 'No open invitations'))]);
    };
    const change = async (p, body) => {
      await api(auth, 'PUT', `${base}/users/${p.id}`, body).then(() => toast('Saved'), (err) => toast(err.message, 'error'));
      load();
    };
    await load();
  },

  // ------------------------------------------------------------ API keys
  async keys() {
    const PERMS = ['restaurant:read', 'menu:read', 'menu:write', 'menu:86', 'orders:read', 'orders:write', 'kitchen:work', 'users:read', 'audit:read'];
    const list = h('tbody');
    const name = h('input', { name: 'name', required: true, maxlength: 100 });
    const perms = PERMS.map((p) => h('label', { class: 'inline' }, h('input', { type: 'checkbox', value: p }), ` ${p}`));
    const shown = h('div', { role: 'status' });
    const form = h('form', { class: 'card', 'aria-label': 'New API key' }, field('Key name', name),
      h('fieldset', { 'data-field': 'permissions' }, h('legend', {}, 'Permissions'), perms), h('button', { type: 'submit', class: 'primary' }, 'Create key'));
    fill(view, form, shown, h('table', { class: 'grid' }, h('thead', {}, h('tr', {}, ['Name', 'Key', 'Permissions', 'Last used', ''].map((t) => h('th', {}, t)))), list));
    onSubmit(form, async () => {
      const permissions = perms.map((l) => l.firstChild).filter((c) => c.checked).map((c) => c.value);
      const k = await api(auth, 'POST', `${base}/api-keys`, { name: name.value, permissions }, { idempotent: true });
      fill(shown, h('div', { class: 'card notice' }, h('p', {}, 'Copy this key now. It will not be shown again.'), h('code', { class: 'secret' }, k.key)));
      form.reset();
      load();
    });
    const load = async () => {
      const keys = await all(auth, `${base}/api-keys`);
      fill(list, keys.map((k) => h('tr', { class: k.revoked_at ? 'muted' : '' }, h('td', {}, k.name), h('td', {}, h('code', {}, `${k.prefix}…`)),
        h('td', {}, k.permissions.join(', ')), h('td', {}, k.last_used_at ? stamp(k.last_used_at) : 'never'),
        h('td', {}, k.revoked_at ? 'revoked' : h('button', { type: 'button', class: 'ghost danger', onclick: async () => {
          if (!confirm(`Revoke ${k.name}? Programs using it stop at once.`)) return;
          await api(auth, 'DELETE', `${base}/api-keys/${k.id}`).then(() => toast('Revoked'), (err) => toast(err.message, 'error'));
          load();
        } }, 'Revoke')))));
    };
    await load();
  },

  // ------------------------------------------------------------ audit
  async audit() {
    const type = h('input', { id: 'type', placeholder: 'e.g. menu. or order.status_changed' });
    const list = h('tbody');
    const more = h('button', { type: 'button', hidden: true }, 'Older events');
    let cursor = null;
    const form = h('form', { class: 'inline-form' }, field('Event type', type), h('button', { type: 'submit' }, 'Filter'));
    fill(view, form, h('table', { class: 'grid audit' }, h('thead', {}, h('tr', {}, ['When', 'Event', 'Who', 'Details'].map((t) => h('th', {}, t)))), list), more);
    const load = async (reset) => {
      if (reset) {
        cursor = null;
        list.replaceChildren();
      }
      const q = new URLSearchParams({ limit: '50' });
      if (type.value.trim()) q.set('type', type.value.trim());
      if (cursor) q.set('cursor', cursor);
      try {
        const page = await api(auth, 'GET', `${base}/audit?${q}`);
        list.append(...page.items.map((e) => h('tr', {}, h('td', {}, stamp(e.at)), h('td', {}, e.type),
          h('td', {}, who(e)),
          h('td', {}, summary(e), h('details', {}, h('summary', { class: 'small muted' }, 'All fields'), h('code', { class: 'small' }, JSON.stringify(e.data, null, 1)))))));
        cursor = page.next_cursor;
        more.hidden = !cursor;
      } catch (err) {
        showFieldError(form, err) || toast(err.message, 'error');
      }
    };
    form.addEventListener('submit', (e) => {
      e.preventDefault();
      load(true);
    });
    more.addEventListener('click', () => load(false));
    await load(true);
  },

  // ------------------------------------------------------------ settings
  async settings() {
    const r = await api(auth, 'GET', base);
    // Plain words: a time zone and a currency picked from lists, tax as a percentage,
    // kitchen timers in minutes. The API keeps its units (basis points, seconds); each
    // field keeps the API's name, so a refusal shows beside it.
    const zones = [...new Set([r.timezone, ...(Intl.supportedValuesOf?.('timeZone') || [])])].sort();
    const names = Intl.DisplayNames ? new Intl.DisplayNames(undefined, { type: 'currency' }) : null;
    const currencies = [...new Set([r.currency, ...(Intl.supportedValuesOf?.('currency') || [])])].sort();
    const minutes = (secs) => String(Math.round((secs / 60) * 10) / 10);
    const inputs = {
      name: h('input', { name: 'name', value: r.name }),
      slug: h('input', { name: 'slug', value: r.slug }),
      timezone: h('select', { name: 'timezone' }, zones.map((z) => h('option', { value: z, selected: z === r.timezone }, z.replace(/_/g, ' ')))),
      currency: h('select', { name: 'currency' }, currencies.map((c) => h('option', { value: c, selected: c === r.currency }, names ? `${c} · ${names.of(c)}` : c))),
      tax_rate_bps: h('input', { name: 'tax_rate_bps', type: 'number', min: 0, max: 100, step: 0.01, value: r.tax_rate_bps / 100 }),
      day_starts_at: h('input', { name: 'day_starts_at', type: 'time', value: r.day_starts_at.slice(0, 5) }),
      kds_warn_secs: h('input', { name: 'kds_warn_secs', type: 'number', min: 0.5, step: 0.5, value: minutes(r.kds_warn_secs) }),
      kds_late_secs: h('input', { name: 'kds_late_secs', type: 'number', min: 0.5, step: 0.5, value: minutes(r.kds_late_secs) }),
      inventory_depletes_on: h('select', { name: 'inventory_depletes_on' }, [['created', 'when the order is placed'], ['accepted', 'when the kitchen accepts it']].map(([v, l]) => h('option', { value: v, selected: r.inventory_depletes_on === v }, l))),
    };
    const inclusive = h('input', { type: 'checkbox', name: 'tax_inclusive', checked: r.tax_inclusive });
    const form = h('form', { class: 'grid-form card' },
      field('Name', inputs.name), field('Web address name', inputs.slug, `Staff device: ${location.origin}/staff?r=${r.slug} · counter: ${location.origin}/pos?r=${r.slug}`),
      field('Time zone', inputs.timezone), field('Currency', inputs.currency), field('Sales tax (%)', inputs.tax_rate_bps, 'For example 8.875'),
      h('label', { class: 'inline' }, inclusive, ' Prices include tax'), field('Business day starts', inputs.day_starts_at, 'Orders before this time count for the day before'),
      field('Kitchen tickets turn amber after (minutes)', inputs.kds_warn_secs), field('…and red after (minutes)', inputs.kds_late_secs),
      field('Orders take stock', inputs.inventory_depletes_on),
      h('button', { type: 'submit', class: 'primary' }, 'Save settings'));
    fill(view, form);
    onSubmit(form, async () => {
      const number = (input, scale) => {
        const n = Number(input.value);
        if (input.value.trim() === '' || !Number.isFinite(n)) throw Object.assign(new Error('Enter a number.'), { field: input.name });
        return Math.round(n * scale);
      };
      const body = {
        name: inputs.name.value, slug: inputs.slug.value, timezone: inputs.timezone.value, currency: inputs.currency.value,
        tax_rate_bps: number(inputs.tax_rate_bps, 100), tax_inclusive: inclusive.checked, day_starts_at: `${inputs.day_starts_at.value}:00`,
        kds_warn_secs: number(inputs.kds_warn_secs, 60), kds_late_secs: number(inputs.kds_late_secs, 60),
        inventory_depletes_on: inputs.inventory_depletes_on.value,
      };
      await api(auth, 'PUT', base, body);
      showFieldError(form, null);
      toast('Settings saved');
    });
    view.append(await hoursCard());
  },
};

/** Opening hours on the Settings page: weekly openings (two a day for lunch and dinner;
 * a close before the open runs past midnight) and dates that differ. Outside them, guests'
 * and platforms' orders are refused; none set means always open. A refusal names its row
 * (`weekly[2].close`), and the row's input shows it. */
async function hoursCard() {
  const DAYS = [['mon', 'Monday'], ['tue', 'Tuesday'], ['wed', 'Wednesday'], ['thu', 'Thursday'], ['fri', 'Friday'], ['sat', 'Saturday'], ['sun', 'Sunday']];
  const card = h('section', { class: 'card', id: 'hours', 'aria-labelledby': 'hours-title' });
  const draw = (hours) => {
    const weekly = h('tbody');
    const exceptions = h('tbody');
    const addWeekly = (o = { day: 'mon', open: '11:30', close: '22:00' }) => {
      const row = h('tr', {},
        h('td', {}, h('select', { 'aria-label': 'Day', class: 'day' }, DAYS.map(([v, l]) => h('option', { value: v, selected: v === o.day }, l)))),
        h('td', {}, h('input', { type: 'time', 'aria-label': 'Opens', class: 'open', value: o.open, required: true })),
        h('td', {}, h('input', { type: 'time', 'aria-label': 'Closes', class: 'close', value: o.close, required: true })),
        h('td', {}, h('button', { type: 'button', class: 'ghost danger', onclick: () => row.remove() }, 'Remove')));
      weekly.append(row);
    };
    const addException = (e = { date: '', closed: true }) => {
      const closed = h('input', { type: 'checkbox', class: 'closed', checked: !!e.closed });
      const open = h('input', { type: 'time', 'aria-label': 'Opens that day', class: 'open', value: e.open || '', disabled: !!e.closed });
      const close = h('input', { type: 'time', 'aria-label': 'Closes that day', class: 'close', value: e.close || '', disabled: !!e.closed });
      closed.addEventListener('change', () => { open.disabled = close.disabled = closed.checked; });
      const row = h('tr', {},
        h('td', {}, h('input', { type: 'date', 'aria-label': 'Date', class: 'date', value: e.date, required: true })),
        h('td', {}, h('label', { class: 'inline' }, closed, ' Closed')), h('td', {}, open), h('td', {}, close),
        h('td', {}, h('button', { type: 'button', class: 'ghost danger', onclick: () => row.remove() }, 'Remove')));
      exceptions.append(row);
    };
    hours.weekly.forEach((o) => addWeekly(o));
    hours.exceptions.forEach((e) => addException(e));
    const now = hours.weekly.length || hours.exceptions.length
      ? (hours.open_now ? 'Open now.' : `Closed now${hours.opens_at ? `; opens ${dayTime(hours.opens_at)}` : ''}.`)
      : 'No hours set: always open.';
    const form = h('form', { 'aria-label': 'Opening hours' },
      h('table', { class: 'grid' }, h('caption', {}, 'Every week'), h('thead', {}, h('tr', {}, ['Day', 'Opens', 'Closes', ''].map((t) => h('th', {}, t)))), weekly),
      h('button', { type: 'button', onclick: () => addWeekly() }, 'Add an opening'),
      h('table', { class: 'grid' }, h('caption', {}, 'Dates that differ'), h('thead', {}, h('tr', {}, ['Date', '', 'Opens', 'Closes', ''].map((t) => h('th', {}, t)))), exceptions),
      h('button', { type: 'button', onclick: () => addException() }, 'Add a date'),
      h('div', { class: 'row' }, h('button', { type: 'submit', class: 'primary' }, 'Save hours')));
    onSubmit(form, async () => {
      // Rows are numbered as sent, so a refusal naming `weekly[2].close` finds its input.
      [...weekly.children].forEach((r, i) => ['day', 'open', 'close'].forEach((k) => { r.querySelector(`.${k}`).dataset.field = `weekly[${i}].${k}`; }));
      [...exceptions.children].forEach((r, i) => ['date', 'open', 'close'].forEach((k) => { r.querySelector(`.${k}`).dataset.field = `exceptions[${i}].${k}`; }));
      const body = {
        weekly: [...weekly.children].map((r) => ({ day: r.querySelector('.day').value, open: r.querySelector('.open').value, close: r.querySelector('.close').value })),
        exceptions: [...exceptions.children].map((r) => (r.querySelector('.closed').checked
          ? { date: r.querySelector('.date').value, closed: true }
          : { date: r.querySelector('.date').value, open: r.querySelector('.open').value, close: r.querySelector('.close').value })),
      };
      draw(await api(auth, 'PUT', `${base}/hours`, body));
      toast('Opening hours saved');
    });
    fill(card, h('h2', { id: 'hours-title' }, 'Opening hours'),
      h('p', { class: 'muted' }, now, ' Outside these hours guests (QR code, web) and delivery platforms cannot order; the counter and the phone still can. Two openings on one day make split hours; a close before the open runs past midnight.'),
      form);
  };
  draw(await api(auth, 'GET', `${base}/hours`));
  return card;
}

/** Busy mode on the Today page: what it does now, and the controls to start, change or end
 * it. Quoted ready times get the extra minutes; paused channels stop taking orders (a
 * delivery platform's store is paused there); it ends by itself at its time. */
function busyCard() {
  const card = h('section', { class: 'card busy-card', id: 'busy', 'aria-labelledby': 'busy-title' });
  // The counter and walk-ins are the staff's own call; every other channel can be paused.
  const pausable = CHANNELS.filter((c) => c !== 'walk_in' && c !== 'pos');
  // The same state again (the first fetch, the live feed echoing it) leaves the card as
  // it is: a redraw would close the form or undo what someone is typing into it.
  let drawn = null;
  const draw = (b) => {
    const same = JSON.stringify(b);
    if (same === drawn) return;
    drawn = same;
    const wasOpen = card.querySelector('details')?.open;
    const minutes = h('select', { id: 'busy-minutes' }, [0, 5, 10, 15, 20, 30, 45, 60, 90, 120].map((m) =>
      h('option', { value: m, selected: m === (b.active ? b.extra_minutes : 15) }, m ? `+${m} min` : 'No extra time')));
    const lengths = [['30', '30 minutes'], ['60', '1 hour'], ['120', '2 hours'], ['end_of_day', 'The rest of the day']];
    if (b.active) lengths.unshift(['keep', `Until ${dayTime(b.until)}, as now`]);
    const length = h('select', { id: 'busy-for' }, lengths.map(([v, l], i) => h('option', { value: v, selected: b.active ? i === 0 : v === '60' }, l)));
    const reason = h('input', { id: 'busy-reason', maxlength: 500, value: b.reason || '', placeholder: 'e.g. a party of 30 just sat down' });
    const paused = pausable.map((c) =>
      h('label', { class: 'inline' }, h('input', { type: 'checkbox', name: 'paused', value: c, checked: b.paused_channels.includes(c) }), ` ${channelLabel(c)}`));
    const put = async (body, done) => {
      try {
        busyNow = await api(auth, 'PUT', `${base}/busy`, body);
        for (const fn of busyWatchers) fn(busyNow);
        toast(done);
      } catch (e) {
        toast(e.message, 'error');
      }
    };
    const form = h('form', { class: 'busy-form', 'aria-label': 'Busy mode' },
      h('div', { class: 'toolbar' }, field('Extra time on quotes', minutes), field('For', length), field('Reason', reason)),
      h('fieldset', { class: 'channels' }, h('legend', {}, 'Stop taking orders from'), paused),
      h('div', { class: 'row' },
        h('button', { type: 'submit', class: b.active ? '' : 'danger' }, b.active ? 'Update busy mode' : 'Start busy mode'),
        b.active ? h('button', { type: 'button', class: 'primary', onclick: () => put({ extra_minutes: 0, paused_channels: [] }, 'Busy mode ended') }, 'End busy mode') : null));
    form.addEventListener('submit', (e) => {
      e.preventDefault();
      const until = length.value === 'keep' ? b.until
        : length.value === 'end_of_day' ? 'end_of_day'
          : new Date(Date.now() + Number(length.value) * 60_000).toISOString();
      put({
        extra_minutes: Number(minutes.value),
        until,
        paused_channels: [...form.querySelectorAll('input[name=paused]:checked')].map((c) => c.value),
        reason: reason.value.trim() || null,
      }, b.active ? 'Busy mode updated' : 'Busy mode on');
    });
    fill(card,
      h('h2', { id: 'busy-title' }, 'Busy mode'),
      h('p', { class: `busy-state${b.active ? ' on' : ''}`, role: 'status' }, b.active
        ? [h('strong', {}, 'On: '), busyLine(b), b.reason ? ` (${b.reason})` : '']
        : 'Off. When the kitchen is in the weeds, add time to every quoted ready time and stop taking orders from some channels; it ends by itself.'),
      // Off, the controls wait behind one click; on, they are open to change or end it.
      h('details', { open: b.active || wasOpen }, h('summary', {}, b.active ? 'Change busy mode' : 'Turn on busy mode'), form));
  };
  busyWatchers.push(draw);
  if (busyNow) draw(busyNow);
  else fill(card, h('h2', { id: 'busy-title' }, 'Busy mode'), h('p', { class: 'muted' }, 'Loading…'));
  return card;
}

// ---------------------------------------------------------------- the live calls panel

/** What the phone agent is doing on a call, in words (the dialog's stage). */
const CALL_STAGES = {
  taking: 'Taking the order',
  usual: 'Offered the usual',
  option: 'Asking a choice',
  which: 'Asking which item was meant',
  address: 'Asking the delivery address',
  name: 'Asking a name',
  confirming: 'Reading the order back',
  over: 'Finishing',
};
const CALL_OUTCOMES = { ordered: 'Ordered', handed_off: 'Handed to staff', abandoned: 'Hung up', question: 'Question only' };

/** Followers of the phone.* events (null: the feed resynced, reload everything). */
const callWatchers = [];

/** The phone calls on the Today page: those going on now, each with what the agent has
 * understood so far (straight from the realtime feed), and the last few that ended, each
 * with its transcript a click away. */
function callsCard() {
  const card = h('section', { class: 'card calls-card', id: 'calls', 'aria-labelledby': 'calls-title' });
  const liveList = h('ul', { class: 'calls-live', 'aria-label': 'Calls in progress' });
  const recent = h('tbody');
  const calls = new Map();
  fill(card,
    h('h2', { id: 'calls-title' }, 'Phone calls'),
    liveList,
    h('table', { class: 'grid calls-recent', 'aria-label': 'Recent calls' },
      h('thead', {}, h('tr', {}, h('th', {}, 'Started'), h('th', {}, 'Caller'), h('th', {}, 'Outcome'), h('th', {}, 'Length'), h('th', {}, ''))),
      recent));
  // The live panel is on a shared screen: the caller's number masked there whoever looks
  // (the feed sends it masked; the list answers whole to roles that see contacts).
  const masked = (n) => (!n || n.includes('•') ? n : `•••• ${n.replace(/\D/g, '').slice(-4)}`);
  const drawLive = () => {
    const going = [...calls.values()].sort((a, b) => a.started_at.localeCompare(b.started_at));
    fill(liveList, going.length
      ? going.map((c) => h('li', { class: 'call-live', 'data-call': c.id },
          h('div', { class: 'row' },
            h('strong', {}, masked(c.caller) || 'Unknown number'),
            h('span', { class: 'tag' }, CALL_OUTCOMES[c.outcome] || CALL_STAGES[c.stage?.stage] || 'On the line'),
            h('span', { class: 'spacer' }),
            h('span', { class: 'muted', 'data-since': c.started_at }, since(c.started_at))),
          c.understood.length
            ? h('ul', { class: 'understood', 'aria-label': 'Understood so far' }, c.understood.map((l) => h('li', {}, l)))
            : h('p', { class: 'muted' }, 'Nothing ordered yet.')))
      : h('li', { class: 'muted' }, 'No calls right now. Calls to your phone lines appear here as they happen.'));
  };
  const transcript = async (id, cell, button) => {
    button.disabled = true;
    try {
      const c = await api(auth, 'GET', `${base}/phone/calls/${id}`);
      fill(cell, h('ol', { class: 'transcript' }, c.turns.map((t) =>
        h('li', { class: t.speaker }, h('span', { class: 'muted' }, `${t.speaker === 'caller' ? 'Caller' : 'Agent'}: `), t.text))));
      button.remove();
    } catch (e) {
      button.disabled = false;
      toast(e.message, 'error');
    }
  };
  const drawRecent = (items) => {
    fill(recent, items.length
      ? items.flatMap((c) => {
          const more = h('td', { colspan: 5 });
          const button = h('button', { type: 'button', class: 'ghost' }, 'Transcript');
          button.addEventListener('click', () => {
            more.parentElement.hidden = false;
            transcript(c.id, more, button);
          });
          const length = c.duration_seconds == null ? '—' : `${Math.floor(c.duration_seconds / 60)}m ${String(c.duration_seconds % 60).padStart(2, '0')}s`;
          return [
            h('tr', {}, h('td', {}, dayTime(c.started_at)), h('td', {}, c.caller || '—'),
              h('td', {}, CALL_OUTCOMES[c.outcome] || (c.status === 'in_progress' ? 'On the line' : '—'),
                c.understood.length ? h('small', { class: 'muted' }, ` · ${c.understood.join(', ')}`) : null),
              h('td', {}, length), h('td', {}, button)),
            h('tr', { hidden: true, class: 'transcript-row' }, more),
          ];
        })
      : h('tr', {}, h('td', { colspan: 5, class: 'muted' }, 'No calls yet. Connect a phone line under Integrations (Twilio).')));
  };
  const loadLive = async () => {
    const page = await api(auth, 'GET', `${base}/phone/calls?status=in_progress&limit=50`);
    calls.clear();
    for (const c of page.items) calls.set(c.id, c);
    drawLive();
  };
  const loadRecent = async () => {
    const page = await api(auth, 'GET', `${base}/phone/calls?limit=6`);
    drawRecent(page.items.filter((c) => c.status !== 'in_progress').slice(0, 5));
  };
  const reloadRecent = debounce(() => loadRecent().catch(() => {}), 300);
  const load = () => Promise.all([loadLive(), loadRecent()]).catch((e) => {
    // Roles that do not read orders see no calls either.
    if (e.status === 403) card.remove();
    else toast(e.message, 'error');
  });
  callWatchers.push((e) => {
    if (!e || !e.data || !e.data.call_id) return load();
    const d = e.data;
    if (d.status === 'in_progress') {
      calls.set(d.call_id, { id: d.call_id, caller: d.caller, stage: d.stage, outcome: d.outcome, understood: d.understood || [], started_at: d.started_at || calls.get(d.call_id)?.started_at || new Date().toISOString() });
    } else {
      calls.delete(d.call_id);
      reloadRecent();
    }
    drawLive();
  });
  load();
  return card;
}

// Back-of-house sections live in their own module, loaded only on their pages, so that
// no page carries every screen's script.
const MODULES = { inventory: 'stock', count: 'stock', labour: 'labour', schedule: 'schedule', tasks: 'tasks', integrations: 'connect', customers: 'guests', analytics: 'analytics' };
const run = MODULES[section]
  ? import(`./${MODULES[section]}.js${new URL(import.meta.url).search}`).then((m) =>
      m.sections[section]({ main, view, rid, base, auth, currency, live, field }),
    )
  : sections[section]();
run.catch((e) => {
  fill(view, h('p', { class: 'error', role: 'alert' }, `Could not load this page: ${e.message}`));
});
// Keep relative times fresh without a reload.
setInterval(() => {
  for (const el of document.querySelectorAll('[data-since]')) el.textContent = since(el.dataset.since);
}, 1000);

// ---------------------------------------------------------------- the audit log in words

/** Who did it: the person's name, else what kind of actor it was. */
function who(e) {
  if (e.actor_name) return e.actor_name;
  if (e.actor === 'system') return 'Brigade';
  if (e.actor === 'guest') return 'A guest';
  const [kind] = e.actor.split(':');
  return { api_key: 'An API key', platform: 'A platform', user: 'A former member' }[kind] || e.actor;
}

/** An event in a sentence: its type in words, then what it names (an order's number, an
 * item, an amount, a reason, a change from one value to another). */
function summary(e) {
  const d = e.data || {};
  const words = e.type.replace(/[._]/g, ' ');
  const parts = [words.charAt(0).toUpperCase() + words.slice(1)];
  if (d.number !== undefined) parts.push(`#${d.number}`);
  const name = d.name || d.item || d.email || d.table || d.drawer;
  if (typeof name === 'string') parts.push(name);
  if (d.from !== undefined && d.to !== undefined) parts.push(`${d.from} → ${d.to}`);
  if (typeof d.amount === 'number' && currency) parts.push(money(d.amount, currency));
  if (typeof d.tip === 'number' && d.tip && currency) parts.push(`tip ${money(d.tip, currency)}`);
  if (d.method) parts.push(d.method);
  if (d.reason) parts.push(`“${d.reason}”`);
  if (Array.isArray(d.changed) && d.changed.length) parts.push(`changed ${d.changed.join(', ')}`);
  return parts.join(' · ');
}

// The dashboard's stock screens (inventory with what to order by supplier, usage against
// sales over a period, food cost by dish; and the count sheet), loaded by app.js only on
// their pages. Each gets the page's context from app.js.
import { h, fill, api, all, debounce, money, toMinor, toast, showFieldError, onSubmit } from './brigade.js';

export const sections = {
  // ------------------------------------------------------------ inventory
  async inventory({ main, view, rid, base, auth, currency, live, field }) {
    const manage = ['owner', 'manager'].includes(main.dataset.role);
    const list = h('tbody');
    const reorderEl = h('div', { id: 'to-order' });
    const newForm = manage ? stockItemForm() : null;
    const tz = JSON.parse(document.getElementById('restaurant-data').textContent).timezone;
    const varianceEl = h('div', { id: 'variance' });
    const foodCostEl = h('tbody', { id: 'food-cost' });
    const today = new Intl.DateTimeFormat('en-CA', { timeZone: tz, year: 'numeric', month: '2-digit', day: '2-digit' }).format(new Date());
    const daysBefore = (d, n) => new Date(Date.parse(`${d}T12:00:00Z`) - n * 864e5).toISOString().slice(0, 10);
    const vFrom = h('input', { type: 'date', id: 'variance-from', 'aria-label': 'Variance from', value: daysBefore(today, 6) });
    const vTo = h('input', { type: 'date', id: 'variance-to', 'aria-label': 'Variance to', value: today });
    fill(view,
      h('p', {}, h('a', { class: 'button', href: `/app/count?r=${rid}` }, 'Open the count sheet')),
      h('table', { class: 'grid stock' }, h('thead', {}, h('tr', {}, ['Item', 'On hand', 'Par', 'Reorder at', 'Value', ''].map((t) => h('th', {}, t)))), list),
      h('section', { class: 'card' }, h('h2', {}, 'To order, by supplier'), reorderEl),
      h('section', { class: 'card' }, h('h2', {}, 'Usage against sales'),
        h('p', { class: 'muted' }, 'What the recipes say sales used, against what left the shelf (waste, and what counts found missing), and what the difference cost.'),
        h('div', { class: 'inline-form period-bar', role: 'group', 'aria-label': 'Period for usage' }, vFrom, h('span', {}, 'to'), vTo),
        varianceEl),
      h('section', { class: 'card' }, h('h2', {}, 'Food cost by dish'),
        h('p', { class: 'muted' }, 'Each dish with a recipe: its ingredients at today\'s average cost against its price.'),
        h('table', { class: 'grid' }, h('thead', {}, h('tr', {}, ['Dish', 'Price', 'Ingredients', 'Food cost'].map((t) => h('th', {}, t)))), foodCostEl)),
      newForm ? h('section', { class: 'card' }, h('h2', {}, 'New stock item'), newForm) : null);
    // The first instant of a local date in the restaurant's zone (its offset that day).
    const localStart = (date) => {
      const part = new Intl.DateTimeFormat('en-US', { timeZone: tz, timeZoneName: 'longOffset' }).formatToParts(new Date(`${date}T12:00:00Z`))
        .find((p) => p.type === 'timeZoneName').value.replace('GMT', '');
      return `${date}T00:00:00${part || '+00:00'}`;
    };
    const loadVariance = async () => {
      if (!vFrom.value || !vTo.value || vFrom.value > vTo.value) return fill(varianceEl, h('p', { class: 'error' }, 'Pick a first day on or before the last.'));
      const q = `from=${encodeURIComponent(localStart(vFrom.value))}&to=${encodeURIComponent(localStart(daysBefore(vTo.value, -1)))}`;
      let v;
      try {
        v = await api(auth, 'GET', `${base}/inventory/variance?${q}`);
      } catch (e) {
        return fill(varianceEl, h('p', { class: 'error', role: 'alert' }, e.message));
      }
      const n = (x, unit) => `${Number(x.toFixed(2))} ${unit}`;
      fill(varianceEl, v.items.length
        ? [h('table', { class: 'grid' }, h('thead', {}, h('tr', {}, ['Item', 'Sales used', 'Waste', 'Unexplained', 'Left the shelf', 'Variance', 'Cost'].map((t) => h('th', {}, t)))),
          h('tbody', {}, v.items.map((l) => h('tr', { class: l.variance_cost > 0 ? 'low' : '' }, h('td', {}, l.name), h('td', { class: 'num' }, n(l.theoretical_usage, l.unit)),
            h('td', { class: 'num' }, n(l.waste, l.unit)), h('td', { class: 'num' }, n(l.unexplained, l.unit)), h('td', { class: 'num' }, n(l.actual_usage, l.unit)),
            h('td', { class: 'num' }, n(l.variance, l.unit)), h('td', { class: 'num' }, money(l.variance_cost, currency)))))),
        h('p', { id: 'variance-total' }, h('b', {}, 'Variance cost: '), money(v.variance_cost, currency))]
        : h('p', { class: 'muted' }, 'No stock moved in this period.'));
    };
    for (const el of [vFrom, vTo]) el.addEventListener('change', loadVariance);
    const loadFoodCost = async () => {
      const lines = await all(auth, `${base}/inventory/food-cost`);
      fill(foodCostEl, lines.length ? lines.map((l) => h('tr', { class: (l.food_cost_percent ?? 0) > 35 ? 'low' : '' }, h('td', {}, l.name),
        h('td', { class: 'num' }, money(l.price, currency)), h('td', { class: 'num' }, money(l.portion_cost, currency)),
        h('td', { class: 'num' }, l.food_cost_percent == null ? '—' : `${l.food_cost_percent}%`)))
        : h('tr', {}, h('td', { colspan: 4, class: 'muted' }, 'No dish has a recipe yet: add one from the menu.')));
    };
    const qty = (n, unit) => `${Number(n.toFixed(3))} ${unit}`;
    const units = (i) => [i.unit, ...i.purchase_units.map((p) => p.name), ...({ g: ['kg', 'lb', 'oz'], ml: ['l', 'fl_oz', 'gal'], each: ['dozen'] }[i.unit] || [])];
    // `fromFeed`: drawn for someone else's change, so a form opened in the table while the
    // list was being read (a delivery, a waste) is not wiped; its own save draws it.
    const load = async (fromFeed = false) => {
      const [items, reorder] = await Promise.all([all(auth, `${base}/inventory/items`), api(auth, 'GET', `${base}/inventory/reorder`)]);
      if (fromFeed && list.querySelector('.move-row')) return;
      fill(list, items.length ? items.map((i) => h('tr', { class: i.low ? 'low' : '', dataset: { name: i.name } },
        h('td', {}, i.name, i.low ? h('span', { class: 'tag danger-tag' }, 'low') : null),
        h('td', { class: 'num' }, qty(i.on_hand, i.unit)),
        h('td', { class: 'num' }, i.par_level == null ? '—' : qty(i.par_level, i.unit)),
        h('td', { class: 'num' }, i.reorder_point == null ? '—' : qty(i.reorder_point, i.unit)),
        h('td', { class: 'num' }, money(i.value, currency)),
        h('td', {}, h('button', { type: 'button', onclick: (e) => moveForm(e.target.closest('tr'), i, 'receive') }, 'Receive'),
          h('button', { type: 'button', class: 'ghost', onclick: (e) => moveForm(e.target.closest('tr'), i, 'waste') }, 'Waste'),
          manage ? h('button', { type: 'button', class: 'ghost', 'aria-label': `Supplier of ${i.name}`, onclick: (e) => supplierForm(e.target.closest('tr'), i) }, 'Supplier') : null)))
        : h('tr', {}, h('td', { colspan: 6, class: 'muted' }, 'No stock items yet.')));
      // One list per supplier (the API sorts by supplier), with how to reach them.
      const groups = [];
      for (const l of reorder.items) {
        const key = l.supplier_name || '';
        if (!groups.length || groups[groups.length - 1].key !== key) groups.push({ key, supplier: l.supplier, lines: [] });
        groups[groups.length - 1].lines.push(l);
      }
      fill(reorderEl, groups.length
        ? groups.map((g) => h('div', { class: 'supplier-order', dataset: { supplier: g.key } },
          h('h3', {}, g.key || 'No supplier set', g.supplier && (g.supplier.phone || g.supplier.email)
            ? h('small', { class: 'muted' }, ` · ${[g.supplier.phone, g.supplier.email].filter(Boolean).join(' · ')}`) : null),
          h('ul', { class: 'simple' }, g.lines.map((l) => h('li', {}, h('b', {}, l.name), ': ',
            l.purchase_units != null ? `${l.purchase_units} × ${l.purchase_unit} (${qty(l.order_quantity, l.unit)})` : qty(l.order_quantity, l.unit),
            ` · about ${money(l.estimated_cost, currency)}`))),
          h('p', { class: 'muted' }, `About ${money(g.lines.reduce((a, l) => a + l.estimated_cost, 0), currency)} in all`)))
        : h('p', { class: 'muted' }, 'Everything with a par level is at par.'));
    };
    function moveForm(row, i, kind) {
      row.parentElement.querySelector('.move-row')?.remove();
      const quantity = h('input', { name: 'quantity', inputmode: 'decimal', required: true, 'aria-label': 'Quantity' });
      const unit = h('select', { name: 'unit', 'aria-label': 'Unit' }, units(i).map((u) => h('option', { value: u }, u)));
      const extra = kind === 'receive'
        ? h('input', { name: 'cost', inputmode: 'decimal', placeholder: `total cost (${currency})`, 'aria-label': 'Total cost' })
        : h('input', { name: 'reason', required: true, placeholder: 'why', 'aria-label': 'Reason' });
      const form = h('form', { class: 'inline-form', novalidate: true, 'aria-label': `${kind} ${i.name}` }, quantity, unit, extra,
        h('button', { type: 'submit', class: 'primary' }, kind === 'receive' ? 'Record delivery' : 'Record waste'),
        h('button', { type: 'button', class: 'ghost', onclick: () => { tr.remove(); reload(); } }, 'Cancel'));
      const tr = h('tr', { class: 'move-row' }, h('td', { colspan: 6 }, form));
      row.after(tr);
      quantity.focus();
      onSubmit(form, async () => {
        const body = { item_id: i.id, kind, quantity: Number(quantity.value), unit: unit.value };
        if (kind === 'receive' && extra.value.trim()) body.cost = toMinor(extra.value, currency);
        if (kind === 'waste') body.reason = extra.value;
        await api(auth, 'POST', `${base}/inventory/transactions`, body, { idempotent: true });
        toast(kind === 'receive' ? `Received ${quantity.value} ${unit.value} of ${i.name}` : `Waste of ${i.name} recorded`);
        load();
      });
    }
    // The supplier of an item: its name (the to-order list groups by it), phone and email.
    function supplierForm(row, i) {
      row.parentElement.querySelector('.move-row')?.remove();
      const s = i.supplier || {};
      const name = h('input', { name: 'supplier', 'aria-label': 'Supplier name', placeholder: 'supplier', value: s.name || '' });
      const phone = h('input', { name: 'supplier_phone', type: 'tel', 'aria-label': 'Supplier phone', placeholder: 'phone', value: s.phone || '' });
      const email = h('input', { name: 'supplier_email', type: 'email', 'aria-label': 'Supplier email', placeholder: 'email', value: s.email || '' });
      const form = h('form', { class: 'inline-form', novalidate: true, 'aria-label': `Supplier of ${i.name}` }, name, phone, email,
        h('button', { type: 'submit', class: 'primary' }, 'Save supplier'),
        h('button', { type: 'button', class: 'ghost', onclick: () => { tr.remove(); reload(); } }, 'Cancel'));
      const tr = h('tr', { class: 'move-row' }, h('td', { colspan: 6 }, form));
      row.after(tr);
      name.focus();
      onSubmit(form, async () => {
        const supplier = name.value.trim()
          ? { ...s, name: name.value.trim(), phone: phone.value.trim() || undefined, email: email.value.trim() || undefined }
          : null;
        // The item as it stands, its supplier changed (levels in its base unit).
        const body = { name: i.name, unit: i.unit, sku: i.sku, category_id: i.category_id, par_level: i.par_level, reorder_point: i.reorder_point,
          max_level: i.max_level, purchase_units: i.purchase_units, supplier };
        await api(auth, 'PUT', `${base}/inventory/items/${i.id}`, body);
        toast(supplier ? `${i.name} comes from ${supplier.name}` : `${i.name} has no supplier now`);
        load();
      });
    }
    function stockItemForm() {
      const f = {
        name: h('input', { name: 'name', required: true }),
        unit: h('select', { name: 'unit' }, [['each', 'each (bottles, buns…)'], ['g', 'grams'], ['ml', 'millilitres']].map(([v, l]) => h('option', { value: v }, l))),
        sku: h('input', { name: 'sku' }),
        par_level: h('input', { name: 'par_level', inputmode: 'decimal' }),
        reorder_point: h('input', { name: 'reorder_point', inputmode: 'decimal' }),
        pu_name: h('input', { name: 'purchase_units', placeholder: 'e.g. case' }),
        pu_qty: h('input', { name: 'pu_qty', inputmode: 'decimal', placeholder: 'e.g. 24' }),
        supplier: h('input', { name: 'supplier', placeholder: 'who you buy it from' }),
        supplier_phone: h('input', { name: 'supplier_phone', type: 'tel' }),
      };
      const form = h('form', { class: 'grid-form' }, field('Name', f.name), field('Counted in', f.unit), field('SKU', f.sku),
        field('Par level', f.par_level, 'In the unit counted in'), field('Reorder at', f.reorder_point),
        field('Bought by the', f.pu_name), field('…which holds', f.pu_qty), field('Supplier', f.supplier), field('Supplier phone', f.supplier_phone),
        h('button', { type: 'submit', class: 'primary' }, 'Add stock item'));
      onSubmit(form, async () => {
        const num = (el) => (el.value.trim() === '' ? null : Number(el.value));
        const body = { name: f.name.value, unit: f.unit.value, sku: f.sku.value || null, par_level: num(f.par_level), reorder_point: num(f.reorder_point),
          purchase_units: f.pu_name.value.trim() ? [{ name: f.pu_name.value.trim(), quantity: num(f.pu_qty) || 0 }] : [],
          supplier: f.supplier.value.trim() ? { name: f.supplier.value.trim(), phone: f.supplier_phone.value.trim() || undefined } : null };
        await api(auth, 'POST', `${base}/inventory/items`, body, { idempotent: true });
        toast(`${body.name} added`);
        form.reset();
        load();
      });
      return form;
    }
    await Promise.all([load(), loadVariance(), loadFoodCost()]);
    // A live update waits while someone is typing a delivery or waste in the table.
    const reload = debounce(() => !list.querySelector('.move-row') && load(true), 300);
    live((e) => e.type === 'inventory.updated' && reload(), reload);
  },

  // ------------------------------------------------------------ count sheet (tablet)
  async count({ view, rid, base, auth }) {
    const items = await all(auth, `${base}/inventory/items`);
    const inputs = items.map((i) => h('input', { type: 'number', inputmode: 'decimal', min: 0, step: 'any', name: `count-${i.id}`, 'aria-label': `${i.name} counted, in ${i.unit}`, dataset: { id: i.id } }));
    const form = h('form', { class: 'count-sheet', novalidate: true },
      h('p', { class: 'muted' }, 'Enter what is on the shelf. Leave blank what you did not count. Saving records every difference.'),
      h('ul', {}, items.map((i, n) => h('li', {}, h('span', { class: 'name' }, i.name, h('small', { class: 'muted' }, ` expected ${Number(i.on_hand.toFixed(3))} ${i.unit}`)), inputs[n], h('span', { class: 'unit' }, i.unit)))),
      h('button', { type: 'submit', class: 'primary wide' }, 'Save count'));
    fill(view, items.length ? form : h('p', { class: 'muted' }, 'No stock items yet.'));
    form.addEventListener('submit', async (e) => {
      e.preventDefault();
      const counts = inputs.filter((el) => el.value.trim() !== '').map((el) => ({ item_id: el.dataset.id, quantity: Number(el.value) }));
      if (!counts.length) return toast('Nothing counted yet');
      try {
        const r = await api(auth, 'POST', `${base}/inventory/counts`, { counts }, { idempotent: true });
        toast(`Count saved for ${r.items.length} item(s)`);
        location.href = `/app/inventory?r=${rid}`;
      } catch (err) {
        const m = err.field && /^counts\[(\d+)\]/.exec(err.field);
        if (m) {
          const el = inputs.filter((x) => x.value.trim() !== '')[Number(m[1])];
          showFieldError(form, { field: el.name, message: err.message });
        } else toast(err.message, 'error');
      }
    });
  },
};

// The dashboard's stock screens (inventory and the count sheet), loaded by app.js only
// on their pages. Each gets the page's context from app.js.
import { h, fill, api, all, debounce, money, toMinor, toast, showFieldError, onSubmit } from './brigade.js';

export const sections = {
  // ------------------------------------------------------------ inventory
  async inventory({ main, view, rid, base, auth, currency, live, field }) {
    const manage = ['owner', 'manager'].includes(main.dataset.role);
    const list = h('tbody');
    const reorderEl = h('div');
    const newForm = manage ? stockItemForm() : null;
    fill(view,
      h('p', {}, h('a', { class: 'button', href: `/app/count?r=${rid}` }, 'Open the count sheet')),
      h('table', { class: 'grid stock' }, h('thead', {}, h('tr', {}, ['Item', 'On hand', 'Par', 'Reorder at', 'Value', ''].map((t) => h('th', {}, t)))), list),
      h('section', { class: 'card' }, h('h2', {}, 'To order'), reorderEl),
      newForm ? h('section', { class: 'card' }, h('h2', {}, 'New stock item'), newForm) : null);
    const qty = (n, unit) => `${Number(n.toFixed(3))} ${unit}`;
    const units = (i) => [i.unit, ...i.purchase_units.map((p) => p.name), ...({ g: ['kg', 'lb', 'oz'], ml: ['l', 'fl_oz', 'gal'], each: ['dozen'] }[i.unit] || [])];
    const load = async () => {
      const [items, reorder] = await Promise.all([all(auth, `${base}/inventory/items`), api(auth, 'GET', `${base}/inventory/reorder`)]);
      fill(list, items.length ? items.map((i) => h('tr', { class: i.low ? 'low' : '', dataset: { name: i.name } },
        h('td', {}, i.name, i.low ? h('span', { class: 'tag danger-tag' }, 'low') : null),
        h('td', { class: 'num' }, qty(i.on_hand, i.unit)),
        h('td', { class: 'num' }, i.par_level == null ? '—' : qty(i.par_level, i.unit)),
        h('td', { class: 'num' }, i.reorder_point == null ? '—' : qty(i.reorder_point, i.unit)),
        h('td', { class: 'num' }, money(i.value, currency)),
        h('td', {}, h('button', { type: 'button', onclick: (e) => moveForm(e.target.closest('tr'), i, 'receive') }, 'Receive'),
          h('button', { type: 'button', class: 'ghost', onclick: (e) => moveForm(e.target.closest('tr'), i, 'waste') }, 'Waste'))))
        : h('tr', {}, h('td', { colspan: 6, class: 'muted' }, 'No stock items yet.')));
      fill(reorderEl, reorder.items.length
        ? h('ul', { class: 'simple' }, reorder.items.map((l) => h('li', {}, h('b', {}, l.name), ': ',
          l.purchase_units != null ? `${l.purchase_units} × ${l.purchase_unit} (${qty(l.order_quantity, l.unit)})` : qty(l.order_quantity, l.unit),
          ` · about ${money(l.estimated_cost, currency)}`)))
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
        h('button', { type: 'button', class: 'ghost', onclick: () => tr.remove() }, 'Cancel'));
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
    function stockItemForm() {
      const f = {
        name: h('input', { name: 'name', required: true }),
        unit: h('select', { name: 'unit' }, [['each', 'each (bottles, buns…)'], ['g', 'grams'], ['ml', 'millilitres']].map(([v, l]) => h('option', { value: v }, l))),
        sku: h('input', { name: 'sku' }),
        par_level: h('input', { name: 'par_level', inputmode: 'decimal' }),
        reorder_point: h('input', { name: 'reorder_point', inputmode: 'decimal' }),
        pu_name: h('input', { name: 'purchase_units', placeholder: 'e.g. case' }),
        pu_qty: h('input', { name: 'pu_qty', inputmode: 'decimal', placeholder: 'e.g. 24' }),
      };
      const form = h('form', { class: 'grid-form' }, field('Name', f.name), field('Counted in', f.unit), field('SKU', f.sku),
        field('Par level', f.par_level, 'In the unit counted in'), field('Reorder at', f.reorder_point),
        field('Bought by the', f.pu_name), field('…which holds', f.pu_qty), h('button', { type: 'submit', class: 'primary' }, 'Add stock item'));
      onSubmit(form, async () => {
        const num = (el) => (el.value.trim() === '' ? null : Number(el.value));
        const body = { name: f.name.value, unit: f.unit.value, sku: f.sku.value || null, par_level: num(f.par_level), reorder_point: num(f.reorder_point),
          purchase_units: f.pu_name.value.trim() ? [{ name: f.pu_name.value.trim(), quantity: num(f.pu_qty) || 0 }] : [] };
        await api(auth, 'POST', `${base}/inventory/items`, body, { idempotent: true });
        toast(`${body.name} added`);
        form.reset();
        load();
      });
      return form;
    }
    await load();
    // A live update waits while someone is typing a delivery or waste in the table.
    const reload = debounce(() => !list.querySelector('.move-row') && load(), 300);
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

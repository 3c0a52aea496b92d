// An item's sheet: its modifier groups with their rules (a group at its max disables its
// other options, so nobody can overshoot), quantity, notes and, at the counter, the seat.
// The price shown changes as options are chosen; the server still prices the order.
import { h, fill, money } from './brigade.js';

/** The rule a group states: "Choose 1", "Up to 3", "Optional"… */
export function groupRule(g) {
  const single = g.max === 1;
  if (g.min === 0) return single ? 'Optional' : `Up to ${g.max}`;
  return g.min === g.max ? `Choose ${g.min}` : `Choose ${g.min} to ${g.max}`;
}

/**
 * Opens the sheet for `item` in `dialog` (an empty <dialog>). `line` preselects a line
 * being changed ({quantity, modifiers, notes, seat}). `seats`: show a seat picker.
 * Resolves to the line chosen ({item_id, quantity, modifiers, notes, seat}) or null.
 */
export function itemSheet(dialog, item, { currency, line = null, seats = false, addLabel = 'Add to order' } = {}) {
  const groups = (item.modifier_groups || []).filter((g) => g.is_active !== false);
  let qty = line ? line.quantity : 1;
  const chosen = new Set(line ? line.modifiers : []);
  const error = h('p', { class: 'error', role: 'alert' });
  const price = h('output', { class: 'sheet-price', 'aria-live': 'polite' });
  const qtyOut = h('output', { 'aria-live': 'polite' }, String(qty));
  const notes = h('input', { id: 'sheet-notes', maxlength: 500, value: line?.notes || '' });
  const seat = h('input', { id: 'sheet-seat', type: 'number', min: 1, max: 99, inputmode: 'numeric', value: line?.seat ?? '' });
  const options = (g) => (g.options || []).filter((o) => o.is_active !== false);

  const boxes = (g) => [...dialog.querySelectorAll(`input[name="g-${g.id}"]`)];
  function limit(g) {
    if (g.max === 1) return;
    const n = boxes(g).filter((b) => b.checked).length;
    for (const b of boxes(g)) b.disabled = !b.checked && n >= g.max;
  }
  function picked() {
    return groups.flatMap((g) => boxes(g).filter((b) => b.checked).map((b) => b.value));
  }
  function reprice() {
    const deltas = new Map(groups.flatMap((g) => options(g).map((o) => [o.id, o.price_delta || 0])));
    const unit = item.price + picked().reduce((n, id) => n + (deltas.get(id) || 0), 0);
    price.textContent = money(unit * qty, currency);
    qtyOut.textContent = String(qty);
  }

  const form = h(
    'form',
    { method: 'dialog', class: 'item-sheet' },
    h('h2', {}, item.name, ' ', price),
    item.description ? h('p', { class: 'muted' }, item.description) : null,
    groups.map((g) =>
      h(
        'fieldset',
        { class: 'modifier-group', dataset: { group: g.id } },
        h('legend', {}, g.name, ' ', h('small', { class: g.min > 0 ? 'required' : 'muted' }, g.min > 0 ? `Required · ${groupRule(g)}` : groupRule(g))),
        options(g).map((o) =>
          h(
            'label',
            { class: 'option' },
            h('input', {
              type: g.max === 1 ? 'radio' : 'checkbox',
              name: `g-${g.id}`,
              value: o.id,
              checked: chosen.has(o.id),
              onchange: () => {
                limit(g);
                reprice();
              },
            }),
            ` ${o.name}`,
            o.price_delta ? h('span', { class: 'muted' }, ` ${o.price_delta > 0 ? '+' : ''}${money(o.price_delta, currency)}`) : null,
          ),
        ),
      ),
    ),
    seats ? [h('label', { for: 'sheet-seat' }, 'Seat'), seat] : null,
    h('label', { for: 'sheet-notes' }, 'Notes for the kitchen'),
    notes,
    h(
      'div',
      { class: 'qty', role: 'group', 'aria-label': 'Quantity' },
      h('button', { type: 'button', 'aria-label': 'One fewer', onclick: () => { qty = Math.max(1, qty - 1); reprice(); } }, '−'),
      qtyOut,
      h('button', { type: 'button', 'aria-label': 'One more', onclick: () => { qty = Math.min(999, qty + 1); reprice(); } }, '+'),
    ),
    error,
    h('div', { class: 'row' }, h('button', { type: 'button', class: 'ghost', value: 'cancel', onclick: () => dialog.close() }, 'Cancel'), h('button', { type: 'submit', class: 'primary' }, addLabel)),
  );
  fill(dialog, form);
  groups.forEach(limit);
  reprice();

  return new Promise((resolve) => {
    let result = null;
    form.addEventListener('submit', (e) => {
      e.preventDefault();
      for (const g of groups) {
        const n = boxes(g).filter((b) => b.checked).length;
        if (n < g.min) {
          error.textContent = g.min === 1 ? `Choose a ${g.name.toLowerCase()}.` : `Choose at least ${g.min} for ${g.name}.`;
          boxes(g)[0]?.focus();
          return;
        }
        if (n > g.max) {
          error.textContent = `Choose at most ${g.max} for ${g.name}.`;
          return;
        }
      }
      const s = seat.value.trim() === '' ? null : Number(seat.value);
      if (seats && s !== null && !(Number.isInteger(s) && s >= 1 && s <= 99)) {
        error.textContent = 'A seat is 1 to 99.';
        seat.focus();
        return;
      }
      result = { item_id: item.id, quantity: qty, modifiers: picked(), notes: notes.value.trim() || null, seat: seats ? s : null };
      dialog.close();
    });
    dialog.addEventListener('close', () => resolve(result), { once: true });
    dialog.showModal();
    (dialog.querySelector('fieldset input') || notes).focus();
  });
}

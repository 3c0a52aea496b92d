// The live orders board, shared by the manager dashboard and the staff device: open
// orders by status, oldest first, with the next step, assign and cancel.
import { h, fill, api, all, debounce, money, since, clockTime, toast, channelLabel, STATUS_LABELS, NEXT_STATUS } from './brigade.js';

const TYPES = { dine_in: 'Dine-in', takeout: 'Takeout', delivery: 'Delivery' };

const COLUMNS = ['received', 'accepted', 'preparing', 'ready'];
const ACTION = { accepted: 'Accept', preparing: 'Start', ready: 'Ready', completed: 'Complete' };
// A card payment's state, so nobody charges a guest at the counter who paid by card.
const PAYMENT = {
  pending: ['Card checkout open', ''],
  paid: ['Paid by card', 'ok-tag'],
  refund_pending: ['Refund pending', 'warn-tag'],
  refunded: ['Refunded', ''],
  refund_failed: ['Refund failed', 'danger-tag'],
};

export class OrdersBoard {
  /**
   * root: the element to draw in; rid: restaurant; auth: an Auth; currency: its code;
   * members: optional [{id, name}] for assigning; onAction: called after any change
   * (the staff device signs out then).
   */
  constructor({ root, rid, auth, currency, members = [], me = null, onAction = () => {} }) {
    Object.assign(this, { root, rid, auth, currency, members, me, onAction });
    this.seen = new Set();
    this.first = true;
    this.sound = false;
    this.reload = debounce(() => this.load(), 120);
    this.columns = {};
    const cols = COLUMNS.map((s) => {
      const list = h('ul', { class: 'order-list', 'aria-label': `${STATUS_LABELS[s]} orders` });
      const count = h('span', { class: 'count' }, '0');
      this.columns[s] = { list, count };
      return h('section', { class: `column col-${s}` }, h('h2', {}, STATUS_LABELS[s], ' ', count), list);
    });
    fill(root, h('div', { class: 'board' }, cols));
    setInterval(() => this.tick(), 1000);
  }

  async load() {
    let page;
    // The floor knows where food goes: table names, once.
    if (!this.tables) {
      this.tables = new Map();
      all(this.auth, `/v1/restaurants/${this.rid}/tables`)
        .then((list) => {
          this.tables = new Map(list.map((t) => [t.id, t.name]));
          this.reload();
        })
        .catch(() => {});
    }
    try {
      page = await api(this.auth, 'GET', `/v1/restaurants/${this.rid}/orders/queue?limit=200`);
    } catch (e) {
      toast(`Could not load orders: ${e.message}`, 'error');
      return;
    }
    const fresh = page.items.filter((o) => !this.seen.has(o.id));
    for (const s of COLUMNS) {
      const orders = page.items.filter((o) => o.status === s);
      this.columns[s].count.textContent = String(orders.length);
      fill(this.columns[s].list, orders.map((o) => this.card(o, !this.first && fresh.includes(o))));
    }
    for (const o of page.items) this.seen.add(o.id);
    if (!this.first && fresh.length) {
      toast(`New order #${fresh.map((o) => o.number).join(', #')}`);
      if (this.sound) beep();
    }
    this.first = false;
  }

  card(o, isNew) {
    const act = async (fn, done) => {
      try {
        await fn();
        toast(done);
        this.onAction();
      } catch (e) {
        toast(e.message, 'error');
      }
      this.reload();
    };
    const next = NEXT_STATUS[o.status].filter((s) => s !== 'preparing' || o.status !== 'ready')[0];
    const assign = this.members.length
      ? h(
          'select',
          {
            'aria-label': `Assign order ${o.number}`,
            onchange: (e) =>
              act(
                () => api(this.auth, 'POST', `/v1/restaurants/${this.rid}/orders/${o.id}/assign`, { user_id: e.target.value || null }),
                `Order #${o.number} assigned`,
              ),
          },
          h('option', { value: '' }, 'Unassigned'),
          this.members.map((m) => h('option', { value: m.id, selected: m.id === o.assigned_to }, m.name)),
        )
      : null;
    const payment = PAYMENT[o.payment_status];
    return h(
      'li',
      { class: `order-card${isNew ? ' new' : ''}`, dataset: { id: o.id, created: o.created_at } },
      h(
        'div',
        { class: 'order-head' },
        h('strong', {}, `#${o.number}`),
        h('span', { class: 'tag' }, channelLabel(o.channel)),
        h('span', { class: 'tag' }, TYPES[o.type] || o.type),
        o.table_id ? h('span', { class: 'tag' }, this.tables.get(o.table_id) || 'table') : null,
        payment ? h('span', { class: `tag ${payment[1]}` }, payment[0]) : null,
        h('span', { class: 'age', dataset: { since: o.created_at } }, since(o.created_at)),
      ),
      o.customer?.name || o.customer_id || o.estimated_ready_at
        ? h('div', { class: 'muted small' },
          o.customer_id
            ? h('a', { href: `/app/customers?r=${this.rid}&id=${o.customer_id}`, title: 'Their guest profile' }, o.customer?.name || 'Guest profile')
            : o.customer?.name,
          o.status !== 'ready' && o.estimated_ready_at ? `${o.customer?.name || o.customer_id ? ' · ' : ''}promised ${clockTime(o.estimated_ready_at)}` : null)
        : null,
      h(
        'ul',
        { class: 'lines' },
        o.items.map((l) =>
          h(
            'li',
            l.voided ? { class: 'voided' } : {},
            h('b', {}, l.voided ? 'VOID ' : `${l.quantity}× `),
            l.seat ? h('span', { class: 'seat' }, `S${l.seat} `) : null,
            l.name,
            l.modifiers.length ? h('span', { class: 'mods' }, ` — ${l.modifiers.map((m) => m.name).join(', ')}`) : null,
            l.notes ? h('div', { class: 'note' }, l.notes) : null,
            l.flag ? h('div', { class: 'flag', role: 'note' }, `⚠ ${l.flag}`) : null,
          ),
        ),
      ),
      o.special_instructions ? h('p', { class: 'note' }, o.special_instructions) : null,
      h('div', { class: 'order-total' }, money(o.total, o.currency)),
      o.external_total != null && o.external_total !== o.total
        ? h('div', { class: 'muted small' }, `${channelLabel(o.channel)} charged ${money(o.external_total, o.currency)}`)
        : null,
      h(
        'div',
        { class: 'row' },
        next
          ? h(
              'button',
              {
                type: 'button',
                class: 'primary',
                onclick: () =>
                  act(
                    () => api(this.auth, 'POST', `/v1/restaurants/${this.rid}/orders/${o.id}/status`, { status: next }),
                    `Order #${o.number}: ${STATUS_LABELS[next]}`,
                  ),
              },
              ACTION[next] || STATUS_LABELS[next],
            )
          : null,
        assign,
        h(
          'button',
          {
            type: 'button',
            class: 'ghost danger',
            onclick: async () => {
              const reason = await askReason(`Cancel order #${o.number}?`);
              if (reason === null) return;
              act(
                () => api(this.auth, 'POST', `/v1/restaurants/${this.rid}/orders/${o.id}/status`, { status: 'cancelled', reason }),
                `Order #${o.number} cancelled`,
              );
            },
          },
          'Cancel…',
        ),
      ),
    );
  }

  tick() {
    for (const el of this.root.querySelectorAll('.age[data-since]')) el.textContent = since(el.dataset.since);
  }
}

/** A small modal asking why; resolves to the reason, or null when dismissed. */
export function askReason(title) {
  return new Promise((resolve) => {
    const input = h('input', { id: 'reason-input', required: true, maxlength: 200, value: '' });
    const dialog = h(
      'dialog',
      { class: 'ask', 'aria-labelledby': 'ask-title' },
      h(
        'form',
        { method: 'dialog' },
        h('h2', { id: 'ask-title' }, title),
        h('label', { for: 'reason-input' }, 'Reason'),
        input,
        h(
          'div',
          { class: 'row' },
          h('button', { type: 'button', class: 'ghost', onclick: () => dialog.close('') }, 'Back'),
          h('button', { type: 'submit', class: 'primary danger', value: 'ok' }, 'Confirm'),
        ),
      ),
    );
    dialog.addEventListener('close', () => {
      const ok = dialog.returnValue === 'ok';
      dialog.remove();
      resolve(ok ? input.value.trim() || 'cancelled' : null);
    });
    document.body.append(dialog);
    dialog.showModal();
  });
}

let audio = null;
export function beep() {
  try {
    audio = audio || new AudioContext();
    const o = audio.createOscillator();
    const g = audio.createGain();
    o.frequency.value = 880;
    g.gain.value = 0.1;
    o.connect(g).connect(audio.destination);
    o.start();
    o.stop(audio.currentTime + 0.2);
  } catch {
    // No sound on this device.
  }
}

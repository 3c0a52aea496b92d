// Guest ordering from a table's QR code: the live menu, an item sheet that enforces each
// modifier group's min and max, a cart priced by the server, and the order's tracking
// page. No sign-in; the table token in the URL is the guest's only credential.
import { h, $, fill, api, Live, liveIndicator, debounce, money, clockTime, STATUS_LABELS } from './brigade.js';

const STEPS = ['received', 'accepted', 'preparing', 'ready', 'completed'];

if ($('#guest')) menuPage();
if ($('#tracking')) trackingPage();

function menuPage() {
  const root = $('#guest');
  const token = root.dataset.token;
  const rid = root.dataset.rid;
  let menu = JSON.parse($('#menu-data').textContent);
  const currency = menu.restaurant.currency;
  const cartKey = `brigade-cart:${token}`;
  let cart = JSON.parse(sessionStorage.getItem(cartKey) || '[]');
  let items = new Map();

  function drawMenu() {
    const notice = $('#notice');
    notice.textContent = menu.notice || '';
    notice.hidden = !menu.notice;
    notice.classList.toggle('stopped', menu.taking_orders === false);
    items = new Map(menu.categories.flatMap((c) => c.items.map((i) => [i.id, i])));
    fill($('#categories'), menu.categories.map((c) => h('a', { href: `#cat-${c.id}`, class: 'chip' }, c.name)));
    fill(
      $('#menu'),
      menu.categories.length
        ? menu.categories.map((c) =>
            h(
              'section',
              { id: `cat-${c.id}`, class: 'category', 'aria-labelledby': `cat-h-${c.id}` },
              h('h2', { id: `cat-h-${c.id}` }, c.name),
              c.description ? h('p', { class: 'muted' }, c.description) : null,
              h(
                'ul',
                { class: 'menu-items' },
                c.items.map((i) =>
                  h(
                    'li',
                    {},
                    h(
                      'button',
                      { type: 'button', class: 'menu-item', dataset: { id: i.id }, onclick: () => openItem(i) },
                      i.images[0] ? h('img', { src: i.images[0], alt: '', loading: 'lazy', width: 72, height: 72 }) : null,
                      h(
                        'span',
                        { class: 'text' },
                        h('span', { class: 'name' }, i.name),
                        i.description ? h('span', { class: 'desc' }, i.description) : null,
                        i.allergens.length ? h('span', { class: 'allergens' }, `Contains: ${i.allergens.join(', ')}`) : null,
                      ),
                      h('span', { class: 'price' }, money(i.price, currency)),
                    ),
                  ),
                ),
              ),
            ),
          )
        : h('p', { class: 'muted' }, 'Nothing can be ordered right now.'),
    );
  }

  // ---------------------------------------------------------------- item sheet
  const dialog = $('#item-dialog');
  let current = null;
  let qty = 1;

  function openItem(item) {
    current = item;
    qty = 1;
    $('#qty').textContent = '1';
    $('#item-title').textContent = item.name;
    $('#item-desc').textContent = item.description || '';
    $('#item-notes').value = '';
    $('#item-error').textContent = '';
    fill(
      $('#item-groups'),
      item.modifier_groups.map((g) => {
        const single = g.max === 1;
        const rule = g.min === 0 ? (single ? 'Optional' : `Up to ${g.max}`) : g.min === g.max ? `Choose ${g.min}` : `Choose ${g.min} to ${g.max}`;
        return h(
          'fieldset',
          { class: 'modifier-group', dataset: { group: g.id, min: g.min, max: g.max } },
          h('legend', {}, g.name, ' ', h('small', { class: g.min > 0 ? 'required' : 'muted' }, g.min > 0 ? `Required · ${rule}` : rule)),
          g.options.map((o) =>
            h(
              'label',
              { class: 'option' },
              h('input', { type: single ? 'radio' : 'checkbox', name: `g-${g.id}`, value: o.id, onchange: () => limit(g) }),
              ` ${o.name}`,
              o.price_delta ? h('span', { class: 'muted' }, ` ${o.price_delta > 0 ? '+' : ''}${money(o.price_delta, currency)}`) : null,
            ),
          ),
        );
      }),
    );
    dialog.showModal();
  }

  // A group at its max disables its other boxes, so the guest cannot overshoot.
  function limit(g) {
    if (g.max === 1) return;
    const boxes = [...dialog.querySelectorAll(`input[name="g-${g.id}"]`)];
    const n = boxes.filter((b) => b.checked).length;
    for (const b of boxes) b.disabled = !b.checked && n >= g.max;
  }

  $('#qty-minus').addEventListener('click', () => {
    qty = Math.max(1, qty - 1);
    $('#qty').textContent = String(qty);
  });
  $('#qty-plus').addEventListener('click', () => {
    qty = Math.min(99, qty + 1);
    $('#qty').textContent = String(qty);
  });
  $('#item-cancel').addEventListener('click', () => dialog.close());
  $('#item-form').addEventListener('submit', (e) => {
    e.preventDefault();
    const modifiers = [];
    for (const g of current.modifier_groups) {
      const chosen = [...dialog.querySelectorAll(`input[name="g-${g.id}"]:checked`)].map((b) => b.value);
      if (chosen.length < g.min) {
        $('#item-error').textContent = g.min === 1 ? `Choose a ${g.name.toLowerCase()}.` : `Choose at least ${g.min} for ${g.name}.`;
        dialog.querySelector(`[data-group="${g.id}"] input`)?.focus();
        return;
      }
      if (chosen.length > g.max) {
        $('#item-error').textContent = `Choose at most ${g.max} for ${g.name}.`;
        return;
      }
      modifiers.push(...chosen);
    }
    const notes = $('#item-notes').value.trim() || null;
    cart.push({ item_id: current.id, quantity: qty, modifiers, notes });
    dialog.close();
    saveCart();
  });

  // ---------------------------------------------------------------- about the guest
  // Kept on this device only, to fill the form next time.
  const guestKey = 'brigade-guest';
  const proofKey = `brigade-points:${menu.restaurant.slug}`;
  const about = { name: $('#guest-name'), phone: $('#guest-phone'), email: $('#guest-email'), consent: $('#guest-consent') };
  const saved = JSON.parse(localStorage.getItem(guestKey) || '{}');
  for (const k of ['name', 'phone', 'email']) about[k].value = saved[k] || '';
  if (saved.phone || saved.email) $('#about-you').open = true;
  // The rewards the guest's points reach (from an earlier order on this device), and
  // the one they chose: { redeem_points } or { reward_id }.
  let spend = null;
  // A code the server refused for this cart: left out of the quote until the cart or
  // the code changes, its reason shown under it.
  let promoRefused = null;
  const guestBody = () => {
    const code = $('#promo-code').value.trim();
    const promo = code && code !== promoRefused ? { promo_code: code } : {};
    const customer = { name: about.name.value.trim() || null, phone: about.phone.value.trim() || null, email: about.email.value.trim() || null };
    if (!customer.name && !customer.phone && !customer.email) return promo;
    if (about.consent.checked) customer.marketing_consent = true;
    if ((customer.phone || customer.email) && $('#guest-updates').checked) customer.order_updates = true;
    const body = { customer, ...promo };
    const proof = JSON.parse(localStorage.getItem(proofKey) || 'null');
    if (spend && proof) Object.assign(body, spend, { points_proof: proof });
    return body;
  };
  /** Points from an earlier order on this device: offer the rewards they reach. */
  (async () => {
    const proof = JSON.parse(localStorage.getItem(proofKey) || 'null');
    if (!proof) return;
    try {
      const o = await api(null, 'GET', `/v1/public/orders/${proof.order_id}?key=${encodeURIComponent(proof.key)}`);
      const l = o.loyalty;
      if (!l) return;
      const choices = [];
      if (l.points >= l.reward_points && l.reward_value > 0) {
        choices.push([{ redeem_points: l.reward_points }, `Use ${l.reward_points} points: ${money(l.reward_value, currency)} off`]);
      }
      for (const r of l.rewards.filter((r) => l.points >= r.points)) {
        const what = r.kind === 'amount' ? `${money(r.value, currency)} off` : r.name;
        choices.push([{ reward_id: r.id }, `Use ${r.points} points: ${what}`]);
      }
      if (!choices.length) return;
      const box = $('#use-points');
      const radio = (value, label, checked) => h('label', { class: 'inline' },
        h('input', { type: 'radio', name: 'use-points', checked, onchange: () => { spend = value; $('#points-error').textContent = ''; refreshQuote(); } }), ` ${label}`);
      box.append(h('p', { class: 'muted small' }, `You have ${l.points} points.`),
        radio(null, 'Not this time', true), ...choices.map(([value, label]) => radio(value, label, false)),
        h('p', { class: 'error small', id: 'points-error', role: 'alert' }));
      box.hidden = false;
    } catch {
      localStorage.removeItem(proofKey);
    }
  })();
  for (const el of [about.phone, about.email]) el.addEventListener('change', () => refreshQuote());
  const retryPromo = () => {
    promoRefused = null;
    $('#promo-error').textContent = '';
    refreshQuote();
  };
  $('#promo-apply').addEventListener('click', retryPromo);
  $('#promo-code').addEventListener('change', retryPromo);

  // ---------------------------------------------------------------- cart
  let quote = null;
  function saveCart() {
    sessionStorage.setItem(cartKey, JSON.stringify(cart));
    // A code too big for the cart before may fit it now.
    promoRefused = null;
    $('#promo-error').textContent = '';
    refreshQuote();
  }

  // Only the quote of the cart as it is now is drawn. Every change (an item, the code,
  // a reward, the guest's number) counts at once, not when the debounced request
  // leaves: an answer already on its way for the cart before (a slow network, a code
  // refused for four fries landing after the fifth was added) is dropped, and the
  // cart's figures are dimmed until the new one lands. Place order stays live: the
  // server prices the order itself, and a guest who types their number and taps Place
  // at once is not ignored.
  let quoteSeq = 0;
  let pricedSeq = 0;
  function refreshQuote() {
    quoteSeq += 1;
    drawCart();
    requestQuote();
  }
  const requestQuote = debounce(async () => {
    $('#cart-error').textContent = '';
    const mine = quoteSeq;
    if (!cart.length) {
      quote = null;
      pricedSeq = mine;
      drawCart();
      return;
    }
    try {
      const q = await api(null, 'POST', `/v1/public/tables/${token}/quote`, { items: cart, ...guestBody() });
      if (mine !== quoteSeq) return;
      quote = q;
      pricedSeq = mine;
    } catch (e) {
      if (mine !== quoteSeq) return;
      // A code or reward refused: the quote before stays shown (dimmed) while the cart
      // is priced again without it.
      if (e.code === 'promo_invalid') {
        promoRefused = $('#promo-code').value.trim();
        $('#promo-error').textContent = e.message;
        return refreshQuote();
      }
      // Points that cannot be spent on this cart (a free item not in it): say why; the
      // quote is made without them until the guest chooses again.
      if (e.field === 'reward_id' || e.field === 'redeem_points') {
        $('#points-error').textContent = e.message;
        spend = null;
        const none = document.querySelector('#use-points input');
        if (none) none.checked = true;
        return refreshQuote();
      }
      quote = null;
      pricedSeq = mine;
      // An item that went away while in the cart: say which, and take it out.
      if (e.status === 409 || e.status === 422) {
        $('#cart-error').textContent = `${e.message}. It was taken out of your order.`;
        const gone = cart.findIndex((l) => !items.has(l.item_id));
        if (gone >= 0) {
          cart.splice(gone, 1);
          sessionStorage.setItem(cartKey, JSON.stringify(cart));
          return refreshQuote();
        }
      } else {
        $('#cart-error').textContent = e.message;
      }
    }
    drawCart();
  }, 100);

  function drawCart() {
    const priced = pricedSeq === quoteSeq;
    $('#cart').setAttribute('aria-busy', String(!priced));
    const count = cart.reduce((n, l) => n + l.quantity, 0);
    const button = $('#cart-button');
    button.hidden = count === 0;
    button.textContent = quote ? `View order · ${count} · ${money(quote.total, currency)}` : `View order · ${count}`;
    $('#cart').hidden = count === 0 || $('#cart').dataset.open !== 'true';
    fill(
      $('#cart-lines'),
      cart.map((l, idx) => {
        const q = quote?.lines[idx];
        const name = q?.name || items.get(l.item_id)?.name || 'Item';
        return h(
          'li',
          {},
          h('span', {}, `${l.quantity}× ${name}`, q?.modifiers.length ? h('small', { class: 'muted' }, ` ${q.modifiers.join(', ')}`) : null),
          h('span', { class: 'price' }, q ? money(q.line_total, currency) : '…'),
          h('button', { type: 'button', class: 'ghost', 'aria-label': `Remove ${name}`, onclick: () => { cart.splice(idx, 1); saveCart(); } }, 'Remove'),
        );
      }),
    );
    fill(
      $('#totals'),
      quote
        ? [
            quote.promotions.map((p) => [h('dt', {}, p.code ? `${p.name}${p.name === p.code ? '' : ` (${p.code})`}` : p.name), h('dd', { class: 'promo' }, `−${money(p.amount, currency)}`)]),
            quote.points_discount ? [h('dt', {}, `${quote.points_reward || 'Points'} (${quote.points_redeemed})`), h('dd', {}, `−${money(quote.points_discount, currency)}`)] : null,
            h('dt', {}, 'Subtotal'), h('dd', {}, money(quote.subtotal, currency)),
            h('dt', {}, menu.restaurant.tax_inclusive ? 'Tax included' : 'Tax'), h('dd', {}, money(quote.tax, currency)),
            h('dt', {}, 'Total'), h('dd', { id: 'total' }, money(quote.total, currency)),
          ]
        : [],
    );
    $('#place').disabled = !quote || menu.taking_orders === false;
  }

  $('#cart-button').addEventListener('click', () => {
    const open = $('#cart').dataset.open !== 'true';
    $('#cart').dataset.open = String(open);
    drawCart();
    if (open) $('#cart').scrollIntoView({ behavior: 'smooth' });
  });

  const orderKey = `brigade-order-key:${token}`;
  $('#place').addEventListener('click', async () => {
    const button = $('#place');
    button.disabled = true;
    // One key per cart, kept until the order goes through: a retry after a dropped
    // connection cannot order twice.
    const key = sessionStorage.getItem(orderKey) || crypto.randomUUID();
    sessionStorage.setItem(orderKey, key);
    try {
      const o = await api(null, 'POST', `/v1/public/tables/${token}/orders`, { items: cart, ...guestBody() }, { idempotent: key });
      const { name, phone, email } = guestBody().customer || {};
      if (name || phone || email) localStorage.setItem(guestKey, JSON.stringify({ name, phone, email }));
      sessionStorage.removeItem(orderKey);
      sessionStorage.removeItem(cartKey);
      location.href = `/t/${token}/orders/${o.id}#key=${encodeURIComponent(o.tracking_key)}`;
    } catch (e) {
      sessionStorage.removeItem(orderKey);
      if (e.code === 'promo_invalid') {
        promoRefused = $('#promo-code').value.trim();
        $('#promo-error').textContent = e.message;
      } else {
        $('#cart-error').textContent = e.message;
      }
      button.disabled = false;
      refreshQuote();
    }
  });

  // ---------------------------------------------------------------- live menu
  const reloadMenu = debounce(async () => {
    try {
      menu = await api(null, 'GET', `/v1/public/restaurants/${menu.restaurant.slug}/menu?channel=qr`);
    } catch {
      return;
    }
    drawMenu();
    if (current && dialog.open && !items.has(current.id)) {
      $('#item-error').textContent = `Sorry, ${current.name} just ran out.`;
      $('#item-add').disabled = true;
      dialog.addEventListener('close', () => ($('#item-add').disabled = false), { once: true });
    }
    if (cart.some((l) => !items.has(l.item_id))) refreshQuote();
  }, 50);

  drawMenu();
  refreshQuote();
  new Live({ channels: [{ name: `menu:${rid}` }], onEvent: reloadMenu, onResync: reloadMenu, onStatus: liveIndicator($('#conn')) });
}

function trackingPage() {
  const root = $('#tracking');
  const token = root.dataset.token;
  const id = root.dataset.order;
  const key = new URLSearchParams(location.hash.slice(1)).get('key') || '';
  const load = async () => {
    let o;
    try {
      o = await api(null, 'GET', `/v1/public/orders/${id}?key=${encodeURIComponent(key)}`);
    } catch (e) {
      $('#status').textContent = e.status === 404 ? 'We cannot find this order. Ask your server.' : `Could not load: ${e.message}`;
      return;
    }
    $('#order-number').textContent = `Order #${o.number}`;
    const label = STATUS_LABELS[o.status] || o.status;
    const at = STEPS.indexOf(o.status);
    for (const li of root.querySelectorAll('[data-step]')) {
      const i = STEPS.indexOf(li.dataset.step);
      li.classList.toggle('done', at >= 0 && i < at);
      li.classList.toggle('current', i === at);
      if (i === at) li.setAttribute('aria-current', 'step');
      else li.removeAttribute('aria-current');
    }
    $('#status').textContent =
      o.status === 'ready'
        ? 'Ready! Your order is on its way to the table.'
        : o.status === 'cancelled'
          ? 'This order was cancelled. Please ask your server.'
          : o.status === 'completed'
            ? 'Enjoy your meal.'
            : `${label} · ready around ${clockTime(o.estimated_ready_at)}`;
    root.dataset.status = o.status;
    fill($('#order-lines'), o.items.map((l) => h('li', {}, `${l.quantity}× ${l.name}`, l.modifiers.length ? h('small', { class: 'muted' }, ` ${l.modifiers.map((m) => m.name).join(', ')}`) : null)));
    fill($('#order-totals'),
      o.promotions.map((p) => [h('dt', {}, p.name), h('dd', { class: 'promo' }, `−${money(p.amount, o.currency)}`)]),
      o.points_discount ? [h('dt', {}, o.points_reward || 'Points'), h('dd', {}, `−${money(o.points_discount, o.currency)}`)] : null,
      h('dt', {}, 'Total'), h('dd', {}, money(o.total, o.currency)));
    const pay = $('#payment');
    if (pay) {
      fill(pay,
        o.payment_status === 'paid' ? h('p', { class: 'ok' }, 'Paid by card. Thank you!')
          : o.payment_status === 'refunded' || o.payment_status === 'refund_pending' ? h('p', {}, 'Your card payment is being refunded.')
            : o.pay_by_card ? h('button', { type: 'button', class: 'primary', onclick: async (e) => {
              e.target.disabled = true;
              try {
                const c = await api(null, 'POST', `/v1/public/orders/${id}/checkout?key=${encodeURIComponent(key)}`, { success_url: location.href });
                location.href = c.url;
              } catch (err) {
                e.target.disabled = false;
                $('#status').textContent = `Card payment is not available: ${err.message}. You can pay at the counter.`;
              }
            } }, `Pay ${money(o.total, o.currency)} by card`) : null);
    }
    showRating(o);
    showPoints(o);
  };
  const showPoints = (o) => {
    let box = $('#points');
    if (!o.loyalty) return box?.remove();
    // This order proves the points are this guest's when they order again here.
    localStorage.setItem(`brigade-points:${root.dataset.slug}`, JSON.stringify({ order_id: id, key }));
    if (!box) {
      box = h('p', { id: 'points', class: 'points', role: 'status' });
      $('#order-totals').after(box);
    }
    const l = o.loyalty;
    box.textContent = l.points >= l.reward_points
      ? `You have ${l.points} points: ${l.reward_points} take ${money(l.reward_value, o.currency)} off your next order here.`
      : `You have ${l.points} points. At ${l.reward_points} you get ${money(l.reward_value, o.currency)} off.`;
  };
  // Once the order is complete the guest rates it, once.
  const rate = $('#rate');
  const thanks = (stars) => fill(rate, h('h2', { id: 'rate-title' }, 'Thank you!'),
    h('p', { class: 'muted' }, `You rated this order ${stars} of 5.`));
  const showRating = (o) => {
    rate.hidden = o.status !== 'completed';
    if (rate.hidden || rate.dataset.shown === String(o.rating ?? 'form')) return;
    rate.dataset.shown = String(o.rating ?? 'form');
    if (o.rating) return thanks(o.rating);
    const stars = [1, 2, 3, 4, 5].map((n) => h('label', { class: 'star' },
      h('input', { type: 'radio', name: 'rating', value: n, required: true }), h('span', { 'aria-hidden': 'true' }, '★'),
      h('span', { class: 'sr-only' }, `${n} of 5`)));
    const comment = h('textarea', { name: 'comment', maxlength: 2000, rows: 3, id: 'rate-comment', placeholder: 'Anything we should know? (optional)' });
    const send = h('button', { type: 'submit', class: 'primary' }, 'Send');
    const form = h('form', { 'aria-labelledby': 'rate-title' },
      h('fieldset', { class: 'stars' }, h('legend', { id: 'rate-title' }, 'How was it?'), stars),
      h('label', { for: 'rate-comment', class: 'sr-only' }, 'Comment'), comment, send);
    form.addEventListener('submit', async (e) => {
      e.preventDefault();
      const rating = Number(new FormData(form).get('rating'));
      send.disabled = true;
      try {
        await api(null, 'POST', `/v1/public/orders/${id}/feedback?key=${encodeURIComponent(key)}`, { rating, comment: comment.value.trim() || null });
        rate.dataset.shown = String(rating);
        thanks(rating);
      } catch (err) {
        send.disabled = false;
        if (err.status === 409) return load();
        fill(rate, form, h('p', { class: 'error', role: 'alert' }, err.message));
      }
    });
    fill(rate, form);
  };
  const reload = debounce(load, 50);
  load();
  new Live({ channels: [{ name: `order:${id}`, key }], onEvent: reload, onResync: reload, onStatus: liveIndicator($('#conn')) });
  void token;
}

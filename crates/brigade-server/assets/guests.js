// Guests: what they thought (ratings by channel, day and item, with their words), who
// they are (search by name, phone or email), and a guest's profile: history, favourites,
// notes and tags, consent, merge, export and erase. Loaded by app.js only on its page.
import { h, fill, api, all, toast, money, toMinor, toMajor, stamp, dateOf, debounce, channelLabel, onSubmit, showFieldError } from './brigade.js';

const STARS = (n) => '★'.repeat(Math.round(n)) + '☆'.repeat(5 - Math.round(n));

export const sections = {
  async customers({ main, view, rid, base, auth, currency, field }) {
    const role = main.dataset.role;
    const manage = role === 'owner' || role === 'manager';
    const ratings = h('section', { class: 'card', 'aria-labelledby': 'ratings-title' });
    const q = h('input', { type: 'search', id: 'guest-q', name: 'q', placeholder: 'Name, phone number or email', autocomplete: 'off' });
    const search = h('form', { class: 'inline-form', role: 'search' }, field('Find a guest', q), h('button', { type: 'submit' }, 'Find'));
    const list = h('tbody');
    const more = h('button', { type: 'button', hidden: true }, 'More guests');
    const profile = h('section', { id: 'guest-profile', class: 'card', hidden: true, tabindex: '-1' });
    const listing = h('div', {}, search,
      h('table', { class: 'grid', 'aria-label': 'Guests' },
        h('thead', {}, h('tr', {}, ['Guest', 'Phone', 'Email', 'Visits', 'Spent', 'Last order'].map((t) => h('th', {}, t)))), list), more);
    const program = h('section', { class: 'card', 'aria-labelledby': 'loyalty-title' });
    const promos = h('section', { class: 'card', id: 'promotions', 'aria-labelledby': 'promotions-title' });
    const texts = h('section', { class: 'card', id: 'messages', 'aria-labelledby': 'messages-title' });
    fill(view, ratings, profile, listing, manage ? [promos, program, texts] : null);
    let cursor = null;

    // ---------------------------------------------------------------- loyalty
    const loadProgram = async () => {
      const p = await api(auth, 'GET', `${base}/loyalty`);
      const inputs = {
        enabled: h('input', { type: 'checkbox', name: 'enabled', checked: p.enabled }),
        points_per_unit: h('input', { type: 'number', name: 'points_per_unit', min: 0, max: 1000, value: p.points_per_unit }),
        reward_points: h('input', { type: 'number', name: 'reward_points', min: 1, value: p.reward_points }),
        reward_value: h('input', { name: 'reward_value', inputmode: 'decimal', value: toMajor(p.reward_value, currency) }),
      };
      const form = h('form', { class: 'grid-form', 'aria-labelledby': 'loyalty-title' },
        h('div', { class: 'field' }, h('label', { class: 'inline' }, inputs.enabled, ' Guests collect points')),
        field('Points per unit spent', inputs.points_per_unit, 'On completed orders; refunds take them back'),
        field('Points for a reward', inputs.reward_points),
        field(`Reward (${currency} off)`, inputs.reward_value),
        h('button', { type: 'submit', class: 'primary' }, 'Save program'));
      onSubmit(form, async () => {
        await api(auth, 'PUT', `${base}/loyalty`, {
          enabled: inputs.enabled.checked,
          points_per_unit: Number(inputs.points_per_unit.value),
          reward_points: Number(inputs.reward_points.value),
          reward_value: toMinor(inputs.reward_value.value, currency),
        });
        toast('Loyalty program saved');
      });
      // Rewards beside the standing one: an amount off, or an item free.
      const itemList = await all(auth, `${base}/menu/items`);
      const itemName = new Map(itemList.map((i) => [i.id, i.name]));
      // The program as saved now (its form may have been saved since this was drawn).
      const saveRewards = async (rewards) => {
        const { rewards: _, ...now } = await api(auth, 'GET', `${base}/loyalty`);
        return api(auth, 'PUT', `${base}/loyalty`, { ...now, rewards });
      };
      const reward = {
        name: h('input', { name: 'reward_name', maxlength: 200, placeholder: 'Free coffee', required: true }),
        points: h('input', { name: 'reward_points_needed', type: 'number', min: 1, value: 150 }),
        kind: h('select', { name: 'reward_kind' }, h('option', { value: 'free_item' }, 'An item free'), h('option', { value: 'amount' }, `${currency} off`)),
        item: h('select', { name: 'reward_item' }, itemList.map((i) => h('option', { value: i.id }, i.name))),
        value: h('input', { name: 'reward_amount', inputmode: 'decimal', placeholder: '5.00' }),
      };
      const rewardForm = h('form', { class: 'grid-form', 'aria-label': 'New reward' },
        field('Reward name', reward.name), field('Points it takes', reward.points), field('Gives', reward.kind),
        field('Free item', reward.item, 'The dearest of it on the order is free'), field(`Amount off (${currency})`, reward.value),
        h('button', { type: 'submit' }, 'Add reward'));
      onSubmit(rewardForm, async () => {
        const free = reward.kind.value === 'free_item';
        await saveRewards([...p.rewards, {
          name: reward.name.value.trim(),
          points: Number(reward.points.value),
          kind: reward.kind.value,
          value: free ? 0 : toMinor(reward.value.value, currency),
          item_ids: free ? [reward.item.value] : [],
        }]);
        toast(`${reward.name.value.trim()} added`);
        await loadProgram();
      });
      const rewardRows = p.rewards.map((r) => h('tr', {},
        h('td', {}, r.name), h('td', {}, String(r.points)),
        h('td', {}, r.kind === 'amount' ? `${money(r.value, currency)} off` : `${r.item_ids.map((i) => itemName.get(i) || 'an item').join(' or ')} free`),
        h('td', {}, h('button', { type: 'button', class: 'danger', onclick: async () => {
          if (!confirm(`Remove ${r.name}? Points already spent on it stay spent.`)) return;
          await saveRewards(p.rewards.filter((x) => x.id !== r.id));
          toast(`${r.name} removed`);
          await loadProgram();
        } }, 'Remove'))));
      fill(program, h('h2', { id: 'loyalty-title' }, 'Loyalty'),
        h('p', { class: 'muted' }, 'Shared by every location of your group. Guests see their points on their order page and spend them when they order.'), form,
        h('h3', {}, 'Rewards'),
        rewardRows.length ? h('table', { class: 'grid', 'aria-label': 'Rewards' },
          h('thead', {}, h('tr', {}, ['Reward', 'Points', 'Gives', ''].map((t) => h('th', {}, t)))), h('tbody', {}, rewardRows))
          : h('p', { class: 'muted' }, 'Only the standing reward above so far.'),
        rewardForm);
    };

    // ---------------------------------------------------------------- promotions
    const KINDS = { percent: '% off', amount: `${currency} off`, free_item: 'free (units)' };
    const offer = (p) => p.kind === 'percent' ? `${p.value}% off` : p.kind === 'amount' ? `${money(p.value, currency)} off` : `${p.value} free`;
    const loadPromotions = async () => {
      const [{ items }, categories, itemList] = await Promise.all([api(auth, 'GET', `${base}/promotions`), all(auth, `${base}/menu/categories`), all(auth, `${base}/menu/items`)]);
      const names = new Map([...itemList.map((i) => [i.id, i.name]), ...categories.map((c) => [c.id, c.name])]);
      const inputs = {
        code: h('input', { name: 'code', maxlength: 32, autocomplete: 'off', placeholder: 'SAVE10 (empty: applies by itself)' }),
        name: h('input', { name: 'name', maxlength: 200, placeholder: 'Lunch deal' }),
        kind: h('select', { name: 'kind' }, Object.entries(KINDS).map(([k, l]) => h('option', { value: k }, l))),
        value: h('input', { name: 'value', inputmode: 'decimal', value: '10' }),
        on: h('select', { name: 'on' }, h('option', { value: '' }, 'The whole order'),
          h('optgroup', { label: 'Category' }, categories.map((c) => h('option', { value: `c:${c.id}` }, c.name))),
          h('optgroup', { label: 'Item' }, itemList.map((i) => h('option', { value: `i:${i.id}` }, i.name)))),
        min_subtotal: h('input', { name: 'min_subtotal', inputmode: 'decimal', placeholder: 'none' }),
        max_uses: h('input', { name: 'max_uses', type: 'number', min: 1, placeholder: 'no limit' }),
        max_uses_per_customer: h('input', { name: 'max_uses_per_customer', type: 'number', min: 1, placeholder: 'no limit' }),
        ends_at: h('input', { name: 'ends_at', type: 'date' }),
        stackable: h('input', { type: 'checkbox', name: 'stackable' }),
      };
      const form = h('form', { class: 'grid-form', 'aria-label': 'New promotion' },
        field('Code', inputs.code), field('Name', inputs.name), field('Takes', inputs.kind), field('How much', inputs.value),
        field('Off', inputs.on, 'A free item needs an item'), field(`Minimum order (${currency})`, inputs.min_subtotal),
        field('Uses in all', inputs.max_uses), field('Uses per guest', inputs.max_uses_per_customer, 'Needs their phone or email'),
        field('Last day', inputs.ends_at),
        h('div', { class: 'field' }, h('label', { class: 'inline' }, inputs.stackable, ' Combines with other offers')),
        h('button', { type: 'submit', class: 'primary' }, 'Add promotion'));
      onSubmit(form, async () => {
        const kind = inputs.kind.value;
        const [scope, id] = inputs.on.value.split(':');
        const number = (el) => (el.value.trim() ? Number(el.value) : null);
        const body = {
          code: inputs.code.value.trim() || null,
          name: inputs.name.value.trim() || null,
          kind,
          value: kind === 'amount' ? toMinor(inputs.value.value, currency) : Number(inputs.value.value),
          item_ids: scope === 'i' ? [id] : [],
          category_ids: scope === 'c' ? [id] : [],
          min_subtotal: inputs.min_subtotal.value.trim() ? toMinor(inputs.min_subtotal.value, currency) : null,
          max_uses: number(inputs.max_uses),
          max_uses_per_customer: number(inputs.max_uses_per_customer),
          // The end of the chosen day, in this browser's zone (the restaurant's, at the desk).
          ends_at: inputs.ends_at.value ? new Date(`${inputs.ends_at.value}T23:59:59`).toISOString() : null,
          stackable: inputs.stackable.checked,
        };
        const p = await api(auth, 'POST', `${base}/promotions`, body);
        toast(`${p.name} added`);
        await loadPromotions();
      });
      const rows = items.map((p) => h('tr', {},
        h('td', {}, p.code ? h('code', {}, p.code) : h('span', { class: 'tag' }, 'automatic')),
        h('td', {}, p.name),
        h('td', {}, offer(p), [...p.item_ids, ...p.category_ids].length ? ` on ${[...p.item_ids, ...p.category_ids].map((i) => names.get(i) || '?').join(', ')}` : '',
          p.min_subtotal ? h('small', { class: 'muted' }, ` from ${money(p.min_subtotal, currency)}`) : null),
        h('td', {}, p.max_uses ? `${p.uses} of ${p.max_uses}` : String(p.uses)),
        h('td', {}, p.ends_at ? dateOf(p.ends_at) : '—'),
        h('td', {}, h('label', { class: 'inline' }, h('input', { type: 'checkbox', checked: p.active, 'aria-label': `${p.name} on`, onchange: async (e) => {
          const { id, uses, created_at, updated_at, ...rules } = p;
          try {
            await api(auth, 'PUT', `${base}/promotions/${id}`, { ...rules, active: e.target.checked });
            toast(`${p.name} ${e.target.checked ? 'on' : 'paused'}`);
          } catch (err) {
            e.target.checked = !e.target.checked;
            toast(err.message, 'error');
          }
        } }), ' on')),
        h('td', {}, h('button', { type: 'button', class: 'danger', onclick: async () => {
          if (!confirm(`End ${p.name}? Orders that used it keep it.`)) return;
          await api(auth, 'DELETE', `${base}/promotions/${p.id}`);
          toast(`${p.name} ended`);
          await loadPromotions();
        } }, 'End'))));
      fill(promos, h('h2', { id: 'promotions-title' }, 'Promotions'),
        h('p', { class: 'muted' }, 'Codes guests type when they order, or offers that apply by themselves. They come off before tax; the receipt and the kitchen ticket show them.'),
        items.length ? h('table', { class: 'grid', 'aria-label': 'Promotions' },
          h('thead', {}, h('tr', {}, ['Code', 'Name', 'Offer', 'Used', 'Ends', 'On', ''].map((t) => h('th', {}, t)))), h('tbody', {}, rows))
          : h('p', { class: 'muted' }, 'No promotions yet.'),
        h('h3', {}, 'New promotion'), form);
    };

    // ---------------------------------------------------------------- messages and retention
    const KIND_NAMES = { order_placed: 'Phone order taken', order_ready: 'Order ready', receipt: 'Receipt', order_refused: 'Platform order refused' };
    const loadTexts = async () => {
      const [{ items }, keep] = await Promise.all([api(auth, 'GET', `${base}/messages/templates`), api(auth, 'GET', `${base}/customers/retention`)]);
      const forms = items.map((t) => {
        const sms = h('textarea', { name: 'sms', rows: 2, maxlength: 640 }, t.sms);
        const subject = h('input', { name: 'email_subject', maxlength: 200, value: t.email_subject });
        const body = h('textarea', { name: 'email_body', rows: 4, maxlength: 5000 }, t.email_body);
        const form = h('form', { class: 'grid-form', 'aria-label': `${KIND_NAMES[t.kind]} message` },
          field('Text', sms), field('Email subject', subject), field('Email', body),
          h('div', { class: 'row' }, h('button', { type: 'submit' }, 'Save'),
            t.custom ? h('button', { type: 'button', class: 'ghost', onclick: async () => {
              await api(auth, 'DELETE', `${base}/messages/templates/${t.kind}`);
              await loadTexts();
              toast('Back to Brigade\'s words');
            } }, 'Use Brigade\'s words') : null));
        onSubmit(form, async () => {
          await api(auth, 'PUT', `${base}/messages/templates/${t.kind}`, { sms: sms.value, email_subject: subject.value, email_body: body.value });
          // Redrawn before the toast: a field filled after the toast is not wiped by a late redraw.
          await loadTexts();
          toast(`${KIND_NAMES[t.kind]} message saved`);
        });
        return h('details', {}, h('summary', {}, KIND_NAMES[t.kind], t.custom ? ' (yours)' : ''), form);
      });
      const months = h('input', { name: 'months', type: 'number', min: 1, max: 240, value: keep.months ?? '', placeholder: 'keep until erased' });
      const retention = h('form', { class: 'inline-form', 'aria-label': 'Retention' }, field('Erase guests with no order for (months)', months),
        h('button', { type: 'submit' }, 'Save'));
      onSubmit(retention, async () => {
        await api(auth, 'PUT', `${base}/customers/retention`, { months: months.value.trim() ? Number(months.value) : null });
        toast('Retention saved');
      });
      fill(texts, h('h2', { id: 'messages-title' }, 'Messages to guests'),
        h('p', { class: 'muted' }, 'Guests who ask get a text (through your Twilio number, under Integrations) or an email when their order is ready, and their receipt. Placeholders: {restaurant}, {name}, {number}, {total}, {link}, {platform}, {data_link}.'),
        forms, h('h3', {}, 'How long guests are kept'), retention);
    };

    // ---------------------------------------------------------------- ratings
    const loadRatings = async () => {
      const f = await api(auth, 'GET', `${base}/feedback`);
      const days = Object.entries(f.by_day).slice(-14);
      fill(ratings, h('h2', { id: 'ratings-title' }, 'What guests thought, last 30 days'),
        f.count === 0 ? h('p', { class: 'muted' }, 'No ratings yet. Guests rate an order on its tracking page once it is complete.') : [
          h('div', { class: 'stats' },
            h('div', { class: 'stat' }, h('span', { class: 'label' }, 'Average'), h('span', { class: 'value', title: `${f.average} of 5` }, `${f.average} ★`)),
            h('div', { class: 'stat' }, h('span', { class: 'label' }, 'Ratings'), h('span', { class: 'value' }, f.count)),
            Object.entries(f.by_channel).map(([c, r]) => h('div', { class: 'stat' }, h('span', { class: 'label' }, channelLabel(c)), h('span', { class: 'value' }, `${r.average} ★`), h('small', { class: 'muted' }, `${r.count} rated`)))),
          h('div', { class: 'columns' },
            h('div', {}, h('h3', {}, 'By day'), h('table', { class: 'grid', 'aria-label': 'Ratings by day' },
              h('tbody', {}, days.map(([d, r]) => h('tr', {}, h('td', {}, dateOf(`${d}T12:00:00Z`)), h('td', {}, `${r.average} ★`), h('td', { class: 'muted' }, `${r.count}`)))))),
            h('div', {}, h('h3', {}, 'By item ordered'), h('table', { class: 'grid', 'aria-label': 'Ratings by item' },
              h('tbody', {}, f.by_item.slice(0, 8).map((i) => h('tr', {}, h('td', {}, i.name), h('td', {}, `${i.average} ★`), h('td', { class: 'muted' }, `${i.count}`))))))),
          h('h3', {}, 'Latest words'),
          h('ul', { class: 'comments' }, f.items.filter((i) => i.comment).slice(0, 6).map((i) => h('li', { class: i.rating <= 2 ? 'low' : '' },
            h('span', { class: 'stars', 'aria-label': `${i.rating} of 5` }, STARS(i.rating)), ` #${i.order_number} · ${channelLabel(i.channel)} · ${stamp(i.created_at)}`,
            h('blockquote', {}, i.comment)))),
        ]);
    };

    // ---------------------------------------------------------------- the list
    const load = async (reset) => {
      if (reset) {
        cursor = null;
        list.replaceChildren();
      }
      const p = new URLSearchParams({ limit: '50' });
      if (q.value.trim()) p.set('q', q.value.trim());
      if (cursor) p.set('cursor', cursor);
      try {
        const page = await api(auth, 'GET', `${base}/customers?${p}`);
        if (reset && !page.items.length) {
          fill(list, h('tr', {}, h('td', { colspan: 6, class: 'muted' }, q.value.trim() ? 'No guest matches.' : 'No guests yet: they appear when an order gives a phone number or an email.')));
        }
        list.append(...page.items.map((c) => h('tr', {},
          h('td', {}, h('a', { href: `?r=${rid}&id=${c.id}`, onclick: (e) => (e.preventDefault(), open(c.id)) }, c.name || 'Guest without a name')),
          h('td', {}, c.phone || '—'), h('td', {}, c.email || '—'), h('td', {}, c.visits),
          h('td', {}, money(c.total_spent, currency)), h('td', {}, c.last_order_at ? dateOf(c.last_order_at) : '—'))));
        cursor = page.next_cursor;
        more.hidden = !cursor;
      } catch (err) {
        showFieldError(search, err) || toast(err.message, 'error');
      }
    };
    search.addEventListener('submit', (e) => (e.preventDefault(), load(true)));
    q.addEventListener('input', debounce(() => load(true), 250));
    more.addEventListener('click', () => load(false));

    // ---------------------------------------------------------------- a profile
    const open = async (id) => {
      history.replaceState(null, '', `?r=${rid}&id=${id}`);
      let c;
      try {
        c = await api(auth, 'GET', `${base}/customers/${id}`);
      } catch (err) {
        toast(err.status === 404 ? 'That guest is no longer here.' : err.message, 'error');
        return close();
      }
      const orders = await api(auth, 'GET', `${base}/customers/${id}/orders?limit=20`).catch(() => ({ items: [] }));
      const sent = await api(auth, 'GET', `${base}/messages?customer_id=${id}&limit=20`).catch(() => ({ items: [] }));
      const inputs = {
        name: h('input', { name: 'name', value: c.name || '', maxlength: 200 }),
        tags: h('input', { name: 'tags', value: c.tags.join(', '), placeholder: 'vip, allergy: peanuts' }),
        notes: h('textarea', { name: 'notes', rows: 3, maxlength: 2000 }, c.notes || ''),
      };
      const consent = h('input', { type: 'checkbox', name: 'marketing_consent', checked: c.marketing_consent.given });
      const consentWhen = c.marketing_consent.at
        ? `${c.marketing_consent.given ? 'Agreed' : 'Declined'} ${stamp(c.marketing_consent.at)}${c.marketing_consent.channel ? ` (${channelLabel(c.marketing_consent.channel)})` : ''}`
        : 'Never asked';
      const form = h('form', { class: 'grid-form', 'aria-label': 'Guest details' },
        field('Name', inputs.name), field('Tags', inputs.tags, 'Separate with commas'), field('Notes', inputs.notes, 'Allergies, preferences: staff see these'),
        h('div', { class: 'field' }, h('label', { class: 'inline' }, consent, ' Agrees to offers and news'), h('small', { class: 'muted' }, consentWhen)),
        h('button', { type: 'submit', class: 'primary' }, 'Save'));
      onSubmit(form, async () => {
        const tags = inputs.tags.value.split(',').map((t) => t.trim()).filter(Boolean);
        await api(auth, 'PUT', `${base}/customers/${id}`, { name: inputs.name.value.trim() || null, notes: inputs.notes.value.trim() || null, tags, marketing_consent: consent.checked });
        toast('Saved');
        open(id);
        load(true);
      });
      const stat = (label, value) => h('div', { class: 'stat' }, h('span', { class: 'label' }, label), h('span', { class: 'value' }, value));
      fill(profile,
        h('div', { class: 'row' }, h('h2', { id: 'guest-name' }, c.name || 'Guest without a name'), h('span', { class: 'spacer' }),
          h('button', { type: 'button', class: 'ghost', onclick: close }, 'Back to all guests')),
        h('p', {}, [c.phone, c.email].filter(Boolean).join(' · ') || 'No contact details', c.masked ? h('small', { class: 'muted' }, ' (masked for your role)') : null),
        c.tags.length ? h('p', {}, c.tags.map((t) => h('span', { class: 'tag' }, t))) : null,
        h('div', { class: 'stats' }, stat('Visits', c.visits), stat('Spent', money(c.total_spent, c.currency)),
          stat('Average ticket', c.average_ticket == null ? '—' : money(c.average_ticket, c.currency)),
          stat('First order', c.first_order_at ? dateOf(c.first_order_at) : '—'), stat('Last order', c.last_order_at ? dateOf(c.last_order_at) : '—'),
          stat('Points', c.points)),
        c.favourites.length ? h('p', {}, h('strong', {}, 'Orders most: '), c.favourites.map((f) => `${f.name} (${f.quantity})`).join(', ')) : null,
        form,
        h('h3', {}, 'Orders'),
        h('table', { class: 'grid', 'aria-label': 'Their orders' },
          h('thead', {}, h('tr', {}, ['Order', 'When', 'Channel', 'Items', 'Status', 'Total'].map((t) => h('th', {}, t)))),
          h('tbody', {}, orders.items.map((o) => h('tr', {}, h('td', {}, `#${o.number}`), h('td', {}, stamp(o.created_at)), h('td', {}, channelLabel(o.channel)),
            h('td', {}, o.items.map((l) => `${l.quantity}× ${l.name}`).join(', ')), h('td', {}, o.status), h('td', {}, money(o.total, o.currency)))))),
        c.points_history.length ? [h('h3', {}, 'Points'), h('table', { class: 'grid', 'aria-label': 'Their points' },
          h('tbody', {}, c.points_history.map((e) => h('tr', {}, h('td', {}, stamp(e.at)), h('td', {}, e.reason.replace('_', ' ')),
            h('td', {}, e.delta > 0 ? `+${e.delta}` : `${e.delta}`)))))] : null,
        messages(c, sent.items),
        manage ? privacy(c) : null);
      profile.hidden = false;
      for (const el of [listing, ratings, program, promos, texts]) el.hidden = true;
      profile.focus();
    };
    const close = () => {
      history.replaceState(null, '', `?r=${rid}`);
      profile.hidden = true;
      for (const el of [listing, ratings, program, promos, texts]) el.hidden = false;
    };

    /** What was sent them, and a message to write: about their visit, or an offer if they agreed. */
    const messages = (c, items) => {
      const body = h('textarea', { name: 'body', rows: 2, maxlength: 1600, placeholder: 'You left your scarf at table 4.' });
      const kind = h('select', { name: 'kind' }, h('option', { value: 'direct' }, 'About their visit'),
        manage && c.marketing_consent.given ? h('option', { value: 'marketing' }, 'An offer (they agreed)') : null);
      const form = h('form', { class: 'grid-form', 'aria-label': 'Write to them' }, field('Message', body), field('Kind', kind),
        h('button', { type: 'submit' }, 'Send'));
      onSubmit(form, async () => {
        const m = await api(auth, 'POST', `${base}/messages`, { customer_id: c.id, kind: kind.value, body: body.value.trim() });
        toast(`Queued: a ${m.channel === 'sms' ? 'text' : 'email'} to ${m.to}`);
        open(c.id);
      });
      return h('div', {}, h('h3', {}, 'Messages'),
        items.length ? h('table', { class: 'grid', 'aria-label': 'Messages to them' },
          h('tbody', {}, items.map((m) => h('tr', {}, h('td', {}, stamp(m.created_at)), h('td', {}, m.channel === 'sms' ? 'Text' : 'Email'),
            h('td', {}, m.kind.replace('_', ' ')), h('td', {}, m.body.length > 80 ? `${m.body.slice(0, 80)}…` : m.body),
            h('td', {}, h('span', { class: m.status === 'sent' ? 'ok-tag' : m.status === 'failed' ? 'danger-tag' : 'tag', title: m.error || '' }, m.status))))))
          : h('p', { class: 'muted' }, 'Nothing sent yet.'),
        form);
    };

    /** Merge a duplicate, export everything, erase: owners and managers. */
    const privacy = (c) => {
      const other = h('input', { name: 'other', placeholder: 'Their phone number, email or name', autocomplete: 'off' });
      const merge = h('form', { class: 'inline-form', 'aria-label': 'Merge a duplicate' }, field('Same person, other profile', other),
        h('button', { type: 'submit' }, 'Find and merge'));
      onSubmit(merge, async () => {
        const found = await api(auth, 'GET', `${base}/customers?q=${encodeURIComponent(other.value.trim())}&limit=5`);
        const dup = found.items.find((x) => x.id !== c.id);
        if (!dup) return toast('No other guest matches', 'error');
        if (!confirm(`Merge ${dup.name || 'that guest'} (${dup.visits} visits) into ${c.name || 'this guest'}? The other profile is deleted.`)) return;
        await api(auth, 'POST', `${base}/customers/${c.id}/merge`, { other_id: dup.id });
        toast('Merged');
        open(c.id);
        load(true);
      });
      const exportButton = h('button', { type: 'button', onclick: async () => {
        const data = await api(auth, 'GET', `${base}/customers/${c.id}/export`).catch((err) => toast(err.message, 'error'));
        if (!data) return;
        const a = h('a', { href: URL.createObjectURL(new Blob([JSON.stringify(data, null, 2)], { type: 'application/json' })), download: `guest-${c.id}.json` });
        a.click();
        toast('Exported');
      } }, 'Export their data');
      const eraseButton = h('button', { type: 'button', class: 'danger', onclick: async () => {
        if (!confirm(`Erase ${c.name || 'this guest'}? Their profile, phone, email, the name on their orders and their feedback's words go for good. The orders stay for the books.`)) return;
        try {
          await api(auth, 'DELETE', `${base}/customers/${c.id}`);
        } catch (err) {
          return toast(err.message, 'error');
        }
        toast('Erased');
        close();
        load(true);
      } }, 'Erase this guest');
      return h('div', {}, h('h3', {}, 'Their data'), merge, h('div', { class: 'row' }, exportButton, eraseButton));
    };

    if (manage) loadProgram().catch((e) => fill(program, h('p', { class: 'muted' }, `Loyalty could not load: ${e.message}`)));
    if (manage) loadPromotions().catch((e) => fill(promos, h('p', { class: 'muted' }, `Promotions could not load: ${e.message}`)));
    if (manage) loadTexts().catch((e) => fill(texts, h('p', { class: 'muted' }, `Messages could not load: ${e.message}`)));
    await Promise.all([loadRatings().catch((e) => fill(ratings, h('p', { class: 'muted' }, `Ratings could not load: ${e.message}`))), load(true)]);
    const wanted = new URLSearchParams(location.search).get('id');
    if (wanted) await open(wanted);
  },
};

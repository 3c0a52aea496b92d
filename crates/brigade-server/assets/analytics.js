// The analytics screen: a period (with presets) beside the period before, the headline
// numbers, sales by day and by hour, the channel mix, the menu-engineering scatter, the
// items, labour and prime cost, the kitchen's ticket times and the channels and platforms,
// each chart a small SVG drawn here. Loaded by app.js only on its page.
import { h, fill, api, money, toast } from './brigade.js';

const SVG = 'http://www.w3.org/2000/svg';

/** An SVG element, as `h` makes HTML ones. */
function s(tag, attrs, ...children) {
  const el = document.createElementNS(SVG, tag);
  for (const [k, v] of Object.entries(attrs || {})) if (v !== null && v !== undefined) el.setAttribute(k, String(v));
  for (const c of children.flat(Infinity)) if (c !== null && c !== undefined && c !== false) el.append(c instanceof Node ? c : document.createTextNode(String(c)));
  return el;
}

/** The local date (YYYY-MM-DD) in a time zone, `days` from today. */
function localDate(tz, days = 0) {
  return new Intl.DateTimeFormat('en-CA', { timeZone: tz, year: 'numeric', month: '2-digit', day: '2-digit' }).format(new Date(Date.now() + days * 864e5));
}

function shift(date, days) {
  const d = new Date(`${date}T12:00:00Z`);
  d.setUTCDate(d.getUTCDate() + days);
  return d.toISOString().slice(0, 10);
}

const PRESETS = {
  '7': 'Last 7 days',
  '30': 'Last 30 days',
  month: 'This month',
  lastmonth: 'Last month',
  '365': 'Last 12 months',
  custom: 'Custom',
};

function presetRange(p, tz) {
  const today = localDate(tz);
  if (p === 'month') return [today.slice(0, 8) + '01', today];
  if (p === 'lastmonth') {
    const end = shift(today.slice(0, 8) + '01', -1);
    return [end.slice(0, 8) + '01', end];
  }
  return [shift(today, 1 - Number(p)), today];
}

const pct = (x) => (x == null ? '' : `${x > 0 ? '+' : ''}${x}%`);

/** Vertical bars with an optional second series drawn as a line (the period before). */
function bars({ label, keys, values, before, format, tick }) {
  const W = 640, H = 220, L = 56, B = 28, T = 10;
  const max = Math.max(1, ...values, ...(before || []));
  const bw = (W - L - 8) / Math.max(1, keys.length);
  const y = (v) => T + (H - T - B) * (1 - v / max);
  const grid = [0, 0.5, 1].map((f) => [s('line', { x1: L, x2: W, y1: y(max * f), y2: y(max * f), class: 'grid' }),
    s('text', { x: L - 6, y: y(max * f) + 4, 'text-anchor': 'end' }, format(Math.round(max * f)))]);
  const rects = values.map((v, i) => s('rect', { x: L + i * bw + bw * 0.12, y: y(v), width: Math.max(1, bw * 0.76), height: Math.max(0, H - B - y(v)), class: 'bar' },
    s('title', {}, `${keys[i]}: ${format(v)}${before ? ` (before: ${format(before[i] ?? 0)})` : ''}`)));
  const step = Math.ceil(keys.length / 12);
  const ticks = keys.map((k, i) => (i % step === 0 ? s('text', { x: L + i * bw + bw / 2, y: H - 8, 'text-anchor': 'middle' }, tick ? tick(k) : k) : null));
  const line = before && before.length
    ? s('polyline', { class: 'before', points: before.map((v, i) => `${L + i * bw + bw / 2},${y(v)}`).join(' ') })
    : null;
  return s('svg', { viewBox: `0 0 ${W} ${H}`, role: 'img', 'aria-label': label, class: 'chart' }, s('title', {}, label), grid, rects, line, ticks);
}

/** Horizontal bars with each row's share. */
function shares({ label, rows, format }) {
  const total = rows.reduce((a, r) => a + r.value, 0) || 1;
  const W = 640, R = 26, L = 130;
  const max = Math.max(1, ...rows.map((r) => r.value));
  return s('svg', { viewBox: `0 0 ${W} ${Math.max(R, rows.length * R)}`, role: 'img', 'aria-label': label, class: 'chart' }, s('title', {}, label),
    rows.map((r, i) => [
      s('text', { x: L - 8, y: i * R + 17, 'text-anchor': 'end' }, r.label),
      s('rect', { x: L, y: i * R + 5, width: Math.max(1, (W - L - 150) * r.value / max), height: R - 10, class: 'bar' }),
      s('text', { x: L + (W - L - 150) * r.value / max + 6, y: i * R + 17 }, `${format(r.value)} · ${Math.round(r.value * 100 / total)}%`),
    ]));
}

/** The menu-engineering scatter: popularity across, margin up, the quadrants' lines. */
function scatter(m, currency) {
  const W = 640, H = 320, L = 56, B = 34, T = 12, Rm = 12;
  const xs = m.items.map((i) => i.quantity), ys = m.items.map((i) => i.contribution_margin);
  const xmax = Math.max(1, m.popularity_threshold * 2, ...xs) * 1.05;
  const ymax = Math.max(1, m.average_contribution_margin * 2, ...ys) * 1.05;
  const ymin = Math.min(0, ...ys);
  const x = (v) => L + (W - L - Rm) * v / xmax;
  const y = (v) => T + (H - T - B) * (1 - (v - ymin) / (ymax - ymin));
  const corner = (text, cx, cy, anchor) => s('text', { x: cx, y: cy, 'text-anchor': anchor, class: 'quadrant' }, text);
  return s('svg', { viewBox: `0 0 ${W} ${H}`, role: 'img', 'aria-label': 'Menu engineering: items by popularity and margin', class: 'chart scatter' },
    s('title', {}, 'Menu engineering'),
    s('line', { x1: x(m.popularity_threshold), x2: x(m.popularity_threshold), y1: T, y2: H - B, class: 'axis-mark' }),
    s('line', { x1: L, x2: W - Rm, y1: y(m.average_contribution_margin), y2: y(m.average_contribution_margin), class: 'axis-mark' }),
    corner('Puzzles', L + 6, T + 14, 'start'), corner('Stars', W - Rm - 6, T + 14, 'end'),
    corner('Dogs', L + 6, H - B - 6, 'start'), corner('Plowhorses', W - Rm - 6, H - B - 6, 'end'),
    s('text', { x: (L + W) / 2, y: H - 6, 'text-anchor': 'middle' }, 'Sold →'),
    s('text', { x: 12, y: T + 8, transform: `rotate(-90 12 ${T + 8})`, 'text-anchor': 'end' }, 'Margin per item →'),
    m.items.map((i) => s('circle', { cx: x(i.quantity), cy: y(i.contribution_margin), r: 6, class: `dot ${i.class}` },
      s('title', {}, `${i.name}: ${i.quantity} sold, ${money(i.contribution_margin, currency)} margin each (${i.class})`))));
}

export const sections = {
  async analytics({ view, rid, base, auth, currency }) {
    const tz = JSON.parse(document.getElementById('restaurant-data').textContent).timezone;
    const preset = h('select', { id: 'period-preset', 'aria-label': 'Period' }, Object.entries(PRESETS).map(([v, t]) => h('option', { value: v }, t)));
    const from = h('input', { type: 'date', id: 'period-from', 'aria-label': 'From' });
    const to = h('input', { type: 'date', id: 'period-to', 'aria-label': 'To' });
    // The API takes a bearer token, so a report is fetched with it and handed over as a file.
    const download = async (format) => {
      const q = `from=${from.value}&to=${to.value}&format=${format}`;
      const r = await fetch(`${base}/reports/period?${q}`, { headers: { Authorization: `Bearer ${await auth.get()}` } });
      if (!r.ok) return toast('Could not make the report', 'error');
      const name = (r.headers.get('content-disposition') || '').match(/filename="([^"]+)"/);
      const a = h('a', { href: URL.createObjectURL(await r.blob()), download: name ? name[1] : `report.${format}` });
      document.body.append(a);
      a.click();
      a.remove();
    };
    const pdf = h('button', { type: 'button', class: 'ghost', onclick: () => download('pdf') }, 'Report (PDF)');
    const csv = h('button', { type: 'button', class: 'ghost', onclick: () => download('csv') }, 'Report (CSV)');
    const compare = h('p', { class: 'muted', id: 'compare-note' });
    const stats = h('div', { class: 'stats wide' });
    const byDay = h('figure', { class: 'chart-box' });
    const byHour = h('figure', { class: 'chart-box' });
    const mix = h('figure', { class: 'chart-box' });
    const matrix = h('figure', { class: 'chart-box' });
    const classes = h('div', { class: 'classes' });
    const items = h('tbody');
    const parts = h('tbody');
    const labourStats = h('div', { class: 'stats wide', id: 'labour-stats' });
    const labourDay = h('figure', { class: 'chart-box' });
    const labourParts = h('tbody');
    const people = h('tbody');
    const kitchenStats = h('div', { class: 'stats wide', id: 'kitchen-stats' });
    const kitchenHour = h('figure', { class: 'chart-box' });
    const stations = h('tbody', { id: 'kitchen-stations' });
    const channels = h('tbody', { id: 'channel-rows' });
    const th = (list) => h('thead', {}, h('tr', {}, list.map((t) => h('th', {}, t))));
    const mail = h('section', { class: 'card', id: 'daily-email' });
    preset.value = '30';
    [from.value, to.value] = presetRange('30', tz);
    fill(view,
      h('div', { class: 'inline-form period-bar', role: 'group', 'aria-label': 'Period to show' }, preset, from, h('span', {}, 'to'), to, pdf, csv),
      compare, stats,
      h('section', { class: 'card' }, h('h2', {}, 'Sales by day'), byDay),
      h('div', { class: 'two-col' },
        h('section', { class: 'card' }, h('h2', {}, 'Sales by hour'), byHour),
        h('section', { class: 'card' }, h('h2', {}, 'Channel mix'), mix)),
      h('section', { class: 'card' }, h('h2', {}, 'Dayparts'),
        h('table', { class: 'grid' }, h('thead', {}, h('tr', {}, ['Daypart', 'Orders', 'Net sales', 'Average ticket'].map((t) => h('th', {}, t)))), parts)),
      h('section', { class: 'card' }, h('h2', {}, 'Menu engineering'),
        h('p', { class: 'muted' }, 'Stars sell well at a good margin; plowhorses sell well at a low one; puzzles earn well but sell little; dogs do neither.'),
        matrix, classes),
      h('section', { class: 'card' }, h('h2', {}, 'Items'),
        h('table', { class: 'grid' }, h('thead', {}, h('tr', {}, ['Item', 'Sold', 'Revenue', 'Food cost', 'Margin', 'Share'].map((t) => h('th', {}, t)))), items)),
      mail,
      h('section', { class: 'card', id: 'labour' }, h('h2', {}, 'Labour and prime cost'), labourStats, labourDay,
        h('div', { class: 'two-col' },
          h('table', { class: 'grid' }, th(['Daypart', 'Labour', 'Labour %', 'Hours', 'Scheduled']), labourParts),
          h('table', { class: 'grid' }, th(['Who', 'Hours', 'Scheduled', 'Overtime', 'Pay']), people))),
      h('section', { class: 'card', id: 'kitchen' }, h('h2', {}, 'Kitchen ticket times'), kitchenStats, kitchenHour,
        h('table', { class: 'grid' }, th(['Station', 'Tickets', 'Average', 'Half within', '9 in 10 within', 'Longest', 'Late']), stations)),
      h('section', { class: 'card', id: 'channels' }, h('h2', {}, 'Channels and platforms'),
        h('p', { class: 'muted' }, "A platform's own total is what it said the guest was charged; the difference is theirs less ours."),
        h('table', { class: 'grid' }, th(['Channel', 'Orders', 'Total', 'Share', "Platform's total", 'Difference', 'Cancelled', 'Refused']), channels)));

    const m = (v) => money(v, currency);
    const stat = (label, value, change) => h('div', { class: 'stat' }, h('span', { class: 'label' }, label), h('span', { class: 'value' }, value),
      change == null ? null : h('span', { class: `change ${change < 0 ? 'down' : 'up'}` }, `${pct(change)} vs before`));
    let seq = 0;
    const load = async () => {
      const q = `from=${from.value}&to=${to.value}`;
      const mine = ++seq;
      let got;
      try {
        got = await Promise.all([
          api(auth, 'GET', `${base}/analytics/summary?${q}`),
          api(auth, 'GET', `${base}/analytics/sales?${q}&group_by=day`),
          api(auth, 'GET', `${base}/analytics/sales?${q}&group_by=hour`),
          api(auth, 'GET', `${base}/analytics/sales?${q}&group_by=channel`),
          api(auth, 'GET', `${base}/analytics/sales?${q}&group_by=daypart`),
          api(auth, 'GET', `${base}/analytics/menu-engineering?${q}`),
          api(auth, 'GET', `${base}/analytics/items?${q}`),
          api(auth, 'GET', `${base}/analytics/labour?${q}&group_by=day`),
          api(auth, 'GET', `${base}/analytics/labour?${q}&group_by=daypart`),
          api(auth, 'GET', `${base}/analytics/kitchen?${q}&group_by=station`),
          api(auth, 'GET', `${base}/analytics/kitchen?${q}&group_by=hour`),
          api(auth, 'GET', `${base}/analytics/channels?${q}`),
        ]);
      } catch (e) {
        if (mine === seq) fill(compare, h('span', { class: 'error', role: 'alert' }, e.message));
        return;
      }
      // Only the newest period is drawn: an older answer arriving late is dropped.
      if (mine !== seq) return;
      const [sum, day, hour, channel, daypart, me, it, lab, labParts, kit, kitHour, chans] = got;
      const c = sum.current, ch = sum.change_percent;
      fill(compare, `${sum.from} to ${sum.to}, against ${sum.previous_from} to ${sum.previous_to}`,
        sum.year_before ? ` · a year before: ${m(sum.year_before.net)} net` : '');
      fill(stats, stat('Net sales', m(c.net), ch.net), stat('Orders', c.orders, ch.orders),
        stat('Average ticket', c.average_ticket == null ? '—' : m(c.average_ticket), ch.average_ticket),
        stat('Collected', m(c.total), ch.total), stat('Tips', m(c.tips)), stat('Discounts', m(c.discounts)), stat('Refunds', m(c.refunds)));
      const prev = await api(auth, 'GET', `${base}/analytics/sales?from=${day.previous_from}&to=${day.previous_to}&group_by=day`).catch(() => null);
      if (mine !== seq) return;
      fill(byDay, bars({ label: 'Net sales by day, with the period before as a line', keys: day.rows.map((r) => r.key), values: day.rows.map((r) => r.net),
        before: prev ? prev.rows.map((r) => r.net) : null, format: m, tick: (k) => k.slice(5) }),
      h('figcaption', { class: 'muted' }, 'Bars: this period · line: the period before'));
      fill(byHour, bars({ label: 'Net sales by hour of the day', keys: hour.rows.map((r) => r.key), values: hour.rows.map((r) => r.net), format: m, tick: (k) => `${k}h` }));
      fill(mix, channel.rows.length
        ? shares({ label: 'Net sales by channel', rows: channel.rows.map((r) => ({ label: r.key.replace('_', ' '), value: r.net })), format: m })
        : h('p', { class: 'muted' }, 'No sales in this period.'));
      fill(parts, daypart.rows.map((r) => h('tr', {}, h('td', {}, r.key), h('td', {}, r.orders), h('td', {}, m(r.net)),
        h('td', {}, r.average_ticket == null ? '—' : m(r.average_ticket)))));
      if (me.items.length) {
        fill(matrix, scatter(me, currency));
        const names = { star: 'Stars', plowhorse: 'Plowhorses', puzzle: 'Puzzles', dog: 'Dogs' };
        fill(classes, Object.entries(names).map(([k, t]) => {
          const list = me.items.filter((i) => i.class === k);
          return h('div', { class: `class-list ${k}` }, h('h3', {}, `${t} (${list.length})`), h('p', {}, list.map((i) => i.name).join(', ') || '—'));
        }), me.items.some((i) => !i.costed) ? h('p', { class: 'muted' }, 'Items without a recipe or a cost count at no food cost.') : null);
      } else {
        fill(matrix, h('p', { class: 'muted' }, 'Nothing sold in this period.'));
        fill(classes);
      }
      fill(items, it.rows.length ? it.rows.slice(0, 30).map((r) => h('tr', {}, h('td', {}, r.name), h('td', {}, r.quantity), h('td', {}, m(r.revenue)),
        h('td', {}, r.costed ? m(r.food_cost) : '—'), h('td', {}, r.costed ? m(r.margin) : '—'), h('td', {}, r.share_percent == null ? '—' : `${r.share_percent}%`)))
        : h('tr', {}, h('td', { colspan: 6, class: 'muted' }, 'Nothing sold in this period.')));
      drawLabour(lab, labParts);
      drawKitchen(kit, kitHour);
      drawChannels(chans);
    };
    const hrs = (x) => `${Math.round(x * 10) / 10} h`;
    const or = (v, f) => (v == null ? '—' : f(v));
    const per = (v) => or(v, (x) => `${x}%`);
    const mins = (secs) => or(secs, (x) => `${Math.floor(x / 60)}:${String(x % 60).padStart(2, '0')}`);
    const drawLabour = (lab, labParts) => {
      const t = lab.totals;
      fill(labourStats, stat('Labour cost', m(t.labour_cost)), stat('Labour %', per(t.labour_percent)),
        stat('Prime cost %', per(t.prime_cost_percent)), stat('Sales per labour hour', or(t.sales_per_labour_hour, m)),
        stat('Hours worked', hrs(t.hours)), stat('Hours scheduled', hrs(t.scheduled_hours)), stat('Overtime', hrs(t.overtime_hours || 0)));
      fill(labourDay, t.hours > 0
        ? [bars({ label: 'Labour % of net sales by day', keys: lab.rows.map((r) => r.key), values: lab.rows.map((r) => r.labour_percent || 0),
          format: (v) => `${v}%`, tick: (k) => k.slice(5) }), h('figcaption', { class: 'muted' }, 'Labour cost as a share of net sales, each day')]
        : h('p', { class: 'muted' }, 'No one was on the clock in this period.'));
      fill(labourParts, labParts.rows.map((r) => h('tr', {}, h('td', {}, r.key), h('td', {}, m(r.labour_cost)), h('td', {}, per(r.labour_percent)),
        h('td', {}, hrs(r.hours)), h('td', {}, hrs(r.scheduled_hours)))));
      fill(people, lab.people.length ? lab.people.map((p) => h('tr', {}, h('td', {}, p.name), h('td', {}, hrs(p.hours)), h('td', {}, hrs(p.scheduled_hours)),
        h('td', {}, hrs(p.overtime_hours)), h('td', {}, m(p.labour_cost))))
        : h('tr', {}, h('td', { colspan: 5, class: 'muted' }, 'No one worked or was scheduled.')));
    };
    const drawKitchen = (kit, kitHour) => {
      const t = kit.totals, before = kit.previous;
      fill(kitchenStats, stat('Tickets', t.tickets), stat('Average', mins(t.average_seconds)), stat('Half within', mins(t.p50_seconds)),
        stat('9 in 10 within', mins(t.p90_seconds)), stat(`Late (${Math.round(kit.late_secs / 60)} min or more)`, per(t.late_percent)),
        stat('9 in 10, period before', mins(before.p90_seconds)));
      fill(kitchenHour, t.tickets
        ? [bars({ label: 'Nine in ten tickets done within, by the hour they came in', keys: kitHour.rows.map((r) => r.key),
          values: kitHour.rows.map((r) => r.p90_seconds || 0), format: (v) => mins(v), tick: (k) => `${k}h` }),
        h('figcaption', { class: 'muted' }, 'Minutes within which nine in ten tickets were bumped, by the hour they reached the kitchen')]
        : h('p', { class: 'muted' }, 'No tickets were bumped in this period.'));
      fill(stations, kit.rows.length ? kit.rows.map((r) => h('tr', {}, h('td', {}, r.label), h('td', {}, r.tickets), h('td', {}, mins(r.average_seconds)),
        h('td', {}, mins(r.p50_seconds)), h('td', {}, mins(r.p90_seconds)), h('td', {}, mins(r.longest_seconds)), h('td', {}, `${r.late} · ${per(r.late_percent)}`)))
        : h('tr', {}, h('td', { colspan: 7, class: 'muted' }, 'No tickets in this period.')));
    };
    const why = (list) => list.map((r) => `${r.reason || 'no reason given'}: ${r.count}`).join('\n');
    const drawChannels = (c) => {
      fill(channels, c.channels.length ? c.channels.map((r) => h('tr', {}, h('td', {}, r.channel.replace('_', ' ')), h('td', {}, r.orders), h('td', {}, m(r.total)),
        h('td', {}, per(r.share_percent)), h('td', {}, r.matched_orders ? m(r.platform_total) : '—'),
        h('td', { class: r.difference < 0 ? 'down' : null }, r.matched_orders ? m(r.difference) : '—'),
        h('td', { title: why(r.cancel_reasons) }, r.cancelled ? `${r.cancelled} (${m(r.cancelled_total)})` : '0'),
        h('td', { title: why(r.refuse_reasons) }, r.refused)))
        : h('tr', {}, h('td', { colspan: 8, class: 'muted' }, 'No orders in this period.')));
    };
    // The daily report by email, for the person signed in.
    const drawMail = (e) => {
      const time = h('input', { type: 'time', id: 'daily-email-time', 'aria-label': 'Send at', value: e.send_at || '07:30', required: true });
      const save = async (ev) => {
        ev.preventDefault();
        try {
          drawMail(await api(auth, 'PUT', `${base}/reports/daily-email`, { send_at: time.value }));
          toast('The daily report will come by email');
        } catch (err) {
          toast(err.message, 'error');
        }
      };
      const stop = async () => {
        try {
          await api(auth, 'DELETE', `${base}/reports/daily-email`);
          drawMail(await api(auth, 'GET', `${base}/reports/daily-email`));
          toast('No more daily report emails');
        } catch (err) {
          toast(err.message, 'error');
        }
      };
      const when = e.next_at ? new Intl.DateTimeFormat(undefined, { timeZone: tz, weekday: 'long', hour: '2-digit', minute: '2-digit' }).format(new Date(e.next_at)) : '';
      fill(mail, h('h2', {}, 'Daily report by email'),
        e.mail_relay
          ? h('p', { class: 'muted', id: 'daily-email-status' }, e.send_at
            ? `Sent to ${e.to} every day at ${e.send_at}: the next, ${when}, reports ${e.next_day}.`
            : `Yesterday's report (figures in the email, the PDF attached) to ${e.to || 'you'} each day at a time you choose.`)
          : h('p', { class: 'muted', id: 'daily-email-status' }, 'This server has no mail relay (--smtp-url), so it cannot send email.'),
        h('form', { class: 'inline-form', onsubmit: save }, h('label', { for: 'daily-email-time' }, 'Send at'), time,
          h('button', { type: 'submit', disabled: !e.mail_relay }, e.send_at ? 'Change time' : 'Email me daily'),
          e.send_at ? h('button', { type: 'button', class: 'ghost', onclick: stop }, 'Stop') : null));
    };
    api(auth, 'GET', `${base}/reports/daily-email`).then(drawMail).catch(() => fill(mail));
    preset.addEventListener('change', () => {
      if (preset.value !== 'custom') [from.value, to.value] = presetRange(preset.value, tz);
      load();
    });
    for (const input of [from, to]) {
      input.addEventListener('change', () => {
        preset.value = 'custom';
        if (from.value && to.value && from.value <= to.value) load();
      });
    }
    await load();
  },
};

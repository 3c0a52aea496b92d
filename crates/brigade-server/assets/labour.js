// The dashboard's labour screen (who is on, timesheets, payroll, positions, overtime
// rules), loaded by app.js only on its page. It gets the page's context from app.js.
import { h, fill, api, all, debounce, money, toMinor, toast, showFieldError, onSubmit, dayTime } from './brigade.js';

export const sections = {
  // ------------------------------------------------------------ labour
  async labour({ view, rid, base, auth, currency, live, field }) {
    const stats = h('div', { class: 'stats' });
    const onClock = h('tbody');
    const sheet = h('tbody');
    const payrollEl = h('div');
    const hrs = (m) => `${Math.floor(m / 60)}h ${String(m % 60).padStart(2, '0')}m`;
    const local = (iso) => (iso ? dayTime(iso) : '—');
    const toInput = (iso) => {
      const d = new Date(iso);
      return new Date(d.getTime() - d.getTimezoneOffset() * 60000).toISOString().slice(0, 16);
    };
    const from = h('input', { type: 'date', id: 'payroll-from' });
    const to = h('input', { type: 'date', id: 'payroll-to' });
    const today = new Date();
    const monday = new Date(today);
    monday.setDate(today.getDate() - ((today.getDay() + 6) % 7));
    from.value = monday.toISOString().slice(0, 10);
    to.value = new Date(monday.getTime() + 7 * 864e5).toISOString().slice(0, 10);
    fill(view, stats,
      h('h2', {}, 'On the clock'),
      h('table', { class: 'grid' }, h('thead', {}, h('tr', {}, ['Who', 'Position', 'Since', 'Worked', 'Cost so far', ''].map((t) => h('th', {}, t)))), onClock),
      h('h2', {}, 'This week\'s time'),
      h('table', { class: 'grid' }, h('thead', {}, h('tr', {}, ['Who', 'In', 'Out', 'Worked', '', ''].map((t) => h('th', {}, t)))), sheet),
      h('section', { class: 'card' }, h('h2', {}, 'Payroll'),
        h('div', { class: 'inline-form' }, field('From', from), field('To (not included)', to),
          h('button', { type: 'button', onclick: () => loadPayroll() }, 'Show'),
          h('button', { type: 'button', onclick: () => downloadCsv() }, 'Download CSV')), payrollEl),
      h('section', { class: 'card' }, h('h2', {}, 'Positions and rates'), await positionsEditor()),
      h('section', { class: 'card' }, h('h2', {}, 'Overtime rules'), await rulesForm()));
    const stat = (label, value) => h('div', { class: 'stat' }, h('span', { class: 'label' }, label), h('span', { class: 'value' }, value));
    // `fromFeed`: drawn for someone else's change, so a correction opened in the sheet
    // while it was being read is not wiped (its own save draws the sheet).
    const load = async (fromFeed = false) => {
      const [now, entries] = await Promise.all([api(auth, 'GET', `${base}/labour/now`), api(auth, 'GET', `${base}/time-entries`)]);
      fill(stats, stat('On the clock', now.on_the_clock.length), stat('Labour today', money(now.labour_cost, currency)),
        stat('Sales today', money(now.sales, currency)), stat('Labour %', now.labour_percent == null ? '—' : `${now.labour_percent}%`));
      fill(onClock, now.on_the_clock.length ? now.on_the_clock.map((p) => h('tr', {}, h('td', {}, p.name), h('td', {}, p.position || '—'),
        h('td', {}, local(p.since)), h('td', {}, hrs(p.worked_minutes)), h('td', {}, money(p.cost_so_far, currency)),
        h('td', {}, p.flagged ? h('span', { class: 'tag danger-tag' }, 'clock-out forgotten?') : null,
          p.in_overtime ? h('span', { class: 'tag danger-tag' }, 'in overtime') : p.overtime_soon ? h('span', { class: 'tag' }, 'overtime within 2 h') : null,
          p.on_break ? h('span', { class: 'tag' }, 'on break') : null)))
        : h('tr', {}, h('td', { colspan: 6, class: 'muted' }, 'Nobody is clocked in.')));
      if (fromFeed && sheet.querySelector('.move-row')) return;
      fill(sheet, entries.items.length ? entries.items.map((e) => {
        const tr = h('tr', { class: e.flagged ? 'low' : '' }, h('td', {}, e.name), h('td', {}, local(e.clock_in)), h('td', {}, local(e.clock_out)),
          h('td', {}, hrs(e.worked_minutes)),
          h('td', {}, e.approved_at ? h('span', { class: 'tag' }, 'approved') : null, e.edit_reason ? h('span', { class: 'tag', title: e.edit_reason }, 'edited') : null,
            e.flagged ? h('span', { class: 'tag danger-tag' }, 'clock-out forgotten?') : null),
          h('td', {}, h('button', { type: 'button', class: 'ghost', onclick: () => edit(tr, e) }, 'Edit'),
            e.clock_out && !e.approved_at ? h('button', { type: 'button', class: 'ghost', onclick: () => act(`${base}/time-entries/${e.id}/approve`, 'Approved') }, 'Approve') : null));
        return tr;
      }) : h('tr', {}, h('td', { colspan: 6, class: 'muted' }, 'No time this week yet.')));
    };
    const act = async (path, done) => {
      try {
        await api(auth, 'POST', path);
        toast(done);
      } catch (err) {
        toast(err.message, 'error');
      }
      load();
    };
    function edit(tr, e) {
      sheet.querySelector('.move-row')?.remove();
      const cin = h('input', { type: 'datetime-local', name: 'clock_in', value: toInput(e.clock_in), 'aria-label': 'Clock in' });
      const cout = h('input', { type: 'datetime-local', name: 'clock_out', value: e.clock_out ? toInput(e.clock_out) : '', 'aria-label': 'Clock out' });
      const reason = h('input', { name: 'reason', placeholder: 'why', 'aria-label': 'Reason for the change' });
      const form = h('form', { class: 'inline-form', novalidate: true }, cin, cout, reason, h('button', { type: 'submit', class: 'primary' }, 'Save'),
        h('button', { type: 'button', class: 'ghost', onclick: () => { row.remove(); reload(); } }, 'Cancel'));
      const row = h('tr', { class: 'move-row' }, h('td', { colspan: 6 }, form));
      tr.after(row);
      onSubmit(form, async () => {
        const inAt = new Date(cin.value);
        const outAt = cout.value ? new Date(cout.value) : null;
        // Breaks stay, cut to the corrected entry (the inputs keep whole minutes).
        const breaks = e.breaks.filter((b) => b.end).map((b) => ({
          start: new Date(Math.max(Date.parse(b.start), inAt.getTime())),
          end: new Date(Math.min(Date.parse(b.end), outAt ? outAt.getTime() : Date.now())), paid: b.paid,
        })).filter((b) => b.end > b.start).map((b) => ({ start: b.start.toISOString(), end: b.end.toISOString(), paid: b.paid }));
        const body = { clock_in: inAt.toISOString(), clock_out: outAt ? outAt.toISOString() : null, breaks, reason: reason.value };
        await api(auth, 'PUT', `${base}/time-entries/${e.id}`, body);
        toast('Time corrected; the original is kept');
        load();
      });
    }
    const range = () => {
      const f = new Date(`${from.value}T00:00`);
      const t = new Date(`${to.value}T00:00`);
      return `from=${encodeURIComponent(f.toISOString())}&to=${encodeURIComponent(t.toISOString())}`;
    };
    async function loadPayroll() {
      try {
        const p = await api(auth, 'GET', `${base}/payroll?${range()}`);
        fill(payrollEl, h('table', { class: 'grid' }, h('thead', {}, h('tr', {}, ['Who', 'Regular', 'Overtime', 'Double', 'Pay', 'Unapproved'].map((t) => h('th', {}, t)))),
          h('tbody', {}, p.lines.map((l) => h('tr', {}, h('td', {}, l.name), h('td', {}, l.regular_hours), h('td', {}, l.overtime_hours), h('td', {}, l.double_time_hours),
            h('td', {}, money(l.pay, currency)), h('td', {}, l.unapproved_entries))))), h('p', {}, `Total ${money(p.total_pay, currency)}`));
      } catch (err) {
        toast(err.message, 'error');
      }
    }
    async function downloadCsv() {
      const r = await fetch(`${base}/payroll?${range()}&format=csv`, { headers: { Authorization: `Bearer ${await auth.get()}` } });
      if (!r.ok) return toast('Could not export payroll', 'error');
      const a = h('a', { href: URL.createObjectURL(await r.blob()), download: `payroll-${from.value}.csv` });
      document.body.append(a);
      a.click();
      a.remove();
    }
    async function positionsEditor() {
      const people = (await all(auth, `${base}/users`)).filter((p) => p.is_active);
      const who = h('select', { id: 'positions-who' }, people.map((p) => h('option', { value: p.id }, p.name)));
      const rows = h('div');
      const addRow = (p) => rows.append(h('div', { class: 'option' }, h('input', { value: p?.position || '', 'aria-label': 'Position', placeholder: 'e.g. server' }),
        h('input', { inputmode: 'decimal', value: p ? (p.hourly_rate / 100).toFixed(2) : '', 'aria-label': 'Hourly rate', placeholder: 'per hour' })));
      const show = async () => {
        rows.replaceChildren();
        const r = await api(auth, 'GET', `${base}/users/${who.value}/positions`);
        r.positions.forEach(addRow);
        if (!r.positions.length) addRow(null);
      };
      who.addEventListener('change', show);
      const form = h('form', { class: 'stack', novalidate: true }, field('Person', who), rows,
        h('div', { class: 'row' }, h('button', { type: 'button', onclick: () => addRow(null) }, '+ Position'), h('button', { type: 'submit', class: 'primary' }, 'Save positions')));
      form.addEventListener('submit', async (ev) => {
        ev.preventDefault();
        const positions = [...rows.children].map((r) => r.querySelectorAll('input')).filter((i) => i[0].value.trim())
          .map((i) => ({ position: i[0].value.trim(), hourly_rate: toMinor(i[1].value || '0', currency) }));
        try {
          await api(auth, 'PUT', `${base}/users/${who.value}/positions`, { positions });
          toast('Positions saved');
        } catch (err) {
          toast(err.message, 'error');
        }
      });
      if (people.length) await show();
      return form;
    }
    async function rulesForm() {
      const s = await api(auth, 'GET', `${base}/labour/settings`);
      const weekly = h('input', { name: 'weekly_overtime_hours', inputmode: 'decimal', value: s.weekly_overtime_hours });
      const daily = h('input', { name: 'daily_overtime_hours', inputmode: 'decimal', value: s.daily_overtime_hours ?? '' });
      const dbl = h('input', { name: 'daily_double_time_hours', inputmode: 'decimal', value: s.daily_double_time_hours ?? '' });
      const start = h('select', { name: 'week_starts' }, ['Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat', 'Sun'].map((d) => h('option', { value: d, selected: d === s.week_starts }, d)));
      const form = h('form', { class: 'grid-form', novalidate: true }, field('Overtime after (hours a week)', weekly), field('…or hours a day', daily, 'Empty: no daily rule'),
        field('Double time after (hours a day)', dbl), field('Pay week starts', start), h('button', { type: 'submit', class: 'primary' }, 'Save rules'));
      onSubmit(form, async () => {
        const num = (el) => (el.value.trim() === '' ? null : Number(el.value));
        await api(auth, 'PUT', `${base}/labour/settings`, { weekly_overtime_hours: num(weekly), daily_overtime_hours: num(daily), daily_double_time_hours: num(dbl), week_starts: start.value });
        showFieldError(form, null);
        toast('Overtime rules saved');
        load();
      });
      return form;
    }
    await load();
    const reload = debounce(() => !sheet.querySelector('.move-row') && load(true), 300);
    live((e) => (e.type.startsWith('staff.') || e.type.startsWith('order.')) && reload(), reload);
    setInterval(reload, 60_000);
  },
};

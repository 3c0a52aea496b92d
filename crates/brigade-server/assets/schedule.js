// The schedule: a week grid (people × days) in the restaurant's week, conflicts marked,
// projected hours and cost, shifts added and removed in place, a week copied forward.
import { h, fill, api, all, money, toast, showFieldError, onSubmit, clockTime } from './brigade.js';

export const sections = {
  async schedule({ view, base, auth, currency, live, field }) {
    const people = (await all(auth, `${base}/users`)).filter((p) => p.is_active);
    let week = new Date().toISOString().slice(0, 10);
    const title = h('h2', {});
    const summary = h('p', { role: 'status' });
    const grid = h('table', { class: 'grid week' });
    const hm = (iso) => clockTime(iso);
    const addDays = (d, n) => {
      const x = new Date(`${d}T12:00:00`);
      x.setDate(x.getDate() + n);
      return x.toISOString().slice(0, 10);
    };
    const who = h('select', { name: 'user_id' }, people.map((p) => h('option', { value: p.id }, p.name)));
    const day = h('select', { name: 'day' });
    const start = h('input', { type: 'time', name: 'starts_at', value: '09:00' });
    const end = h('input', { type: 'time', name: 'ends_at', value: '17:00' });
    const position = h('input', { name: 'position', placeholder: 'e.g. server' });
    const form = h('form', { class: 'inline-form', novalidate: true, 'aria-label': 'Add a shift' }, field('Who', who), field('Day', day),
      field('From', start), field('Until', end), field('Position', position), h('button', { type: 'submit', class: 'primary' }, 'Add shift'));
    fill(view,
      h('div', { class: 'row' }, h('button', { type: 'button', onclick: () => go(-7) }, '← Previous week'), title,
        h('button', { type: 'button', onclick: () => go(7) }, 'Next week →'), h('span', { class: 'spacer' }),
        h('button', { type: 'button', onclick: copyLast }, 'Copy last week here')),
      summary, grid, h('section', { class: 'card' }, h('h2', {}, 'Add a shift'), form));
    let current = null;
    async function go(n) {
      week = addDays(week, n);
      await load();
    }
    async function load() {
      draw(await api(auth, 'GET', `${base}/schedule?week=${week}`));
    }
    function draw(w) {
      current = w;
      week = w.week_start;
      const days = [...Array(7)].map((_, i) => addDays(w.week_start, i));
      title.textContent = `Week of ${new Date(`${w.week_start}T12:00:00`).toLocaleDateString([], { month: 'long', day: 'numeric' })}`;
      summary.textContent = `${w.projected_hours} hours planned · about ${money(w.projected_cost, currency)}` +
        (w.conflicts ? ` · ${w.conflicts} shift(s) with a conflict` : '');
      const picked = day.value;
      fill(day, days.map((d) => h('option', { value: d, selected: d === picked }, new Date(`${d}T12:00:00`).toLocaleDateString([], { weekday: 'short', day: 'numeric' }))));
      const localDay = (iso) => {
        const d = new Date(iso);
        return new Date(d.getTime() - d.getTimezoneOffset() * 60000).toISOString().slice(0, 10);
      };
      fill(grid,
        h('thead', {}, h('tr', {}, h('th', {}, 'Who'), days.map((d) => h('th', {}, new Date(`${d}T12:00:00`).toLocaleDateString([], { weekday: 'short', day: 'numeric' }))))),
        h('tbody', {}, people.map((p) => h('tr', {}, h('th', { scope: 'row' }, p.name), days.map((d) => h('td', {},
          w.shifts.filter((s) => s.user_id === p.id && localDay(s.starts_at) === d).map((s) => h('div', { class: `shift${s.conflicts.length ? ' conflict' : ''}`, title: s.conflicts.join('; ') },
            `${hm(s.starts_at)}–${hm(s.ends_at)}`, s.position ? h('small', {}, ` ${s.position}`) : null,
            s.conflicts.length ? h('span', { class: 'sr-only' }, ` conflict: ${s.conflicts.join('; ')}`) : null,
            h('button', { type: 'button', class: 'ghost tiny', 'aria-label': `Remove ${p.name}'s shift ${hm(s.starts_at)}`, onclick: () => remove(s) }, '×')))))))));
    }
    async function remove(s) {
      try {
        await api(auth, 'DELETE', `${base}/shifts/${s.id}`);
        toast('Shift removed');
      } catch (err) {
        toast(err.message, 'error');
      }
      load();
    }
    async function copyLast() {
      const body = { from_week: addDays(current.week_start, -7), to_week: current.week_start };
      try {
        draw(await api(auth, 'POST', `${base}/schedule/copy`, body));
        toast('Last week copied');
      } catch (err) {
        if (err.code === 'week_not_empty' && confirm('This week has shifts. Replace them with last week\'s?')) {
          draw(await api(auth, 'POST', `${base}/schedule/copy`, { ...body, replace: true }));
          toast('Last week copied');
        } else if (err.code !== 'week_not_empty') toast(err.message, 'error');
      }
    }
    onSubmit(form, async () => {
      const at = (t) => new Date(`${day.value}T${t}:00`);
      const s = at(start.value);
      let en = at(end.value);
      if (en <= s) en = new Date(en.getTime() + 864e5); // past midnight
      draw(await api(auth, 'POST', `${base}/shifts`, { user_id: who.value, position: position.value || null, starts_at: s.toISOString(), ends_at: en.toISOString() }, { idempotent: true }));
      toast('Shift added');
    });
    await load();
    live((e) => e.type.startsWith('staff.shift') || e.type === 'staff.schedule_copied' ? load() : null, load);
  },
};

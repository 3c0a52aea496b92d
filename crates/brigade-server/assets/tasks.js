// Tasks: today's list (tick steps, complete with notes, assign), the recurring templates
// that make them, and completion rates. Loaded by app.js only on its page.
import { h, fill, api, all, toast, showFieldError, onSubmit, clockTime } from './brigade.js';

export const sections = {
  async tasks({ main, view, base, auth, live, field }) {
    const manage = ['owner', 'manager'].includes(main.dataset.role);
    const list = h('div', { class: 'task-list' });
    const reportEl = h('div');
    const people = manage ? (await all(auth, `${base}/users`)).filter((p) => p.is_active) : [];
    fill(view, h('h2', {}, 'Today'), list,
      manage ? h('section', { class: 'card' }, h('h2', {}, 'New recurring task'), templateForm()) : null,
      manage ? h('section', { class: 'card' }, h('h2', {}, 'Completion, last 7 days'), reportEl) : null);
    const load = async () => {
      const tasks = await api(auth, 'GET', `${base}/tasks`);
      fill(list, tasks.items.length ? tasks.items.map(card) : h('p', { class: 'muted' }, 'No tasks today.'));
      if (manage) {
        const r = await api(auth, 'GET', `${base}/tasks/report`);
        fill(reportEl, h('table', { class: 'grid' }, h('thead', {}, h('tr', {}, ['Who', 'Tasks', 'Done', 'On time', 'Rate'].map((t) => h('th', {}, t)))),
          h('tbody', {}, r.by_person.map((p) => h('tr', {}, h('td', {}, p.name), h('td', {}, p.tasks), h('td', {}, p.completed), h('td', {}, p.completed_on_time), h('td', {}, `${p.completion_rate}%`))))));
      }
    };
    const act = async (path, body, done) => {
      try {
        await api(auth, 'POST', `${base}/tasks/${path}`, body);
        if (done) toast(done);
      } catch (err) {
        toast(err.message, 'error');
      }
      load();
    };
    function card(t) {
      const notes = h('input', { 'aria-label': `Notes for ${t.name}`, placeholder: 'notes (optional)' });
      const due = clockTime(t.due_at);
      return h('article', { class: `task ${t.status}${t.overdue ? ' overdue' : ''}`, 'aria-label': t.name },
        h('header', {}, h('strong', {}, t.name), t.checklist ? h('span', { class: 'tag' }, t.checklist) : null, t.role ? h('span', { class: 'tag' }, t.role) : null,
          h('span', { class: 'spacer' }), t.status === 'completed' ? h('span', { class: 'tag' }, 'done') : t.overdue ? h('span', { class: 'tag danger-tag' }, `overdue · due ${due}`) : h('span', { class: 'muted' }, `due ${due}`)),
        h('ul', { class: 'steps-list' }, t.steps.map((s, i) => h('li', {}, h('label', { class: 'inline' },
          h('input', { type: 'checkbox', checked: s.done, disabled: t.status === 'completed', onchange: (e) => act(`${t.id}/steps/${i}`, { done: e.target.checked }) }), ` ${s.text}`)))),
        t.status === 'completed' ? (t.notes ? h('p', { class: 'muted' }, t.notes) : null) : h('div', { class: 'row' }, notes,
          h('button', { type: 'button', class: 'primary', onclick: () => act(`${t.id}/complete`, { notes: notes.value || null }, `${t.name}: done`) }, 'Complete'),
          manage ? h('select', { 'aria-label': `Assign ${t.name}`, onchange: (e) => act(`${t.id}/assign`, { user_id: e.target.value || null }, 'Assigned') },
            h('option', { value: '' }, 'Unassigned'), people.map((p) => h('option', { value: p.id, selected: p.id === t.assigned_to }, p.name))) : null));
    }
    function templateForm() {
      const f = {
        name: h('input', { name: 'name' }),
        checklist: h('select', { name: 'checklist' }, [['', 'no checklist'], ['opening', 'opening'], ['closing', 'closing']].map(([v, l]) => h('option', { value: v }, l))),
        frequency: h('select', { name: 'frequency' }, ['daily', 'weekly', 'monthly'].map((v) => h('option', { value: v }, v))),
        days: h('input', { name: 'days', placeholder: 'Mon, Fri  or  1, 15' }),
        due: h('input', { name: 'due_time', type: 'time', value: '10:00' }),
        role: h('select', { name: 'role' }, [['', 'anyone'], ['kitchen', 'kitchen'], ['staff', 'staff'], ['manager', 'manager']].map(([v, l]) => h('option', { value: v }, l))),
        steps: h('textarea', { name: 'steps', rows: 3, placeholder: 'One step a line' }),
      };
      const form = h('form', { class: 'grid-form', novalidate: true }, field('Task', f.name), field('Checklist', f.checklist), field('How often', f.frequency),
        field('On days', f.days, 'Weekly: day names; monthly: dates'), field('Due at', f.due), field('For', f.role), field('Steps', f.steps),
        h('button', { type: 'submit', class: 'primary' }, 'Add recurring task'));
      onSubmit(form, async () => {
        const days = f.days.value.split(',').map((d) => d.trim()).filter(Boolean).map((d) => (/^\d+$/.test(d) ? Number(d) : d));
        const body = { name: f.name.value, checklist: f.checklist.value || null, frequency: f.frequency.value, days, due_time: `${f.due.value}:00`,
          role: f.role.value || null, steps: f.steps.value.split('\n').map((s) => s.trim()).filter(Boolean) };
        await api(auth, 'POST', `${base}/task-templates`, body, { idempotent: true });
        toast('Recurring task added');
        form.reset();
        load();
      });
      return form;
    }
    await load();
    live((e) => e.type.startsWith('task.') && load(), load);
  },
};

// The shared staff device. A staff member signs in with their PIN for one action on
// the orders board; after the action (or 60 idle seconds, or "Done") the session is
// ended on the server and the page forgets the token. Nothing is stored on the device.
import { $, h, fill, api, Auth, Live, liveIndicator, toast, clockTime, dayTime } from './brigade.js';
import { OrdersBoard } from './board.js';
import { pinPad } from './pinpad.js';
import { AssistantPanel, settled } from './assistant.js';

const root = $('#staff');
const rid = root.dataset.rid;
const currency = root.dataset.currency;
const IDLE_SECS = 60;
/** How long the device stays signed in after the assistant has done something. */
const SETTLE_MS = 4000;
let session = null; // { auth, live, idleTimer }
const pad = pinPad($('#pad .pin-form'), rid, signIn);
pad.focus();

async function signIn(tokens) {
  // The refresh token is never kept: when the access token lapses, the person signs in again.
  const auth = new Auth(async () => {
    throw new Error('signed out');
  });
  auth.set({ access_token: tokens.access_token, expires_in: tokens.expires_in });
  const me = await api(auth, 'GET', '/v1/auth/me');
  $('#staff-name').textContent = me.name;
  $('#pad').hidden = true;
  $('#board').hidden = false;
  await drawClock(auth);
  await drawTasks(auth);
  await drawShifts(auth);
  // The assistant takes the person's words with their own permissions; once it has done
  // something, the device signs out, after time enough to hear the reply.
  new AssistantPanel({
    root: $('#assistant'), rid, auth, onTurn: (turn) => {
      touch();
      if (settled(turn) && session) session.deadline = Date.now() + SETTLE_MS;
    },
  });
  const board = new OrdersBoard({ root: $('#orders'), rid, auth, currency, onAction: () => setTimeout(signOut, 800) });
  await board.load();
  const live = new Live({
    auth,
    channels: [{ name: `restaurant:${rid}` }],
    onEvent: (e) => e.type.startsWith('order.') && board.reload(),
    onStatus: liveIndicator($('#conn')),
  });
  session = { auth, live };
  touch();
}

/** The person's own next shifts, in the restaurant's time. */
async function drawShifts(auth) {
  const mine = await api(auth, 'GET', `/v1/restaurants/${rid}/schedule/mine`);
  fill($('#my-shifts'), h('h2', {}, 'Your next shifts'), mine.items.length
    ? h('ul', { class: 'simple' }, mine.items.map((s) => h('li', {}, `${dayTime(s.starts_at)} – ${clockTime(s.ends_at)}`,
      s.position ? ` · ${s.position}` : '', s.notes ? h('span', { class: 'muted' }, ` · ${s.notes}`) : null)))
    : h('p', { class: 'muted' }, 'No shifts planned for you in the next two weeks.'));
}

/** The time clock: one tap to clock in or out or take a break, then the device signs out. */
async function drawClock(auth) {
  const base = `/v1/restaurants/${rid}/time-clock`;
  const me = await api(auth, 'GET', `${base}/me`);
  const e = me.entry;
  const act = async (path, body, done) => {
    try {
      await api(auth, 'POST', `${base}/${path}`, body);
      toast(done);
      setTimeout(signOut, 800);
    } catch (err) {
      toast(err.message, 'error');
    }
  };
  if (!e) {
    const position = me.positions.length > 1
      ? h('select', { id: 'clock-position', 'aria-label': 'Position' }, me.positions.map((p) => h('option', { value: p.position }, p.position)))
      : null;
    fill($('#clock'), h('p', {}, 'You are not clocked in.'), h('div', { class: 'row' }, position,
      h('button', { type: 'button', class: 'primary big', onclick: () => act('clock-in', position ? { position: position.value } : {}, 'Clocked in') }, 'Clock in')));
    return;
  }
  const onBreak = e.breaks.some((b) => !b.end);
  fill($('#clock'), h('p', {}, onBreak ? 'On a break. ' : `Clocked in since ${clockTime(e.clock_in)}${e.position ? ` as ${e.position}` : ''}. `,
    `${Math.floor(e.worked_minutes / 60)}h ${String(e.worked_minutes % 60).padStart(2, '0')}m worked.`),
  h('div', { class: 'row' }, onBreak
    ? h('button', { type: 'button', class: 'primary big', onclick: () => act('break/end', undefined, 'Break over') }, 'End break')
    : [h('button', { type: 'button', class: 'big', onclick: () => act('break', { paid: false }, 'Enjoy your break') }, 'Start break'),
      h('button', { type: 'button', class: 'big', onclick: () => act('break', { paid: true }, 'Paid break started') }, 'Paid break')],
  h('button', { type: 'button', class: 'primary big', onclick: () => act('clock-out', undefined, 'Clocked out. Good night!') }, 'Clock out')));
}

/** Today's tasks for this person's role: tick steps, complete. The device stays signed in. */
async function drawTasks(auth) {
  const base = `/v1/restaurants/${rid}/tasks`;
  const tasks = await api(auth, 'GET', `${base}?for_me=true`);
  const open = tasks.items.filter((t) => t.status !== 'completed');
  const redraw = () => drawTasks(auth).catch((e) => toast(e.message, 'error'));
  const act = (path, body) =>
    api(auth, 'POST', `${base}/${path}`, body).then(
      () => (redraw(), true),
      (e) => (toast(e.message, 'error'), false),
    );
  fill($('#my-tasks'), open.map((t) => h('article', { class: `task${t.overdue ? ' overdue' : ''}`, 'aria-label': t.name },
    h('header', {}, h('strong', {}, t.name), t.checklist ? h('span', { class: 'tag' }, t.checklist) : null, t.overdue ? h('span', { class: 'tag danger-tag' }, 'overdue') : null),
    h('ul', { class: 'steps-list' }, t.steps.map((s, i) => h('li', {}, h('label', { class: 'inline' },
      h('input', { type: 'checkbox', checked: s.done, onchange: (e) => act(`${t.id}/steps/${i}`, { done: e.target.checked }) }), ` ${s.text}`)))),
    h('button', { type: 'button', class: 'primary', onclick: () => act(`${t.id}/complete`, {}).then((ok) => ok && toast(`${t.name}: done`)) }, 'Complete'))));
}

function touch() {
  if (!session) return;
  session.deadline = Date.now() + IDLE_SECS * 1000;
}

setInterval(() => {
  if (!session) return;
  const left = Math.ceil((session.deadline - Date.now()) / 1000);
  $('#idle').textContent = `Signing out in ${Math.max(0, left)}s`;
  if (left <= 0) signOut();
}, 1000);
for (const ev of ['pointerdown', 'keydown']) document.addEventListener(ev, touch);

async function signOut() {
  if (!session) return;
  const { auth, live } = session;
  session = null;
  live.close();
  try {
    await api(auth, 'POST', '/v1/auth/logout');
  } catch {
    // The token lapses by itself soon; the page forgets it now.
  }
  auth.clear();
  $('#orders').replaceChildren();
  $('#my-tasks').replaceChildren();
  $('#assistant').replaceChildren();
  $('#board').hidden = true;
  $('#pad').hidden = false;
  pad.focus();
  toast('Signed out');
}
$('#done').addEventListener('click', signOut);

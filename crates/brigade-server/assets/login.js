// The sign-in, sign-up and invitation pages: each posts its form to the web session
// endpoints, which set the session cookie, then goes on to the dashboard.
import { $, ApiError, showFieldError } from './brigade.js';

const login = $('#login');
if (login) {
  login.addEventListener('submit', (e) => {
    e.preventDefault();
    send(login, '/web/session', { email: $('#email').value, password: $('#password').value }, $('#login-error'));
  });
}

const signup = $('#signup');
if (signup) {
  const tz = $('#timezone');
  if (!tz.value) tz.value = Intl.DateTimeFormat().resolvedOptions().timeZone || '';
  signup.addEventListener('submit', (e) => {
    e.preventDefault();
    send(signup, '/web/signup', {
      name: $('#name').value,
      email: $('#email').value,
      password: $('#password').value,
      restaurant: { name: $('#restaurant-name').value, timezone: tz.value, currency: $('#currency').value },
    }, $('#signup-error'));
  });
}

const invite = $('#invite');
if (invite) {
  const token = invite.dataset.token;
  const joined = `/app?r=${encodeURIComponent(invite.dataset.restaurant)}`;
  const accept = $('#accept');
  if (accept) {
    const csrf = document.querySelector('meta[name="csrf-token"]')?.content || '';
    accept.addEventListener('submit', (e) => {
      e.preventDefault();
      send(accept, `/web/invitations/${encodeURIComponent(token)}`, {}, $('#invite-error'), joined, { 'X-CSRF-Token': csrf });
    });
  }
  const acceptNew = $('#accept-new');
  if (acceptNew) {
    acceptNew.addEventListener('submit', (e) => {
      e.preventDefault();
      send(acceptNew, `/web/invitations/${encodeURIComponent(token)}`, { name: $('#name').value, password: $('#password').value }, $('#invite-error'), joined);
    });
  }
}

async function send(form, path, body, error, then = null, extraHeaders = {}) {
  error.textContent = '';
  const button = form.querySelector('button[type=submit]');
  button.disabled = true;
  try {
    const r = await fetch(path, { method: 'POST', headers: { 'Content-Type': 'application/json', ...extraHeaders }, body: JSON.stringify(body) });
    if (r.ok) {
      location.href = then || nextPage();
      return;
    }
    const err = new ApiError(r.status, await r.json().catch(() => null));
    if (r.status === 429) error.textContent = `Too many attempts. Try again in ${r.headers.get('Retry-After') || 'a few'} seconds.`;
    else if (!showFieldError(form, err)) error.textContent = err.message;
    if (login) $('#password').select();
  } catch {
    error.textContent = 'Brigade cannot be reached. Check the connection and try again.';
  } finally {
    button.disabled = false;
  }
}

/**
 * Where to go after signing in: `?next=`, but only ever a page of this site. The check is
 * made on what the browser will be sent to after normalising: `/.//evil.example` becomes
 * the path `//evil.example`, which a browser reads as another host.
 */
export function nextPage(search = location.search, origin = location.origin) {
  const next = new URLSearchParams(search).get('next') || '/app';
  try {
    const url = new URL(next, origin);
    const target = url.pathname + url.search + url.hash;
    const lands = new URL(target, origin);
    if (url.origin === origin && lands.origin === origin && target.startsWith('/') && !target.startsWith('//')
        && !/[\\\u0000-\u001f]/.test(next)) return target;
  } catch {
    // not a URL at all
  }
  return '/app';
}

// The sign-in and sign-up pages: each posts its form to the web session endpoints,
// which set the session cookie, then goes on to the dashboard.
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

async function send(form, path, body, error) {
  error.textContent = '';
  const button = form.querySelector('button[type=submit]');
  button.disabled = true;
  try {
    const r = await fetch(path, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify(body) });
    if (r.ok) {
      location.href = nextPage();
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

/** Where to go after signing in: `?next=`, but only ever a page of this site. */
function nextPage() {
  const next = new URLSearchParams(location.search).get('next') || '/app';
  try {
    const url = new URL(next, location.origin);
    if (url.origin === location.origin && next.startsWith('/') && !next.includes('\\')) return url.pathname + url.search;
  } catch {
    // not a URL at all
  }
  return '/app';
}

// The sign-in page: posts the form to /web/session, which sets the session cookie.
import { $ } from './brigade.js';

const form = $('#login');
form.addEventListener('submit', async (e) => {
  e.preventDefault();
  const error = $('#login-error');
  error.textContent = '';
  const button = form.querySelector('button[type=submit]');
  button.disabled = true;
  try {
    const r = await fetch('/web/session', {
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify({ email: $('#email').value, password: $('#password').value }),
    });
    if (r.ok) {
      const next = new URLSearchParams(location.search).get('next') || '/app';
      // Only ever a path on this site.
      location.href = next.startsWith('/') && !next.startsWith('//') ? next : '/app';
      return;
    }
    const body = await r.json().catch(() => null);
    error.textContent =
      r.status === 429
        ? `Too many attempts. Try again in ${r.headers.get('Retry-After') || 'a few'} seconds.`
        : body?.error?.message || 'Sign-in failed.';
    $('#password').select();
  } catch {
    error.textContent = 'Brigade cannot be reached. Check the connection and try again.';
  } finally {
    button.disabled = false;
  }
});

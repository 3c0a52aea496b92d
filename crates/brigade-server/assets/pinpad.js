// The PIN pad of a shared device (templates/pinpad.html): a PIN alone signs a person in;
// when two people here share that PIN, the last four digits of the phone tell them apart.
// Never the full phone number on a keypad.
import { api } from './brigade.js';

/** Wires `form`; `onTokens(tokens)` gets the token pair of whoever signed in. */
export function pinPad(form, rid, onTokens) {
  const pin = form.querySelector('[name=pin]');
  const last4 = form.querySelector('[name=phone_last4]');
  const last4Field = form.querySelector('.last4');
  const error = form.querySelector('.error');
  let focused = pin;
  for (const input of [pin, last4]) input.addEventListener('focus', () => (focused = input));
  for (const b of form.querySelectorAll('.keypad button')) {
    b.addEventListener('click', () => {
      const k = b.dataset.key;
      if (k === 'OK') return submit();
      if (k === '⌫') focused.value = focused.value.slice(0, -1);
      else if (focused.value.length < Number(focused.maxLength > 0 ? focused.maxLength : 12)) focused.value += k;
      focused.focus();
    });
  }
  form.addEventListener('submit', (e) => {
    e.preventDefault();
    submit();
  });
  for (const input of [pin, last4]) {
    input.addEventListener('keydown', (e) => {
      if (e.key === 'Enter') {
        e.preventDefault();
        submit();
      }
    });
  }

  function reset() {
    pin.value = '';
    last4.value = '';
    last4Field.hidden = true;
    focused = pin;
  }

  async function submit() {
    error.textContent = '';
    if (!pin.value.trim()) {
      error.textContent = 'Enter your PIN.';
      return pin.focus();
    }
    const body = { restaurant_id: rid, pin: pin.value.trim() };
    if (!last4Field.hidden) {
      if (!/^\d{4}$/.test(last4.value)) {
        error.textContent = 'Enter the last four digits of your phone.';
        return last4.focus();
      }
      body.phone_last4 = last4.value;
    }
    let tokens;
    try {
      tokens = await api(null, 'POST', '/v1/auth/pin-login', body);
    } catch (e) {
      if (e.code === 'pin_ambiguous') {
        last4Field.hidden = false;
        error.textContent = 'Two people here share this PIN: add the last four digits of your phone.';
        return last4.focus();
      }
      error.textContent = e.status === 429 ? 'Too many tries. Wait a little and try again.' : e.status === 401 ? 'That PIN is not right.' : e.message;
      reset();
      return pin.focus();
    }
    reset();
    onTokens(tokens);
  }

  return { focus: () => pin.focus() };
}

// A guest's own data, through the signed link in a message they were sent: what is held
// about them, a download of all of it, and erasing it.
import { api, $, fill, h } from './brigade.js';

const token = $('#my-data').dataset.token;
const path = `/v1/public/guests/${encodeURIComponent(token)}`;
let data = null;

async function load() {
  try {
    data = await api(null, 'GET', path);
  } catch (e) {
    $('#who').textContent = e.status === 404 ? 'This link has expired, or there is nothing held about you any more.' : e.message;
    return;
  }
  const p = data.profile;
  $('#who').textContent = `${p.name || 'Guest'}: ${[p.phone, p.email].filter(Boolean).join(' · ')}`;
  fill($('#summary'),
    h('dt', {}, 'Orders'), h('dd', {}, String(data.orders.length)),
    h('dt', {}, 'Ratings'), h('dd', {}, String(data.feedback.length)),
    h('dt', {}, 'Messages'), h('dd', {}, String(data.messages.length)),
    h('dt', {}, 'Offers and news'), h('dd', {}, p.marketing_consent.given ? 'yes' : 'no'));
  $('#download').disabled = false;
  $('#erase').disabled = false;
}

$('#download').addEventListener('click', () => {
  const blob = new Blob([JSON.stringify(data, null, 2)], { type: 'application/json' });
  const a = h('a', { href: URL.createObjectURL(blob), download: 'my-data.json' });
  document.body.append(a);
  a.click();
  a.remove();
});

$('#erase').addEventListener('click', async () => {
  if (!confirm('Erase everything held about you? This cannot be undone.')) return;
  try {
    await api(null, 'DELETE', path);
    fill($('#summary'));
    $('#download').disabled = true;
    $('#erase').disabled = true;
    $('#who').textContent = 'Erased. Nothing about you is kept but the amounts of your orders, without your name.';
  } catch (e) {
    $('#who').textContent = e.message;
  }
});

load();

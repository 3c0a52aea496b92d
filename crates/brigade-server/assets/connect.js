// The dashboard's integrations screen: platforms connected (connect, test, pause, resync,
// pause the store), their sync health (lag, waiting and dead jobs, drift), what they
// sent us (the webhook log), and the restaurant's outgoing webhooks with their delivery
// log and replay. Loaded by app.js only on its page.
import { h, fill, api, toast, showFieldError, since, stamp, onSubmit } from './brigade.js';

// What each platform asks for when it is connected.
const PLATFORMS = {
  ubereats: { title: 'Uber Eats', store: 'Store id (Uber Eats store UUID)', fields: [['client_id', 'Client id'], ['client_secret', 'Client secret', true]] },
  doordash: {
    title: 'DoorDash', store: 'Store id (merchant_supplied_id)',
    fields: [['developer_id', 'Developer id'], ['key_id', 'Key id'], ['signing_secret', 'Signing secret', true], ['webhook_token', 'Webhook token', true]],
  },
  grubhub: {
    title: 'Grubhub', store: 'Merchant id',
    fields: [['client_id', 'Client id'], ['secret_key', 'Secret key', true], ['partner_key', 'Partner key', true], ['webhook_token', 'Webhook token', true]],
  },
  square: { title: 'Square (POS)', store: 'Location id', fields: [['access_token', 'Access token', true], ['signature_key', 'Webhook signature key', true]] },
  stripe: { title: 'Stripe (card payments)', store: 'Account id (acct_…)', fields: [['secret_key', 'Secret key', true], ['webhook_secret', 'Webhook signing secret', true]] },
  twilio: { title: 'Twilio (texts and phone orders)', store: 'Your Twilio number (+1…)', fields: [['account_sid', 'Account SID'], ['auth_token', 'Auth token', true]], phone: true },
};

const STATUS_TAG = { active: 'ok-tag', degraded: 'warn-tag', error: 'danger-tag', paused: '' };
const when = (iso) => (iso ? h('span', { 'data-since': iso, title: stamp(iso) }, since(iso)) : 'never');

export const sections = {
  async integrations({ main, view, base, auth, live, field }) {
    const manage = ['owner', 'manager'].includes(main.dataset.role);
    const list = h('div', { class: 'integrations' });
    const jobs = h('tbody');
    const hooks = h('div');
    fill(view,
      h('section', { 'aria-label': 'Connected platforms' }, list),
      manage ? h('section', { class: 'card' }, h('h2', {}, 'Connect a platform'), connectForm()) : null,
      h('section', { class: 'card' }, h('h2', {}, 'Sync activity'),
        h('table', { class: 'grid' }, h('thead', {}, h('tr', {}, ['When', 'Platform', 'What', 'Status', 'Tries', 'Last error'].map((t) => h('th', {}, t)))), jobs)),
      h('section', { class: 'card' }, h('h2', {}, 'Webhooks'),
        h('p', { class: 'muted' }, 'Brigade POSTs the events you choose to your address, signed with Brigade-Signature (t=…,v1=… HMAC-SHA256), retrying for 24 hours.'),
        hooks, manage ? webhookForm() : null));

    let platforms = new Map();
    // Logs the manager opened stay open (and refresh) when a live event redraws the page.
    const openLogs = new Set();
    const logToggle = (label, key, show, log) => {
      const button = h('button', { type: 'button', class: 'ghost', 'aria-expanded': String(openLogs.has(key)), onclick: () => {
        const open = !openLogs.has(key);
        button.setAttribute('aria-expanded', String(open));
        if (open) openLogs.add(key); else openLogs.delete(key);
        return open ? show() : fill(log);
      } }, label);
      if (openLogs.has(key)) show();
      return button;
    };
    async function load() {
      const [rows, status, recent] = await Promise.all([
        api(auth, 'GET', `${base}/integrations`),
        api(auth, 'GET', `${base}/sync/status`),
        api(auth, 'GET', `${base}/sync/jobs?limit=20`),
      ]);
      platforms = new Map(rows.map((r) => [r.id, r]));
      const health = new Map(status.integrations.map((s) => [s.integration_id, s]));
      fill(list, rows.length ? rows.map((r) => card(r, health.get(r.id))) : h('p', { class: 'muted' }, 'No platform is connected yet.'));
      fill(jobs, recent.items.length ? recent.items.map((j) => h('tr', { class: j.status === 'dead' ? 'dead' : '' },
        h('td', {}, when(j.created_at)),
        h('td', {}, platforms.get(j.integration_id)?.name || '—'),
        h('td', {}, j.kind === 'item' ? `item · ${j.reason}` : `${j.kind} · ${j.reason}`),
        h('td', {}, h('span', { class: `tag ${j.status === 'dead' ? 'danger-tag' : j.status === 'succeeded' ? 'ok-tag' : ''}` }, j.status)),
        h('td', { class: 'num' }, j.attempts),
        h('td', { class: 'muted' }, j.last_error || '')))
        : h('tr', {}, h('td', { colspan: 6, class: 'muted' }, 'Nothing synced yet.')));
      await loadHooks();
    }

    function card(r, s) {
      const log = h('div', { class: 'hook-log' });
      const act = (label, fn, cls = '') => (manage ? h('button', { type: 'button', class: cls, onclick: fn }, label) : null);
      const call = async (method, path, body, done) => {
        try {
          const out = await api(auth, method, `${base}/${path}`, body);
          if (done) toast(typeof done === 'function' ? done(out) : done);
        } catch (err) {
          toast(err.message, 'error');
        }
        load();
      };
      const takesMenu = ['ubereats', 'doordash', 'grubhub'].includes(r.platform);
      return h('article', { class: 'card integration', 'aria-label': r.name, dataset: { id: r.id } },
        h('header', {}, h('h2', {}, r.name), h('span', { class: `tag ${STATUS_TAG[r.status] || ''}` }, r.status)),
        h('dl', { class: 'facts' },
          h('dt', {}, 'Store'), h('dd', {}, r.store_id),
          h('dt', {}, 'Last success'), h('dd', {}, when(r.last_success_at)),
          takesMenu && s ? [h('dt', {}, 'Lag'), h('dd', {}, s.lag_seconds ? `${s.lag_seconds} s behind` : 'up to date'),
            h('dt', {}, 'Waiting'), h('dd', {}, String(s.pending)),
            h('dt', {}, 'Dead'), h('dd', { class: s.dead ? 'danger' : '' }, String(s.dead))] : null,
          r.drift?.items?.length ? [h('dt', {}, 'Drift'), h('dd', {}, r.drift.items.join('; '))] : null,
          r.last_error ? [h('dt', {}, 'Last error'), h('dd', { class: 'danger' }, r.last_error)] : null,
          r.platform === 'twilio'
            ? [h('dt', {}, 'Voice webhook'), h('dd', {}, h('code', { class: 'copy' }, r.webhook_url), h('br'), h('small', { class: 'muted' }, 'In Twilio: “A call comes in”')),
              h('dt', {}, 'Status callback'), h('dd', {}, h('code', { class: 'copy' }, `${new URL(r.webhook_url).origin}/v1/restaurants/${main.dataset.rid}/phone/status`), h('br'), h('small', { class: 'muted' }, 'In Twilio: “Call status changes”')),
              h('dt', {}, 'Hands calls to'), h('dd', {}, r.config.forward_to || h('span', { class: 'danger' }, 'no number yet: set one below')),
              h('dt', {}, 'Phone orders'), h('dd', {}, r.config.delivery ? `pickup or delivery${r.config.delivery_areas?.length ? ` to ${r.config.delivery_areas.join(', ')}` : ''}` : 'pickup only')]
            : [h('dt', {}, 'Webhook address'), h('dd', {}, h('code', { class: 'copy' }, r.webhook_url))]),
        h('div', { class: 'row' },
          act('Test connection', () => call('POST', `integrations/${r.id}/test`, {}, (t) => (t.ok ? `Connected: ${t.message}` : `Failed: ${t.message}`))),
          r.platform === 'square' ? act('Import menu from Square', () => call('POST', `integrations/${r.id}/import`, {},
            (o) => `Imported ${o.read} items: ${o.created} new, ${o.updated} updated`)) : null,
          takesMenu ? act('Resync menu', () => call('POST', 'sync/manual', { integration_id: r.id }, `Full menu sent to ${r.name}`)) : null,
          takesMenu ? act('Pause store', () => call('POST', `integrations/${r.id}/store`, { open: false }, (o) => o.message), 'ghost') : null,
          takesMenu ? act('Open store', () => call('POST', `integrations/${r.id}/store`, { open: true }, (o) => o.message), 'ghost') : null,
          r.status === 'paused'
            ? act('Resume sync', () => call('PATCH', `integrations/${r.id}`, { status: 'active' }, `${r.name} resumed`))
            : act('Pause sync', () => call('PATCH', `integrations/${r.id}`, { status: 'paused' }, `${r.name} paused`), 'ghost'),
          logToggle('What it sent us', `in:${r.id}`, async () => {
            const rows = await api(auth, 'GET', `${base}/integrations/${r.id}/webhooks?limit=20`);
            fill(log, rows.length ? h('ul', { class: 'simple' }, rows.map((w) => h('li', {},
              h('span', { class: `tag ${w.outcome === 'processed' ? 'ok-tag' : ['refused', 'failed', 'denied'].includes(w.outcome) ? 'danger-tag' : ''}` }, w.outcome), ' ',
              w.event_type || 'unreadable', w.external_order_id ? ` · order ${w.external_order_id}` : '', ' · ', when(w.received_at),
              w.reason ? h('small', { class: 'muted' }, ` — ${w.reason}`) : null)))
              : h('p', { class: 'muted' }, 'Nothing received yet.'));
          }, log),
          act('Disconnect', async () => {
            if (!confirm(`Disconnect ${r.name}? Its credentials are deleted.`)) return;
            call('DELETE', `integrations/${r.id}`, undefined, `${r.name} disconnected`);
          }, 'danger')),
        r.platform === 'twilio' && manage ? phoneSettings(r) : null,
        log);
    }

    /** A phone line's settings: who takes handed-off calls, the greeting, the most of an
     * item taken by phone, whether a name is asked, and delivery. */
    function phoneFields(c = {}) {
      const forward = h('input', { name: 'forward_to', 'data-field': 'config.forward_to', type: 'tel', value: c.forward_to || '', placeholder: '+1 555 010 0299', autocomplete: 'off' });
      const greeting = h('input', { name: 'greeting', 'data-field': 'config.greeting', value: c.greeting || '', maxlength: 300, placeholder: 'e.g. Welcome to Luigi’s!' });
      const most = h('input', { name: 'max_quantity', 'data-field': 'config.max_quantity', type: 'number', min: 1, max: 1000, value: c.max_quantity ?? 20 });
      const name = h('input', { type: 'checkbox', name: 'require_name', 'data-field': 'config.require_name', checked: !!c.require_name });
      const delivery = h('input', { type: 'checkbox', name: 'delivery', 'data-field': 'config.delivery', checked: !!c.delivery });
      const areas = h('input', { name: 'delivery_areas', 'data-field': 'config.delivery_areas', value: (c.delivery_areas || []).join(', '), placeholder: 'e.g. 10001, 10011, Chelsea' });
      const fields = [
        field('Hand calls to (your own line)', forward, 'Callers who ask for a person, or whom the agent cannot help, are put through here.'),
        field('Greeting (optional)', greeting),
        field('Most of one item by phone', most),
        h('label', { class: 'inline' }, name, ' Ask the caller’s name'),
        h('label', { class: 'inline' }, delivery, ' Take delivery orders by phone'),
        field('Delivery areas (postal codes or places, comma-separated; empty: anywhere)', areas),
      ];
      const value = () => {
        const config = { max_quantity: Number(most.value) || undefined, require_name: name.checked, delivery: delivery.checked };
        if (forward.value.trim()) config.forward_to = forward.value.trim();
        if (greeting.value.trim()) config.greeting = greeting.value.trim();
        const list = areas.value.split(',').map((a) => a.trim()).filter(Boolean);
        if (list.length) config.delivery_areas = list;
        return config;
      };
      return { fields, value };
    }

    function phoneSettings(r) {
      const { fields, value } = phoneFields(r.config);
      const form = h('form', { novalidate: true, 'aria-label': `Phone settings of ${r.name}` }, fields,
        h('button', { type: 'submit' }, 'Save phone settings'));
      onSubmit(form, async () => {
        // The whole config is sent: what else the line keeps (its rate) stays, and a
        // phone setting emptied here is gone.
        const phoneKeys = ['forward_to', 'greeting', 'max_quantity', 'require_name', 'delivery', 'delivery_areas'];
        const kept = Object.fromEntries(Object.entries(r.config).filter(([k]) => !phoneKeys.includes(k)));
        await api(auth, 'PATCH', `${base}/integrations/${r.id}`, { config: { ...kept, ...value() } });
        toast('Phone settings saved');
        load();
      });
      return h('details', { class: 'phone-settings' }, h('summary', {}, 'Phone settings'), form);
    }

    function connectForm() {
      const platform = h('select', { name: 'platform' }, Object.entries(PLATFORMS).map(([k, p]) => h('option', { value: k }, p.title)));
      const store = h('input', { name: 'store_id', required: true, autocomplete: 'off' });
      const creds = h('div');
      const extra = h('div');
      let phone = null;
      const storeField = field(PLATFORMS.ubereats.store, store);
      const draw = () => {
        const p = PLATFORMS[platform.value];
        storeField.querySelector('label').textContent = p.store;
        fill(creds, p.fields.map(([name, label, secret]) => field(label, h('input', { name: `credentials.${name}`, required: true, autocomplete: 'off', type: secret ? 'password' : 'text' }))));
        phone = p.phone ? phoneFields() : null;
        fill(extra, phone ? phone.fields : []);
      };
      platform.addEventListener('change', draw);
      const form = h('form', { novalidate: true, 'aria-label': 'Connect a platform' }, field('Platform', platform), storeField, creds, extra,
        h('button', { type: 'submit', class: 'primary' }, 'Connect'));
      draw();
      onSubmit(form, async () => {
        const credentials = {};
        for (const input of creds.querySelectorAll('input')) credentials[input.name.slice('credentials.'.length)] = input.value;
        const body = { platform: platform.value, store_id: store.value, credentials };
        if (phone) body.config = phone.value();
        const r = await api(auth, 'POST', `${base}/integrations`, body, { idempotent: true });
        toast(`${r.name} connected. Give it the webhook address shown on its card.`);
        form.reset();
        draw();
        load();
      });
      return form;
    }

    // ---------------------------------------------------------------- outgoing webhooks
    async function loadHooks() {
      const subs = await api(auth, 'GET', `${base}/webhooks`);
      fill(hooks, subs.length ? subs.map(subscription) : h('p', { class: 'muted' }, 'No webhooks yet.'));
    }

    function subscription(s) {
      const log = h('div', { class: 'hook-log' });
      const showLog = async () => {
        const rows = await api(auth, 'GET', `${base}/webhooks/${s.id}/deliveries?limit=20`);
        fill(log, rows.length ? h('table', { class: 'grid' },
          h('thead', {}, h('tr', {}, ['When', 'Event', 'Status', 'Tries', 'Answer', ''].map((t) => h('th', {}, t)))),
          h('tbody', {}, rows.map((d) => h('tr', { dataset: { id: d.id } },
            h('td', {}, when(d.created_at)),
            h('td', {}, d.event_type),
            h('td', {}, h('span', { class: `tag ${d.status === 'succeeded' ? 'ok-tag' : d.status === 'dead' ? 'danger-tag' : ''}` }, d.status)),
            h('td', { class: 'num' }, d.attempts),
            h('td', { class: 'muted' }, d.last_status ? `HTTP ${d.last_status}` : d.last_error || ''),
            h('td', {}, manage ? h('button', { type: 'button', class: 'ghost', onclick: async () => {
              try {
                await api(auth, 'POST', `${base}/webhooks/${s.id}/deliveries/${d.id}/replay`);
                toast(`Sending ${d.event_type} again`);
                setTimeout(showLog, 600);
              } catch (err) {
                toast(err.message, 'error');
              }
            } }, 'Replay') : null)))))
          : h('p', { class: 'muted' }, 'Nothing sent yet.'));
      };
      const act = (label, fn, cls = '') => (manage ? h('button', { type: 'button', class: cls, onclick: fn }, label) : null);
      const call = async (method, path, body, done) => {
        try {
          await api(auth, method, `${base}/webhooks/${s.id}${path}`, body);
          toast(done);
        } catch (err) {
          toast(err.message, 'error');
        }
        if (method === 'POST') setTimeout(showLog, 600);
        else loadHooks();
      };
      return h('article', { class: 'card webhook', 'aria-label': `Webhook ${s.url}` },
        h('header', {}, h('code', {}, s.url), h('span', { class: `tag ${s.status === 'active' ? 'ok-tag' : ''}` }, s.status)),
        h('p', { class: 'muted' }, `${s.event_types.join(', ')} · secret ${s.secret_hint}${s.description ? ` · ${s.description}` : ''}`),
        h('div', { class: 'row' },
          logToggle('Delivery log', `out:${s.id}`, showLog, log),
          act('Send a ping', () => call('POST', '/ping', undefined, 'Ping sent')),
          s.status === 'active'
            ? act('Pause', () => call('PATCH', '', { status: 'paused' }, 'Webhook paused'), 'ghost')
            : act('Resume', () => call('PATCH', '', { status: 'active' }, 'Webhook resumed')),
          act('Delete', () => confirm(`Stop sending to ${s.url}?`) && call('DELETE', '', undefined, 'Webhook deleted'), 'danger')),
        log);
    }

    function webhookForm() {
      const url = h('input', { name: 'url', type: 'url', required: true, placeholder: 'https://example.com/brigade' });
      const types = h('input', { name: 'event_types', required: true, value: 'order.*', autocomplete: 'off' });
      const description = h('input', { name: 'description', autocomplete: 'off' });
      const secret = h('div', { role: 'status' });
      const form = h('form', { novalidate: true, 'aria-label': 'Add a webhook' },
        field('Address', url), field('Event types', types, 'Comma-separated: order.new, order.*, menu.availability_changed, * for all'),
        field('Description', description), h('button', { type: 'submit', class: 'primary' }, 'Add webhook'), secret);
      onSubmit(form, async () => {
        const body = { url: url.value, event_types: types.value.split(',').map((t) => t.trim()).filter(Boolean), description: description.value || null };
        const s = await api(auth, 'POST', `${base}/webhooks`, body, { idempotent: true });
        fill(secret, h('p', { class: 'callout' }, 'Signing secret (shown once; keep it now): ', h('code', { class: 'copy' }, s.secret)));
        form.reset();
        types.value = 'order.*';
        loadHooks();
      });
      return form;
    }

    await load();
    live((e) => (e.type.startsWith('sync.') || e.type.startsWith('integration.') || e.type.startsWith('webhook.')) && load(), load);
  },
};

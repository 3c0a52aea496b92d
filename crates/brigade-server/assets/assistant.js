// The operator assistant's panel, on the dashboard and the staff device: type a command, or
// press the microphone and say it ("86 the salmon", "order 12 is ready", "what's low?").
// The panel shows what was understood (each action with its arguments and status), asks
// "which one?" with a button per candidate, holds destructive actions for a Yes, and
// speaks the reply back after a spoken command. The recording is made with the browser's
// MediaRecorder and turned into a 16 kHz mono 16-bit WAV here, on the page.
import { h, fill, api, toast, dayTime } from './brigade.js';

/** The longest recording sent, in seconds (the server takes 30). */
const MAX_SECONDS = 12;
/** A recording ends by itself after this much quiet following speech. */
const QUIET_MS = 900;
/** A press held this long is push-to-talk: letting go ends the recording. */
const HOLD_MS = 450;

const TOOL_LABELS = {
  eighty_six: '86', restore: 'Back on', eighty_six_option: '86 an option', restore_option: 'Option back on',
  list_unavailable: "What's 86'd", low_stock: 'Low stock', receive_stock: 'Stock received', sales_summary: 'Sales',
  labor_summary: 'Labour', queue_status: 'Kitchen queue', order_status: 'Order status', set_order_status: 'Move an order',
  staff_on_clock: 'Who is on', clock_in: 'Clock in', clock_out: 'Clock out', start_break: 'Start break', end_break: 'End break',
  create_task: 'New task', list_tasks: 'Tasks', busy_mode: 'Busy mode', help: 'Help',
};
/** The tools that only tell: a turn of these alone changed nothing. */
const TELLS = new Set(['list_unavailable', 'low_stock', 'sales_summary', 'labor_summary', 'queue_status', 'order_status', 'staff_on_clock', 'list_tasks', 'help']);

/** Whether a turn changed something and waits on nothing more. */
export const settled = (turn) =>
  !turn.clarify && turn.actions.some((a) => a.status === 'done' && !TELLS.has(a.tool)) && !turn.actions.some((a) => a.status === 'needs_confirmation');

const STATUS_LABELS = { done: 'done', needs_confirmation: 'waiting for your yes', failed: 'not done', cancelled: 'cancelled' };

/** Whether this browser can record: a microphone API and MediaRecorder. */
export const canRecord = () => !!(navigator.mediaDevices?.getUserMedia && window.MediaRecorder && window.OfflineAudioContext);

export class AssistantPanel {
  /**
   * root: the element to draw in; auth: whose permissions the commands use; onTurn(turn):
   * after each answer (the staff device uses it to keep or end its session).
   */
  constructor({ root, rid, auth, onTurn = () => {} }) {
    this.root = root;
    this.base = `/v1/restaurants/${rid}/assistant`;
    this.auth = auth;
    this.onTurn = onTurn;
    this.session = null;
    this.recording = null;
    this.speakNote = false;
    this.input = h('input', {
      id: `assistant-text-${rid.slice(0, 8)}`, name: 'text', autocomplete: 'off', maxlength: 1000,
      placeholder: 'e.g. 86 the salmon',
    });
    this.mic = h('button', { type: 'button', class: 'mic', 'aria-pressed': 'false', title: 'Press and speak; it stops when you stop' }, 'Speak');
    this.status = h('p', { class: 'muted small assistant-status', role: 'status', 'aria-live': 'polite' });
    this.log = h('ol', { class: 'assistant-log', 'aria-label': 'Conversation', 'aria-live': 'polite' });
    this.help = h('details', { class: 'assistant-help' }, h('summary', {}, 'What can I say?'));
    this.help.addEventListener('toggle', () => this.help.open && this.loadHelp());
    const form = h(
      'form',
      { class: 'assistant-form', 'aria-label': 'Tell the assistant' },
      h('label', { for: this.input.id, class: 'sr-only' }, 'Command'),
      this.input,
      h('button', { type: 'submit', class: 'primary' }, 'Send'),
      this.mic,
    );
    form.addEventListener('submit', (e) => {
      e.preventDefault();
      this.unmute();
      const text = this.input.value.trim();
      if (!text) return;
      this.input.value = '';
      this.say(text);
    });
    if (canRecord()) {
      let pressedAt = 0;
      this.mic.addEventListener('pointerdown', (e) => {
        if (e.button !== 0) return;
        pressedAt = performance.now();
        this.unmute();
        if (!this.recording) this.listen();
        else this.stopListening();
      });
      const release = () => {
        if (this.recording && pressedAt && performance.now() - pressedAt > HOLD_MS) this.stopListening();
        pressedAt = 0;
      };
      this.mic.addEventListener('pointerup', release);
      this.mic.addEventListener('pointercancel', release);
      // The keyboard: Enter or Space starts, again stops.
      this.mic.addEventListener('keydown', (e) => {
        if (e.key !== 'Enter' && e.key !== ' ') return;
        e.preventDefault();
        this.unmute();
        if (!this.recording) this.listen();
        else this.stopListening();
      });
    } else {
      this.mic.disabled = true;
      this.mic.title = 'This browser cannot record here (it needs a microphone and an https or local address)';
    }
    fill(root, this.log, this.status, form, this.help);
  }

  focus() {
    this.input.focus();
  }

  /** A typed (or chosen) command. */
  async say(text, { spoken = false } = {}) {
    this.entry('you', text);
    await this.send(() => api(this.auth, 'POST', `${this.base}/text`, { text, session_id: this.session || undefined }), spoken);
  }

  async confirm(yes) {
    this.entry('you', yes ? 'Yes' : 'No');
    await this.send(() => api(this.auth, 'POST', `${this.base}/confirm`, { session_id: this.session, yes }), false);
  }

  /** Sends one turn and shows the answer; `spoken` answers are spoken back. */
  async send(call, spoken) {
    this.busy(true, 'Thinking…');
    let turn;
    try {
      turn = await call();
    } catch (e) {
      this.entry('error', e.message);
      this.busy(false);
      return null;
    }
    this.busy(false);
    this.session = turn.session_id;
    this.show(turn);
    this.onTurn(turn);
    if (spoken) await this.speak(turn.reply);
    return turn;
  }

  busy(on, text = '') {
    this.status.textContent = on ? text : '';
    for (const b of this.root.querySelectorAll('form button')) if (b !== this.mic) b.disabled = on;
  }

  entry(who, text) {
    const li = h('li', { class: `assistant-${who}` }, h('span', { class: 'sr-only' }, who === 'you' ? 'You said: ' : ''), text);
    this.log.append(li);
    li.scrollIntoView?.({ block: 'nearest' });
    return li;
  }

  /** The answer: the reply, each action understood, and what it waits on. */
  show(turn) {
    // Buttons of earlier questions no longer answer anything.
    for (const b of this.log.querySelectorAll('.assistant-choices button')) b.disabled = true;
    // What was heard stands in the conversation as what the speaker said.
    if (turn.transcript !== undefined) this.entry('you', `Heard: \u201c${turn.transcript}\u201d`).classList.add('heard');
    const li = h('li', { class: 'assistant-reply', dataset: { engine: turn.engine } });
    li.append(h('p', { class: 'reply' }, turn.reply));
    if (turn.actions.length) {
      li.append(
        h('ul', { class: 'assistant-actions', 'aria-label': 'What was understood' }, turn.actions.map((a) =>
          h('li', { dataset: { tool: a.tool, status: a.status } },
            h('strong', {}, TOOL_LABELS[a.tool] || a.tool),
            argsText(a.args) ? ` ${argsText(a.args)}` : '',
            ' ', h('span', { class: `tag status-${a.status}` }, STATUS_LABELS[a.status] || a.status)))),
      );
    }
    if (turn.clarify) {
      li.append(h('div', { class: 'assistant-choices', role: 'group', 'aria-label': turn.clarify.question },
        turn.clarify.candidates.map((c) => h('button', { type: 'button', onclick: () => this.say(c) }, c))));
    }
    if (turn.actions.some((a) => a.status === 'needs_confirmation')) {
      li.append(h('div', { class: 'assistant-choices', role: 'group', 'aria-label': 'Confirm' },
        h('button', { type: 'button', class: 'primary', onclick: () => this.confirm(true) }, 'Yes, do it'),
        h('button', { type: 'button', onclick: () => this.confirm(false) }, 'No')));
    }
    this.log.append(li);
    li.scrollIntoView?.({ block: 'nearest' });
  }

  /** Opens the way for sound while the person's press or key still counts as one: a
   * browser lets a page play only then, and the reply comes seconds later. */
  unmute() {
    this.speaker ??= new AudioContext();
    if (this.speaker.state === 'suspended') this.speaker.resume().catch(() => {});
  }

  /** Says `text` through the server's speech engine; quietly skipped when there is none. */
  async speak(text) {
    if (!text) return;
    try {
      const wav = await api(this.auth, 'POST', `${this.base}/tts`, { text });
      this.unmute();
      const sound = await this.speaker.decodeAudioData(await wav.arrayBuffer());
      this.voice?.stop();
      this.voice = this.speaker.createBufferSource();
      this.voice.buffer = sound;
      this.voice.connect(this.speaker.destination);
      this.voice.start();
      this.root.dataset.spoke = text;
    } catch (e) {
      if (!this.speakNote) {
        this.speakNote = true;
        toast(`Replies are not spoken: ${e.message}`);
      }
    }
  }

  /** Starts recording; it ends on a second press, on letting go of a held press, after
   * QUIET_MS of quiet that follows speech, or at MAX_SECONDS. */
  async listen() {
    if (this.opening) return;
    this.opening = true;
    let stream;
    try {
      stream = await navigator.mediaDevices.getUserMedia({ audio: { channelCount: 1 } });
    } catch (e) {
      this.entry('error', `The microphone is not available: ${e.message}`);
      return;
    } finally {
      this.opening = false;
    }
    const recorder = new MediaRecorder(stream);
    const chunks = [];
    recorder.addEventListener('dataavailable', (e) => e.data.size && chunks.push(e.data));
    const stopped = new Promise((resolve) => recorder.addEventListener('stop', resolve, { once: true }));
    // A level meter decides when the speaker has finished.
    const ctx = new AudioContext();
    const analyser = ctx.createAnalyser();
    analyser.fftSize = 1024;
    ctx.createMediaStreamSource(stream).connect(analyser);
    const samples = new Float32Array(analyser.fftSize);
    const started = performance.now();
    let floor = null;
    let spokeAt = null;
    let lastLoud = 0;
    const meter = setInterval(() => {
      analyser.getFloatTimeDomainData(samples);
      let sum = 0;
      for (const s of samples) sum += s * s;
      const rms = Math.sqrt(sum / samples.length);
      const now = performance.now();
      // The first quarter second sets the room's level; speech is well above it.
      if (now - started < 250) floor = Math.max(floor ?? 0, rms);
      else if (rms > Math.max(0.02, (floor ?? 0) * 3)) {
        spokeAt ??= now;
        lastLoud = now;
      }
      const secs = (now - started) / 1000;
      this.status.textContent = `Listening… ${secs.toFixed(1)} s${spokeAt ? '' : ' (say a command)'}`;
      if ((spokeAt && now - lastLoud > QUIET_MS) || secs > MAX_SECONDS) this.stopListening();
    }, 50);
    this.recording = { recorder, stream, ctx, meter, chunks, stopped };
    this.mic.setAttribute('aria-pressed', 'true');
    this.mic.textContent = 'Stop';
    this.root.classList.add('listening');
    recorder.start();
  }

  /** Ends the recording and sends it as a WAV. */
  async stopListening() {
    const rec = this.recording;
    if (!rec) return;
    this.recording = null;
    clearInterval(rec.meter);
    this.mic.setAttribute('aria-pressed', 'false');
    this.mic.textContent = 'Speak';
    this.root.classList.remove('listening');
    rec.recorder.stop();
    await rec.stopped;
    for (const t of rec.stream.getTracks()) t.stop();
    rec.ctx.close();
    this.busy(true, 'Hearing…');
    let wav;
    try {
      wav = await toWav(new Blob(rec.chunks, { type: rec.recorder.mimeType }));
    } catch (e) {
      this.busy(false);
      this.entry('error', `The recording could not be read: ${e.message}`);
      return;
    }
    const q = this.session ? `?session_id=${this.session}` : '';
    await this.send(() => api(this.auth, 'POST', `${this.base}/audio${q}`, wav), true);
  }

  async loadHelp() {
    if (this.help.dataset.loaded) return;
    this.help.dataset.loaded = 'yes';
    try {
      const tools = await api(this.auth, 'GET', `${this.base}/commands`);
      this.help.append(h('ul', { class: 'simple' }, tools.filter((t) => t.examples.length).map((t) =>
        h('li', {}, h('strong', {}, TOOL_LABELS[t.tool] || t.tool), ': ',
          t.examples.map((x, i) => [i ? ', ' : '', h('button', { type: 'button', class: 'link', onclick: () => this.say(x) }, `\u201c${x}\u201d`)])))));
    } catch (e) {
      this.help.append(h('p', { class: 'error' }, e.message));
    }
  }
}

/** An action's arguments in a few words: "items: Fries, Salad · until: Sat 17:00" (times in
 * the restaurant's zone). */
function argsText(args) {
  if (!args || typeof args !== 'object') return '';
  const word = (v) => (typeof v === 'string' && /^\d{4}-\d\d-\d\dT\d\d:\d\d/.test(v) ? dayTime(v) : v);
  return Object.entries(args)
    .filter(([k, v]) => v !== null && v !== undefined && v !== '' && k !== 'confirm')
    .map(([k, v]) => `${k.replace(/_/g, ' ')}: ${Array.isArray(v) ? v.map(word).join(', ') : typeof v === 'object' ? JSON.stringify(v) : word(v)}`)
    .join(' · ');
}

/**
 * A recording (whatever the browser's MediaRecorder made: WebM/Opus, Ogg…) as a WAV of
 * 16-bit PCM, mono, 16 kHz: what the speech engines take.
 */
export async function toWav(blob, rate = 16000) {
  const decoded = await new OfflineAudioContext(1, 1, rate).decodeAudioData(await blob.arrayBuffer());
  const frames = Math.max(1, Math.ceil(decoded.duration * rate));
  const offline = new OfflineAudioContext(1, frames, rate);
  const source = offline.createBufferSource();
  source.buffer = decoded;
  source.connect(offline.destination); // mixed down to one channel, resampled
  source.start();
  const pcm = (await offline.startRendering()).getChannelData(0);
  const out = new DataView(new ArrayBuffer(44 + pcm.length * 2));
  const text = (at, s) => [...s].forEach((c, i) => out.setUint8(at + i, c.charCodeAt(0)));
  text(0, 'RIFF');
  out.setUint32(4, 36 + pcm.length * 2, true);
  text(8, 'WAVE');
  text(12, 'fmt ');
  out.setUint32(16, 16, true); // the fmt chunk's size
  out.setUint16(20, 1, true); // PCM
  out.setUint16(22, 1, true); // one channel
  out.setUint32(24, rate, true);
  out.setUint32(28, rate * 2, true); // bytes a second
  out.setUint16(32, 2, true); // bytes a frame
  out.setUint16(34, 16, true); // bits a sample
  text(36, 'data');
  out.setUint32(40, pcm.length * 2, true);
  for (let i = 0; i < pcm.length; i++) out.setInt16(44 + i * 2, Math.round(Math.max(-1, Math.min(1, pcm[i])) * 32767), true);
  return new Blob([out], { type: 'audio/wav' });
}

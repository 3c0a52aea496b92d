//! Speech in and out, offline by default, from engines Debian packages (never a download
//! at run time), found and run when needed, so a machine without them still builds and
//! serves everything but audio (503 naming what to install):
//!
//! - Speech to text: PocketSphinx (`pocketsphinx_continuous`, packages `pocketsphinx` and
//!   `pocketsphinx-en-us`) decoding against a JSGF grammar built from the restaurant's live
//!   vocabularies (its items, options, stock, staff) and the commands' phrasings, the way
//!   domain speech-to-intent engines beat general transcription on in-domain commands. Words
//!   missing from the packaged dictionary ("bruschetta") get pronunciations phonemised by
//!   espeak-ng. Speech outside the grammar falls to a loop of common words, which the
//!   parser then does not understand, instead of being forced onto a command.
//! - Text to speech: espeak-ng, as a process, writing WAV.
//! - Or both through an OpenAI-compatible API (`--speech-base-url`): `/audio/transcriptions`
//!   (for whoever runs Whisper) and `/audio/speech`.

use super::tools::Context;
use crate::error::{ApiError, ApiResult, ErrorCode};
use crate::AppState;
use parking_lot::Mutex;
use std::collections::hash_map::DefaultHasher;
use std::collections::{BTreeSet, HashMap};
use std::hash::{Hash, Hasher};
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::sync::{Arc, OnceLock};
use std::time::Duration;
use tokio::process::Command;

/// How much better than the loop of common words, per 10 ms frame, a command's path may
/// score and still be taken (measured on espeak-ng speech; see BENCHMARKS.md).
const MARGIN_PER_FRAME: i64 = 1;

/// The largest WAV taken (a minute and more of 48 kHz stereo).
pub const MAX_AUDIO_BYTES: usize = 10 * 1024 * 1024;
/// The longest utterance decoded.
const MAX_SECONDS: f64 = 30.0;

fn unavailable(what: &str) -> ApiError {
    ApiError::Unavailable {
        code: ErrorCode::SpeechUnavailable,
        message: format!(
            "{what} is not installed here; install it (Debian: apt-get install pocketsphinx pocketsphinx-en-us \
             espeak-ng) or set --speech-base-url to an OpenAI-compatible speech API. Text commands work without it."
        ),
    }
}

fn not_wav(message: impl Into<String>) -> ApiError {
    ApiError::BadRequest { code: ErrorCode::NotWav, message: message.into() }
}

// ---------------------------------------------------------------- audio in

/// A WAV as the recogniser takes it: 16 kHz mono 16-bit samples.
pub struct Pcm16k {
    pub samples: Vec<i16>,
}

/// Reads a WAV (16-bit PCM, mono or stereo, 8 to 48 kHz) into 16 kHz mono; refuses
/// anything else, and audio without speech in it.
pub fn read_wav(bytes: &[u8]) -> ApiResult<Pcm16k> {
    let reader = hound::WavReader::new(std::io::Cursor::new(bytes))
        .map_err(|e| not_wav(format!("send a WAV file (16-bit PCM, mono or stereo, 8 to 48 kHz): {e}")))?;
    let spec = reader.spec();
    if spec.sample_format != hound::SampleFormat::Int || spec.bits_per_sample != 16 {
        return Err(not_wav("the WAV must be 16-bit PCM"));
    }
    if !(1..=2).contains(&spec.channels) {
        return Err(not_wav("the WAV must be mono or stereo"));
    }
    if !(8_000..=48_000).contains(&spec.sample_rate) {
        return Err(not_wav("the WAV's sample rate must be 8 to 48 kHz"));
    }
    let frames = reader.duration() as f64 / f64::from(spec.sample_rate);
    if frames > MAX_SECONDS {
        return Err(ApiError::validation("audio", format!("at most {MAX_SECONDS} seconds of speech")));
    }
    let channels = usize::from(spec.channels);
    let raw: Vec<i16> =
        reader.into_samples::<i16>().collect::<Result<_, _>>().map_err(|e| not_wav(format!("a broken WAV: {e}")))?;
    let mono: Vec<f32> =
        raw.chunks(channels).map(|c| c.iter().map(|s| f32::from(*s)).sum::<f32>() / channels as f32).collect();
    let samples = resample(&mono, spec.sample_rate, 16_000);
    if samples.is_empty() || !has_speech(&samples) {
        return Err(ApiError::Validation { field: "audio".into(), message: "no speech heard in it".into() });
    }
    Ok(Pcm16k { samples })
}

/// Linear resampling, after a moving-average low-pass when going down (enough for
/// speech, whose band the recogniser reads ends at 8 kHz).
fn resample(input: &[f32], from: u32, to: u32) -> Vec<i16> {
    if input.is_empty() {
        return Vec::new();
    }
    let smoothed: Vec<f32> = if from > to {
        let width = (from as f32 / to as f32).round().max(1.0) as usize;
        let mut out = Vec::with_capacity(input.len());
        let mut sum = 0.0;
        for (i, x) in input.iter().enumerate() {
            sum += x;
            if i >= width {
                sum -= input[i - width];
            }
            out.push(sum / width.min(i + 1) as f32);
        }
        out
    } else {
        input.to_vec()
    };
    let ratio = f64::from(from) / f64::from(to);
    let n = ((input.len() as f64) / ratio).floor() as usize;
    (0..n)
        .map(|i| {
            let pos = i as f64 * ratio;
            let k = pos.floor() as usize;
            let frac = (pos - k as f64) as f32;
            let a = smoothed[k.min(smoothed.len() - 1)];
            let b = smoothed[(k + 1).min(smoothed.len() - 1)];
            (a + (b - a) * frac).round().clamp(-32768.0, 32767.0) as i16
        })
        .collect()
}

/// Whether any 30 ms stretch is loud enough to be speech (not silence or hum).
fn has_speech(samples: &[i16]) -> bool {
    samples.chunks(480).any(|w| {
        let energy = w.iter().map(|s| f64::from(*s).powi(2)).sum::<f64>() / w.len() as f64;
        energy.sqrt() > 300.0
    })
}

fn wav_bytes(pcm: &Pcm16k) -> Vec<u8> {
    let spec = hound::WavSpec {
        channels: 1,
        sample_rate: 16_000,
        bits_per_sample: 16,
        sample_format: hound::SampleFormat::Int,
    };
    let mut out = std::io::Cursor::new(Vec::with_capacity(pcm.samples.len() * 2 + 44));
    if let Ok(mut w) = hound::WavWriter::new(&mut out, spec) {
        for s in &pcm.samples {
            let _ = w.write_sample(*s);
        }
        let _ = w.finalize();
    }
    out.into_inner()
}

// ---------------------------------------------------------------- speech to text

/// What was said, as words.
/// What was heard: the words, and whether they are a command the grammar knows (an
/// outside speech API's words are always passed on to be read).
pub struct Heard {
    pub text: String,
    pub command: bool,
}

pub async fn transcribe(state: &AppState, ctx: &Context, rid: uuid::Uuid, audio: &[u8]) -> ApiResult<Heard> {
    let pcm = read_wav(audio)?;
    if let Some(base) = &state.config.speech_base_url {
        let text = transcribe_remote(state, base, &wav_bytes(&pcm)).await?;
        return Ok(Heard { text, command: true });
    }
    let model = state.config.sphinx_model.clone();
    let hmm = model.join("en-us");
    if !hmm.join("mdef").exists() {
        return Err(unavailable("PocketSphinx's US English model (pocketsphinx-en-us)"));
    }
    let decoder = which("pocketsphinx_continuous").ok_or_else(|| unavailable("PocketSphinx (pocketsphinx)"))?;
    let grammar = grammar_for(rid, ctx, &model.join("cmudict-en-us.dict")).await?;
    let dir = tempdir()?;
    let wav = dir.join("utterance.wav");
    std::fs::write(&wav, wav_bytes(&pcm)).map_err(|e| ApiError::internal(format!("writing the audio: {e}")))?;
    // The commands' grammar and the loop of common words decode side by side; speech the
    // commands fit worse than plain words is not a command, whatever it resembles.
    let decode = |g: &Path, log: &str| {
        let mut cmd = Command::new(&decoder);
        cmd.arg("-infile").arg(&wav).arg("-jsgf").arg(g).arg("-dict").arg(&grammar.dict).arg("-hmm").arg(&hmm);
        cmd.arg("-logfn").arg(dir.join(log)).args(["-backtrace", "yes", "-remove_noise", "yes"]);
        cmd
    };
    let (mut a, mut b) = (decode(&grammar.jsgf, "command.log"), decode(&grammar.garbage, "other.log"));
    let (command, other) = tokio::join!(run(&mut a, None), run(&mut b, None));
    let command = command.map(|_| scored(&dir.join("command.log")));
    let other = other.map(|_| scored(&dir.join("other.log")));
    let _ = std::fs::remove_dir_all(&dir);
    // The commands get a little credit per 10 ms frame: a clear command scores above the
    // loop, speech that only resembles one well below it.
    let frames = (pcm.samples.len() / 160) as i64;
    let heard = match (command?, other?) {
        (Some((text, score)), Some((_, garbage))) if score + MARGIN_PER_FRAME * frames >= garbage => {
            Heard { text, command: true }
        }
        (Some((text, _)), None) => Heard { text, command: true },
        (_, Some((words, _))) => Heard { text: words, command: false },
        (None, None) => Heard { text: String::new(), command: false },
    };
    if heard.text.trim().is_empty() {
        return Err(ApiError::Validation { field: "audio".into(), message: "no words were heard in it".into() });
    }
    Ok(heard)
}

/// The hypothesis and its path score from a decoder's log.
fn scored(log: &Path) -> Option<(String, i64)> {
    let text = std::fs::read_to_string(log).ok()?;
    let line = text.lines().rev().find(|l| l.contains("pocketsphinx.c(") && l.trim_end().ends_with(')'))?;
    let (_, rest) = line.split_once("): ")?;
    let open = rest.rfind(" (")?;
    let score = rest[open + 2..rest.len() - 1].parse().ok()?;
    let words = rest[..open].trim().to_owned();
    (!words.is_empty()).then_some((words, score))
}

async fn transcribe_remote(state: &AppState, base: &str, wav: &[u8]) -> ApiResult<String> {
    let part = reqwest::multipart::Part::bytes(wav.to_vec())
        .file_name("speech.wav")
        .mime_str("audio/wav")
        .map_err(|e| ApiError::internal(e.to_string()))?;
    let form = reqwest::multipart::Form::new()
        .part("file", part)
        .text("model", state.config.stt_model.clone())
        .text("response_format", "json");
    let mut req =
        state.integrations.http.post(format!("{}/audio/transcriptions", base.trim_end_matches('/'))).multipart(form);
    if let Some(key) = &state.config.speech_api_key {
        req = req.bearer_auth(key);
    }
    let resp = req.send().await.map_err(|e| upstream(format!("the speech API could not be reached: {e}")))?;
    let status = resp.status();
    let body: serde_json::Value = resp.json().await.map_err(|e| upstream(format!("the speech API's answer: {e}")))?;
    if !status.is_success() {
        let m = body.pointer("/error/message").and_then(|v| v.as_str()).unwrap_or("no message");
        return Err(upstream(format!("the speech API refused ({status}): {m}")));
    }
    let text = body.get("text").and_then(|v| v.as_str()).unwrap_or_default().trim().to_owned();
    if text.is_empty() {
        return Err(ApiError::Validation { field: "audio".into(), message: "no words were heard in it".into() });
    }
    Ok(text)
}

fn upstream(message: String) -> ApiError {
    ApiError::Upstream { code: ErrorCode::PlatformRefused, message }
}

// ---------------------------------------------------------------- text to speech

/// `text` spoken, as a WAV.
pub async fn speak(state: &AppState, text: &str) -> ApiResult<Vec<u8>> {
    if let Some(base) = &state.config.speech_base_url {
        let body = serde_json::json!({
            "model": state.config.tts_model, "voice": state.config.tts_voice, "input": text, "response_format": "wav" });
        let mut req = state.integrations.http.post(format!("{}/audio/speech", base.trim_end_matches('/'))).json(&body);
        if let Some(key) = &state.config.speech_api_key {
            req = req.bearer_auth(key);
        }
        let resp = req.send().await.map_err(|e| upstream(format!("the speech API could not be reached: {e}")))?;
        if !resp.status().is_success() {
            return Err(upstream(format!("the speech API refused ({})", resp.status())));
        }
        return Ok(resp.bytes().await.map_err(|e| upstream(e.to_string()))?.to_vec());
    }
    let espeak = which("espeak-ng").ok_or_else(|| unavailable("espeak-ng"))?;
    run(Command::new(espeak).args(["--stdout", "--stdin", "-v", "en-us", "-s", "165"]), Some(text)).await
}

// ---------------------------------------------------------------- engines as processes

fn which(program: &str) -> Option<PathBuf> {
    let path = std::env::var_os("PATH")?;
    std::env::split_paths(&path).map(|d| d.join(program)).find(|p| p.is_file())
}

fn tempdir() -> ApiResult<PathBuf> {
    let dir = std::env::temp_dir().join(format!("brigade-speech-{}", uuid::Uuid::now_v7()));
    std::fs::create_dir_all(&dir).map_err(|e| ApiError::internal(format!("a temporary directory: {e}")))?;
    Ok(dir)
}

/// Runs an engine to its end (at most 10 s), `input` on its stdin; its stdout.
async fn run(cmd: &mut Command, input: Option<&str>) -> ApiResult<Vec<u8>> {
    cmd.stdin(if input.is_some() { Stdio::piped() } else { Stdio::null() })
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .kill_on_drop(true);
    let mut child = cmd.spawn().map_err(|e| ApiError::internal(format!("starting a speech engine: {e}")))?;
    if let (Some(text), Some(mut stdin)) = (input, child.stdin.take()) {
        use tokio::io::AsyncWriteExt;
        stdin.write_all(text.as_bytes()).await.map_err(|e| ApiError::internal(format!("speech engine input: {e}")))?;
    }
    let out = tokio::time::timeout(Duration::from_secs(10), child.wait_with_output())
        .await
        .map_err(|_| ApiError::internal("a speech engine took over 10 s"))?
        .map_err(|e| ApiError::internal(format!("a speech engine: {e}")))?;
    if !out.status.success() {
        return Err(ApiError::internal(format!(
            "a speech engine failed ({}): {}",
            out.status,
            String::from_utf8_lossy(&out.stderr).chars().take(300).collect::<String>()
        )));
    }
    Ok(out.stdout)
}

// ---------------------------------------------------------------- the grammar

/// A restaurant's grammar and dictionary, written once per vocabulary.
struct Grammar {
    jsgf: PathBuf,
    /// A loop of common words: what speech outside the commands matches best.
    garbage: PathBuf,
    dict: PathBuf,
}

/// Grammars written, by restaurant and the hash of their text.
type Grammars = Mutex<HashMap<(uuid::Uuid, u64), Arc<Grammar>>>;

fn grammars() -> &'static Grammars {
    static CACHE: OnceLock<Grammars> = OnceLock::new();
    CACHE.get_or_init(Mutex::default)
}

/// The packaged pronouncing dictionary's lines for `words` (read through, not kept: the
/// whole of it would cost the server some 150 MB).
fn pronunciations(path: &Path, words: &BTreeSet<String>) -> Option<HashMap<String, Vec<String>>> {
    let text = std::fs::read_to_string(path).ok()?;
    let mut d: HashMap<String, Vec<String>> = HashMap::new();
    for line in text.lines() {
        let Some((word, phones)) = line.split_once(' ') else { continue };
        let base = word.split('(').next().unwrap_or(word);
        if words.contains(base) {
            d.entry(base.to_owned()).or_default().push(phones.trim().to_owned());
        }
    }
    Some(d)
}

/// Spoken words of a name: lowercase letters, numbers said as words.
fn spoken(name: &str) -> Vec<String> {
    let mut out = Vec::new();
    // "7up" is "seven up": digits and letters apart.
    let mut spaced = String::new();
    let mut prev: Option<char> = None;
    for c in name.to_lowercase().chars() {
        if prev.is_some_and(|p| p.is_ascii_digit() != c.is_ascii_digit() && p.is_alphanumeric() && c.is_alphanumeric())
        {
            spaced.push(' ');
        }
        spaced.push(c);
        prev = Some(c);
    }
    for w in spaced.split(|c: char| !c.is_alphanumeric() && c != '\'') {
        let w = w.trim_matches('\'');
        if w.is_empty() {
            continue;
        }
        if let Ok(n) = w.parse::<u32>() {
            out.extend(brigade_domain::language::words::number_words(n).split(' ').map(str::to_owned));
        } else {
            out.push(w.chars().filter(|c| c.is_alphabetic() || *c == '\'').collect());
        }
    }
    out.retain(|w| !w.is_empty());
    out
}

fn alternatives(phrases: &BTreeSet<String>) -> String {
    if phrases.is_empty() {
        return "<VOID>".into();
    }
    phrases.iter().cloned().collect::<Vec<_>>().join(" | ")
}

/// Words people use around the commands that are not commands: the fallback loop.
const COMMON: &str = "a about after all also am an and any are as at back be because been before being but by can \
    could day did do does doing done down each even every for from get give go going good got had has have he her \
    here him his how i if in into is it just know like little look make many me more most much my need new no not \
    now of off on one only or other our out over people please put really right said same see she should so some \
    still such take tell than thank thanks that the their them then there these they thing think this those time \
    to today too two up us very want was way we well were what when where which while who why will with would yeah \
    year yes you your table guest chef kitchen food check tonight weather nice lovely coffee music";

fn jsgf(ctx: &Context) -> String {
    let names = |entries: &[brigade_domain::language::Entry]| -> BTreeSet<String> {
        entries.iter().map(|e| spoken(&e.name).join(" ")).filter(|s| !s.is_empty()).collect()
    };
    // Names are said in part too ("the salmon", "the burger"): each name's last word is
    // there as well; the parser asks which one is meant.
    let mut item_names = names(&ctx.vocab.items);
    // A word found in one name only says which item it is ("the carnitas").
    let mut seen: HashMap<String, usize> = HashMap::new();
    for e in &ctx.vocab.items {
        for w in spoken(&e.name).into_iter().collect::<BTreeSet<_>>() {
            *seen.entry(w).or_default() += 1;
        }
    }
    for (w, n) in &seen {
        if *n == 1 && w.len() >= 4 && !COMMON.split_whitespace().any(|c| c == w) {
            item_names.insert(w.clone());
        }
    }
    for e in &ctx.vocab.items {
        let words = spoken(&e.name);
        if words.len() > 1 {
            // Not its plural: heard, "the burgers" would mean all of them, and a spoken
            // plural is too close to the singular to act on; the parser asks which.
            if let Some(last) = words.last() {
                item_names.insert(last.clone());
            }
        }
    }
    let items = alternatives(&item_names);
    let options = alternatives(&names(&ctx.vocab.options));
    let stock = alternatives(&names(&ctx.vocab.stock));
    let staff = alternatives(&ctx.vocab.staff.iter().filter_map(|e| spoken(&e.name).first().cloned()).collect());
    let units: BTreeSet<String> = ctx
        .vocab
        .stock
        .iter()
        .flat_map(|e| e.units.iter().map(|u| spoken(u).join(" ")))
        .filter(|u| !u.is_empty())
        .collect();
    let mut unit_words: BTreeSet<String> = [
        "kilos", "kilo", "pounds", "pound", "liters", "liter", "gallons", "dozen", "cases", "case", "boxes", "box",
        "bags", "bag",
    ]
    .iter()
    .map(|s| (*s).to_owned())
    .collect();
    for u in units {
        unit_words.insert(format!("{u}s"));
        unit_words.insert(u);
    }
    let units = alternatives(&unit_words);
    // A rule over an empty list cannot be decoded: leave out what has nothing to name.
    let has = |e: &[brigade_domain::language::Entry]| !e.is_empty();
    let mut named = Vec::new();
    if has(&ctx.vocab.items) {
        named.push("<item>");
    }
    if has(&ctx.vocab.options) {
        named.push("<option>");
    }
    let mut commands = vec!["<orders>", "<busy>", "<timeclock>", "<query>", "<task>", "<yesno>"];
    if !named.is_empty() {
        commands.extend(["<eightysix>", "<restore>"]);
    }
    if has(&ctx.vocab.stock) {
        commands.push("<receive>");
    }
    let mut answers = named.clone();
    if has(&ctx.vocab.stock) {
        answers.push("<stockitem>");
    }
    if !answers.is_empty() {
        commands.push("<answer>");
    }
    let things = if named.is_empty() { "<item>".to_owned() } else { named.join(" | ") };
    let answers = if answers.is_empty() { "<item>".to_owned() } else { answers.join(" | ") };
    let for_person = if has(&ctx.vocab.staff) { " [for <person>]" } else { "" };
    let commands = commands.join(" | ");
    let placeholder = |s: String| if s == "<VOID>" { "brigade".to_owned() } else { s };
    let (items, options, stock, staff) =
        (placeholder(items), placeholder(options), placeholder(stock), placeholder(staff));
    format!(
        "#JSGF V1.0;\ngrammar brigade;\n\
public <utterance> = [<polite>] <command> [please];\n\
<polite> = hey brigade | brigade | okay | please | chef;\n\
<command> = {commands};\n\
<thing> = [the] ({things});\n\
<things> = <thing> (and <thing>)*;\n\
<item> = {items};\n\
<option> = {options};\n\
<stockitem> = {stock};\n\
<person> = {staff};\n\
<unit> = {units};\n\
<eightysix> = (eighty six | we are out of | we're out of | out of | no more | we ran out of | we're all out of | we are all out of | kill) <things> [<when>] [<where>] [tonight] | <things> (is | are) (eighty sixed | out | gone | sold out) [<when>];\n\
<restore> = (bring back | restore) <things> [<where>] | <things> (is | are) back [on] [the menu] | we have <things> again | put <things> back on;\n\
<when> = (until | till) <time> | for the rest of the night | until tomorrow | for <number> minutes | for an hour | for today;\n\
<where> = on (uber eats | door dash | grub hub | delivery | the website | q r) | for delivery;\n\
<time> = <hournum> [<minutes>] [a m | p m | o'clock] | noon | midnight;\n\
<hournum> = one | two | three | four | five | six | seven | eight | nine | ten | eleven | twelve;\n\
<minutes> = fifteen | thirty | forty five | oh five | ten | twenty | forty | fifty;\n\
<digit> = one | two | three | four | five | six | seven | eight | nine;\n\
<teen> = ten | eleven | twelve | thirteen | fourteen | fifteen | sixteen | seventeen | eighteen | nineteen;\n\
<tens> = twenty | thirty | forty | fifty | sixty | seventy | eighty | ninety;\n\
<number> = <digit> | <teen> | <tens> [<digit>] | <digit> hundred [[and] (<digit> | <teen> | <tens> [<digit>])];\n\
<orders> = (order | ticket | number) <number> is (ready | done | up | picked up | complete) | (bump | fire | cancel | start) [order | ticket] <number> | where is order <number> | is order <number> ready | what's the status of order <number>;\n\
<channel> = uber eats | door dash | grub hub | delivery | the website | q r | online orders | phone orders;\n\
<busy> = [(we're | we are) (slammed | swamped)] (busy mode [<number> minutes] | add <number> minutes [to quotes]) | we're slammed | we are slammed | (end | turn off) busy mode | we're caught up | we are caught up | (pause | stop taking) <channel> [orders] | (unpause | resume) <channel>;\n\
<timeclock> = (clock | punch) [me] (in | out) | (i'm | i am) (going on | taking) [my | a] break | (going on | taking) [my | a] break | start my break | [i'm] back from (break | lunch) | end my break;\n\
<query> = what's low | what is low | anything low | what's running low | what do we need to order | what should we order | what's eighty sixed [right now] | what is eighty sixed | what are we out of | how are sales [today] | how much (did we make | have we made) [today] | what's labor [at] | what's labour [at] | labor cost | who's on [the clock] | who is on | who's working | who is clocked in | how many open orders | how many orders are open | how backed up are we | what's on [the | my] task list | what are my tasks | help | what can you do;\n\
<quantity> = <number> | a | an | half a;\n\
<receive> = (received | receive | we got) <quantity> [<unit>] [of] <stockitem> | <quantity> [<unit>] [of] <stockitem> (came in | arrived);\n\
<task> = (remind (me | us) to | add a task to | new task) <other>+{for_person};\n\
<yesno> = yes | no | yeah | nope | confirm | cancel | do it | go ahead | never mind;\n\
<answer> = [the] ({answers}) [one];\n\
<other> = {common};\n\
<garbage> = <other>+;\n",
        common = COMMON.split_whitespace().collect::<Vec<_>>().join(" | "),
    )
}

/// The restaurant's grammar (made or reused) and a dictionary of every word in it.
async fn grammar_for(rid: uuid::Uuid, ctx: &Context, dict_path: &Path) -> ApiResult<Arc<Grammar>> {
    let text = jsgf(ctx);
    let mut h = DefaultHasher::new();
    text.hash(&mut h);
    let key = (rid, h.finish());
    if let Some(g) = grammars().lock().get(&key) {
        return Ok(g.clone());
    }
    let words: BTreeSet<String> = text
        .lines()
        .filter(|l| l.starts_with('<') || l.starts_with("public"))
        .filter_map(|l| l.split_once('=').map(|(_, r)| r.to_owned()))
        .flat_map(|r| r.split(|c: char| !(c.is_alphabetic() || c == '\'')).map(str::to_owned).collect::<Vec<_>>())
        .filter(|w| !w.is_empty() && w != "VOID")
        .collect();
    let dict = pronunciations(dict_path, &words)
        .ok_or_else(|| unavailable("PocketSphinx's US English dictionary (pocketsphinx-en-us)"))?;
    let mut lines = Vec::new();
    for w in &words {
        match dict.get(w) {
            Some(prons) => {
                for (i, p) in prons.iter().enumerate() {
                    lines.push(if i == 0 { format!("{w} {p}") } else { format!("{w}({}) {p}", i + 1) });
                }
            }
            None => {
                let p = match phonemise(w).await {
                    Some(p) => p,
                    None => letters_to_phones(w),
                };
                lines.push(format!("{w} {p}"));
            }
        }
    }
    let dir = std::env::temp_dir().join(format!("brigade-grammar-{rid}-{:x}", key.1));
    std::fs::create_dir_all(&dir).map_err(|e| ApiError::internal(format!("grammar directory: {e}")))?;
    let jsgf = dir.join("brigade.gram");
    let dict_file = dir.join("brigade.dict");
    let write = |p: &Path, s: &str| -> ApiResult<()> {
        let mut f =
            std::fs::File::create(p).map_err(|e| ApiError::internal(format!("writing {}: {e}", p.display())))?;
        f.write_all(s.as_bytes()).map_err(|e| ApiError::internal(format!("writing {}: {e}", p.display())))
    };
    write(&jsgf, &text)?;
    let garbage_text = format!(
        "#JSGF V1.0;\ngrammar other;\npublic <garbage> = ({})+;\n",
        COMMON.split_whitespace().collect::<Vec<_>>().join(" | ")
    );
    let garbage = dir.join("other.gram");
    write(&garbage, &garbage_text)?;
    write(&dict_file, &(lines.join("\n") + "\n"))?;
    let g = Arc::new(Grammar { jsgf, garbage, dict: dict_file });
    // The restaurant's grammar before this one (its menu changed) goes, files and all; a
    // decode that has not opened them yet at this very moment fails, and can be said again.
    let mut cache = grammars().lock();
    let stale: Vec<(uuid::Uuid, u64)> = cache.keys().filter(|k| k.0 == rid && k.1 != key.1).copied().collect();
    for k in stale {
        if let Some(old) = cache.remove(&k) {
            if let Some(dir) = old.jsgf.parent() {
                let _ = std::fs::remove_dir_all(dir);
            }
        }
    }
    cache.insert(key, g.clone());
    Ok(g)
}

/// A pronunciation for a word the dictionary lacks, from espeak-ng's phonemes (IPA) in
/// the dictionary's phone set.
async fn phonemise(word: &str) -> Option<String> {
    let espeak = which("espeak-ng")?;
    let out = run(Command::new(espeak).args(["-q", "--ipa", "-v", "en-us", "--stdin"]), Some(word)).await.ok()?;
    let ipa = String::from_utf8_lossy(&out).trim().to_owned();
    let phones = ipa_to_arpabet(&ipa);
    (!phones.is_empty()).then(|| phones.join(" "))
}

/// A last resort when espeak-ng is not there: a phone per letter, so the grammar stays
/// whole (the word is then rarely heard right).
fn letters_to_phones(word: &str) -> String {
    let mut out: Vec<&str> = Vec::new();
    let mut last = None;
    for c in word.chars().filter(char::is_ascii_alphabetic) {
        if Some(c) == last {
            continue;
        }
        last = Some(c);
        out.extend(match c {
            'a' => &["AE"][..],
            'b' => &["B"],
            'c' => &["K"],
            'd' => &["D"],
            'e' => &["EH"],
            'f' => &["F"],
            'g' => &["G"],
            'h' => &["HH"],
            'i' => &["IH"],
            'j' => &["JH"],
            'k' => &["K"],
            'l' => &["L"],
            'm' => &["M"],
            'n' => &["N"],
            'o' => &["AA"],
            'p' => &["P"],
            'q' => &["K"],
            'r' => &["R"],
            's' => &["S"],
            't' => &["T"],
            'u' => &["AH"],
            'v' => &["V"],
            'w' => &["W"],
            'x' => &["K", "S"],
            'y' => &["Y"],
            _ => &["Z"],
        });
    }
    if out.is_empty() {
        out.push("AH");
    }
    out.join(" ")
}

/// IPA (as espeak-ng writes American English) to the CMU dictionary's phones.
pub fn ipa_to_arpabet(ipa: &str) -> Vec<&'static str> {
    const MULTI: &[(&str, &str)] = &[
        ("tʃ", "CH"),
        ("dʒ", "JH"),
        ("aɪ", "AY"),
        ("aʊ", "AW"),
        ("ɔɪ", "OY"),
        ("eɪ", "EY"),
        ("oʊ", "OW"),
        ("əʊ", "OW"),
        ("ɜː", "ER"),
        ("ɑː", "AA"),
        ("ɔː", "AO"),
        ("uː", "UW"),
        ("iː", "IY"),
        ("ɪə", "IH R"),
        ("eə", "EH R"),
        ("ʊə", "UH R"),
        ("ər", "ER"),
        ("ɚ", "ER"),
        ("ɝ", "ER"),
    ];
    const SINGLE: &[(char, &str)] = &[
        ('ɑ', "AA"),
        ('ɔ', "AO"),
        ('u', "UW"),
        ('i', "IY"),
        ('ɪ', "IH"),
        ('ᵻ', "IH"),
        ('ʊ', "UH"),
        ('ɛ', "EH"),
        ('e', "EH"),
        ('æ', "AE"),
        ('a', "AA"),
        ('ʌ', "AH"),
        ('ə', "AH"),
        ('ɐ', "AH"),
        ('ɒ', "AA"),
        ('o', "OW"),
        ('p', "P"),
        ('b', "B"),
        ('t', "T"),
        ('d', "D"),
        ('k', "K"),
        ('g', "G"),
        ('ɡ', "G"),
        ('f', "F"),
        ('v', "V"),
        ('θ', "TH"),
        ('ð', "DH"),
        ('s', "S"),
        ('z', "Z"),
        ('ʃ', "SH"),
        ('ʒ', "ZH"),
        ('h', "HH"),
        ('m', "M"),
        ('n', "N"),
        ('ŋ', "NG"),
        ('l', "L"),
        ('ɫ', "L"),
        ('ɹ', "R"),
        ('r', "R"),
        ('j', "Y"),
        ('w', "W"),
        ('ɾ', "D"),
        ('x', "K"),
        ('ç', "HH"),
        ('y', "IY"),
    ];
    let mut out = Vec::new();
    let s: String = ipa.chars().filter(|c| !matches!(c, 'ˈ' | 'ˌ' | '\u{0329}' | '\u{0361}' | '-' | ' ')).collect();
    let mut rest = s.as_str();
    'outer: while let Some(c) = rest.chars().next() {
        for (m, p) in MULTI {
            if let Some(r) = rest.strip_prefix(m) {
                out.extend(p.split(' '));
                rest = r;
                continue 'outer;
            }
        }
        if let Some((_, p)) = SINGLE.iter().find(|(k, _)| *k == c) {
            out.push(*p);
        }
        rest = &rest[c.len_utf8()..];
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ipa_becomes_the_dictionarys_phones() {
        assert_eq!(ipa_to_arpabet("bɹʌʃˈɛtə"), ["B", "R", "AH", "SH", "EH", "T", "AH"]);
        assert_eq!(ipa_to_arpabet("dʒɛlˈɑːtoʊ"), ["JH", "EH", "L", "AA", "T", "OW"]);
    }

    #[test]
    fn names_are_said_as_words() {
        assert_eq!(spoken("7UP & Fries (Large)"), ["seven", "up", "fries", "large"]);
        assert_eq!(brigade_domain::language::words::number_words(42), "forty two");
        assert_eq!(brigade_domain::language::words::number_words(105), "one hundred five");
    }

    #[test]
    fn wavs_are_checked_and_made_16k_mono() {
        let spec = hound::WavSpec {
            channels: 2,
            sample_rate: 44_100,
            bits_per_sample: 16,
            sample_format: hound::SampleFormat::Int,
        };
        let mut buf = std::io::Cursor::new(Vec::new());
        {
            let mut w = hound::WavWriter::new(&mut buf, spec).unwrap();
            for i in 0..44_100 {
                let s = ((i as f64 * 440.0 * std::f64::consts::TAU / 44_100.0).sin() * 8000.0) as i16;
                w.write_sample(s).unwrap();
                w.write_sample(s).unwrap();
            }
            w.finalize().unwrap();
        }
        let pcm = read_wav(buf.get_ref()).unwrap();
        assert!((pcm.samples.len() as i64 - 16_000).abs() < 5);
        assert!(read_wav(b"not a wav at all").is_err());
        let silent = {
            let spec = hound::WavSpec {
                channels: 1,
                sample_rate: 16_000,
                bits_per_sample: 16,
                sample_format: hound::SampleFormat::Int,
            };
            let mut b = std::io::Cursor::new(Vec::new());
            let mut w = hound::WavWriter::new(&mut b, spec).unwrap();
            for _ in 0..16_000 {
                w.write_sample(0i16).unwrap();
            }
            w.finalize().unwrap();
            b.into_inner()
        };
        assert!(read_wav(&silent).is_err(), "silence is no speech");
    }
}

//! Words as the parser reads them: one normal form for what people type and what speech
//! recognisers write ("86'd", "eighty-six", "what's", "twenty five"), numbers in words,
//! plurals, and how alike two names are.

/// A token of normalised text: a word, a number, or a separator (`,`).
#[derive(Debug, Clone, PartialEq)]
pub enum Token {
    Word(String),
    Number(f64),
    Comma,
}

impl Token {
    pub fn word(&self) -> Option<&str> {
        match self {
            Token::Word(w) => Some(w),
            _ => None,
        }
    }

    /// Whether it is the word `w` ("86" is a number and a word).
    pub fn is(&self, w: &str) -> bool {
        match self {
            Token::Word(x) => x == w,
            Token::Number(n) => w.parse::<f64>() == Ok(*n),
            Token::Comma => w == ",",
        }
    }

    pub fn number(&self) -> Option<f64> {
        match self {
            Token::Number(n) => Some(*n),
            _ => None,
        }
    }

    /// How it reads back in a phrase.
    pub fn text(&self) -> String {
        match self {
            Token::Word(w) => w.clone(),
            Token::Number(n) if n.fract() == 0.0 => format!("{}", *n as i64),
            Token::Number(n) => format!("{n}"),
            Token::Comma => ",".into(),
        }
    }
}

/// Contractions and the ways "86" is written or heard, replaced before tokenising.
const REWRITES: &[(&str, &str)] = &[
    ("’", "'"),
    ("‘", "'"),
    ("eighty-sixed", " 86 "),
    ("eighty sixed", " 86 "),
    ("eighty-six", " 86 "),
    ("eighty six", " 86 "),
    ("86'd", " 86 "),
    ("86d", " 86 "),
    ("86ed", " 86 "),
    ("86'ed", " 86 "),
    ("un-86", " un86 "),
    ("un 86", " un86 "),
    ("what's", "what is"),
    ("whats", "what is"),
    ("who's", "who is"),
    ("where's", "where is"),
    ("how's", "how is"),
    ("that's", "that is"),
    ("it's", "it is"),
    ("we're", "we are"),
    ("were out", "we are out"),
    ("they're", "they are"),
    ("i'm", "i am"),
    ("im ", "i am "),
    ("i've", "i have"),
    ("we've", "we have"),
    ("let's", "let us"),
    ("isn't", "is not"),
    ("aren't", "are not"),
    ("don't", "do not"),
    ("can't", "cannot"),
    ("won't", "will not"),
    ("'s ", " is "),
    ("n't", " not"),
    ("'ll", " will"),
    ("'re", " are"),
    ("'ve", " have"),
    ("'d", ""),
];

/// Lowercases, rewrites contractions, splits into tokens and reads numbers in words.
pub fn tokens(text: &str) -> Vec<Token> {
    let mut s = format!(" {} ", text.to_lowercase());
    for (from, to) in REWRITES {
        if s.contains(from) {
            s = s.replace(from, to);
        }
    }
    let mut raw: Vec<String> = Vec::new();
    let mut cur = String::new();
    let chars: Vec<char> = s.chars().collect();
    for (i, &c) in chars.iter().enumerate() {
        let keep = c.is_alphanumeric()
            || ((c == '.' || c == ':')
                && i > 0
                && chars[i - 1].is_ascii_digit()
                && chars.get(i + 1).is_some_and(char::is_ascii_digit));
        if keep {
            cur.push(c);
        } else {
            if !cur.is_empty() {
                raw.push(std::mem::take(&mut cur));
            }
            if matches!(c, ',' | ';' | '&' | '+') {
                raw.push(if c == '&' || c == '+' { "and".into() } else { ",".into() });
            }
        }
    }
    if !cur.is_empty() {
        raw.push(cur);
    }
    numbers(raw)
}

const SMALL: [&str; 20] = [
    "zero",
    "one",
    "two",
    "three",
    "four",
    "five",
    "six",
    "seven",
    "eight",
    "nine",
    "ten",
    "eleven",
    "twelve",
    "thirteen",
    "fourteen",
    "fifteen",
    "sixteen",
    "seventeen",
    "eighteen",
    "nineteen",
];
const TENS: [&str; 10] = ["", "", "twenty", "thirty", "forty", "fifty", "sixty", "seventy", "eighty", "ninety"];

/// A number as it is said: 42 is "forty two", 105 "one hundred five" (to 999).
pub fn number_words(n: u32) -> String {
    match n {
        0..=19 => SMALL[n as usize].to_owned(),
        20..=99 if n.is_multiple_of(10) => TENS[(n / 10) as usize].to_owned(),
        20..=99 => format!("{} {}", TENS[(n / 10) as usize], SMALL[(n % 10) as usize]),
        100..=999 if n.is_multiple_of(100) => format!("{} hundred", SMALL[(n / 100) as usize]),
        100..=999 => format!("{} hundred {}", SMALL[(n / 100) as usize], number_words(n % 100)),
        _ => n.to_string(),
    }
}

fn unit_number(w: &str) -> Option<f64> {
    if let Some(i) = SMALL.iter().position(|s| *s == w) {
        return Some(i as f64);
    }
    TENS.iter().skip(2).position(|s| *s == w).map(|i| (i as f64 + 2.0) * 10.0)
}

/// Joins number words into numbers: "twenty five" → 25, "one hundred and five" → 105,
/// "half" → 0.5, "12" → 12; "1st" stays a word.
fn numbers(raw: Vec<String>) -> Vec<Token> {
    let mut out = Vec::with_capacity(raw.len());
    let mut i = 0;
    while i < raw.len() {
        let w = raw[i].as_str();
        if w == "," {
            out.push(Token::Comma);
            i += 1;
            continue;
        }
        if let Ok(n) = w.parse::<f64>() {
            out.push(Token::Number(n));
            i += 1;
            continue;
        }
        if w == "half" {
            out.push(Token::Number(0.5));
            i += 1;
            continue;
        }
        if unit_number(w).is_some() {
            let mut total = 0.0;
            let mut current = 0.0;
            let mut j = i;
            while j < raw.len() {
                let t = raw[j].as_str();
                if let Some(n) = unit_number(t) {
                    // "twenty five": tens then units; "one two" is two numbers.
                    let after_hundreds = current >= 100.0 && current % 100.0 == 0.0;
                    let after_tens = current % 100.0 >= 20.0 && current % 10.0 == 0.0 && n < 10.0;
                    if current > 0.0 && !after_hundreds && !after_tens {
                        break;
                    }
                    current += n;
                } else if t == "hundred" && current > 0.0 {
                    current *= 100.0;
                } else if t == "thousand" && current > 0.0 {
                    total += current * 1000.0;
                    current = 0.0;
                } else if t == "and" && current >= 100.0 && raw.get(j + 1).is_some_and(|n| unit_number(n).is_some()) {
                    // "one hundred and five"
                } else {
                    break;
                }
                j += 1;
            }
            out.push(Token::Number(total + current));
            i = j;
            continue;
        }
        out.push(Token::Word(w.to_owned()));
        i += 1;
    }
    out
}

/// The singular of a word as a kitchen says it: "fries" → "fry", "tomatoes" →
/// "tomato", "shakes" → "shake". Both a name and what is heard go through it, so a
/// wrong singular on both sides still matches.
pub fn singular(w: &str) -> String {
    if w.len() <= 3 || w.ends_with("ss") || w.ends_with("us") || w.ends_with("is") {
        return w.to_owned();
    }
    if let Some(s) = w.strip_suffix("ies") {
        return format!("{s}y");
    }
    for end in ["ches", "shes", "xes", "sses", "oes", "zes"] {
        if let Some(s) = w.strip_suffix(end) {
            return format!("{s}{}", &end[..end.len() - 2]);
        }
    }
    w.strip_suffix('s').map(str::to_owned).unwrap_or_else(|| w.to_owned())
}

/// How alike two (singular, lowercase) words are, 0 to 1: the same; one the end or start
/// of a compound ("burger" in "cheeseburger"); or a misspelling (Jaro-Winkler).
pub fn word_sim(a: &str, b: &str) -> f64 {
    if a == b {
        return 1.0;
    }
    if a.chars().any(|c| c.is_ascii_digit()) || b.chars().any(|c| c.is_ascii_digit()) {
        return 0.0;
    }
    let (short, long) = if a.len() <= b.len() { (a, b) } else { (b, a) };
    if short.len() >= 4 && (long.ends_with(short) || long.starts_with(short)) {
        return 0.85;
    }
    if short.len() < 4 {
        return 0.0;
    }
    let jw = strsim::jaro_winkler(a, b);
    let lev = strsim::normalized_damerau_levenshtein(a, b);
    let s = jw.min(lev + 0.15);
    if s >= 0.86 {
        s
    } else {
        0.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn words(s: &str) -> Vec<String> {
        tokens(s).iter().map(Token::text).collect()
    }

    #[test]
    fn numbers_in_words_become_numbers() {
        assert_eq!(words("order twelve is ready"), ["order", "12", "is", "ready"]);
        assert_eq!(words("twenty five minutes"), ["25", "minutes"]);
        assert_eq!(words("one hundred and five"), ["105"]);
        assert_eq!(words("two cases of mozzarella"), ["2", "cases", "of", "mozzarella"]);
        assert_eq!(words("half a case"), ["0.5", "a", "case"]);
        assert_eq!(words("until 5:30"), ["until", "5:30"]);
    }

    #[test]
    fn the_ways_to_say_86_are_one() {
        assert_eq!(words("Eighty-six the salmon!"), ["86", "the", "salmon"]);
        assert_eq!(words("salmon's 86'd"), ["salmon", "is", "86"]);
        assert_eq!(words("what's 86'd?"), ["what", "is", "86"]);
        assert_eq!(words("un-86 the fries"), ["un86", "the", "fries"]);
        assert_eq!(
            words("we're out of fish & chips, and cola"),
            ["we", "are", "out", "of", "fish", "and", "chips", ",", "and", "cola"]
        );
    }

    #[test]
    fn plurals_and_misspellings_are_close() {
        assert_eq!(singular("fries"), "fry");
        assert_eq!(singular("tomatoes"), "tomato");
        assert_eq!(singular("shakes"), "shake");
        assert_eq!(singular("hummus"), "hummus");
        assert!(word_sim("arrabiata", "arrabbiata") > 0.9);
        assert!(word_sim("burger", "cheeseburger") > 0.8);
        assert_eq!(word_sim("cola", "coke"), 0.0);
        assert_eq!(word_sim("salmon", "lemon"), 0.0);
        assert_eq!(word_sim("tea", "pea"), 0.0);
    }
}

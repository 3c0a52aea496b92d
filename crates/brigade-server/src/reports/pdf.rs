//! A small page-flowing writer over pdf-writer: headings, text, tables and bar charts on
//! A4 pages, in the PDF base fonts (Helvetica, nothing embedded), with the restaurant's
//! name on every page and "page n of N" at its foot.

use pdf_writer::{Content, Finish, Name, Pdf, Rect, Ref, Str, TextStr};

const W: f32 = 595.0;
const H: f32 = 842.0;
const MARGIN: f32 = 48.0;
const TOP: f32 = H - 72.0;
const BOTTOM: f32 = 60.0;
const REGULAR: Name<'static> = Name(b"F1");
const BOLD: Name<'static> = Name(b"F2");

/// Helvetica's advance widths (thousandths of the size) for the printable ASCII range.
const WIDTHS: [u16; 95] = [
    278, 278, 355, 556, 556, 889, 667, 191, 333, 333, 389, 584, 278, 333, 278, 278, 556, 556, 556, 556, 556, 556, 556,
    556, 556, 556, 278, 278, 584, 584, 584, 556, 1015, 667, 667, 722, 722, 667, 611, 778, 722, 278, 500, 667, 556, 833,
    722, 778, 667, 778, 722, 667, 611, 722, 667, 944, 667, 667, 611, 278, 278, 278, 469, 556, 333, 556, 556, 500, 556,
    556, 278, 556, 556, 222, 222, 500, 222, 833, 556, 556, 556, 556, 333, 500, 278, 556, 500, 722, 500, 500, 500, 334,
    260, 334, 584,
];

/// Text in the fonts' encoding (WinAnsi): Latin-1 as is, the common typographic marks
/// mapped, anything else as `?`.
fn encode(s: &str) -> Vec<u8> {
    s.chars()
        .map(|c| match c {
            ' '..='~' => c as u8,
            '\u{a0}'..='\u{ff}' => c as u32 as u8,
            '€' => 0x80,
            '…' => 0x85,
            '•' => 0x95,
            '–' => 0x96,
            '—' => 0x97,
            '‘' => 0x91,
            '’' => 0x92,
            '“' => 0x93,
            '”' => 0x94,
            '−' => b'-',
            _ => b'?',
        })
        .collect()
}

fn width(s: &str, size: f32, bold: bool) -> f32 {
    let units: u32 = s
        .chars()
        .map(|c| match c {
            ' '..='~' => u32::from(WIDTHS[c as usize - 32]),
            _ => 556,
        })
        .sum();
    units as f32 * size / 1000.0 * if bold { 1.06 } else { 1.0 }
}

/// Cuts text to fit `max` points, with an ellipsis.
fn fit(s: &str, size: f32, max: f32) -> String {
    if width(s, size, false) <= max {
        return s.to_owned();
    }
    let mut out = String::new();
    for c in s.chars() {
        if width(&format!("{out}{c}…"), size, false) > max {
            break;
        }
        out.push(c);
    }
    out + "…"
}

/// A column of a table: its heading, width (points) and whether it is a number (right
/// aligned).
pub struct Column<'a> {
    pub title: &'a str,
    pub width: f32,
    pub number: bool,
}

pub fn col(title: &str, width: f32, number: bool) -> Column<'_> {
    Column { title, width, number }
}

pub struct Doc {
    pages: Vec<Content>,
    page: Content,
    y: f32,
    header: String,
    title: String,
}

impl Doc {
    /// A document whose pages carry `header` (the restaurant, its zone) over `title`.
    pub fn new(header: &str, title: &str) -> Doc {
        let mut d = Doc { pages: Vec::new(), page: Content::new(), y: TOP, header: header.into(), title: title.into() };
        d.start_page();
        d
    }

    fn start_page(&mut self) {
        self.y = TOP;
        let (header, title) = (self.header.clone(), self.title.clone());
        self.text_at(MARGIN, H - 40.0, &header, 9.0, false, 0.35);
        self.text_at(MARGIN, H - 58.0, &title, 14.0, true, 0.0);
        self.page.set_stroke_rgb(0.8, 0.8, 0.8).set_line_width(0.5);
        self.page.move_to(MARGIN, H - 64.0).line_to(W - MARGIN, H - 64.0).stroke();
    }

    /// Makes room for `h` points, starting a new page when this one has not got it.
    fn room(&mut self, h: f32) {
        if self.y - h < BOTTOM {
            let full = std::mem::replace(&mut self.page, Content::new());
            self.pages.push(full);
            self.start_page();
        }
    }

    fn text_at(&mut self, x: f32, y: f32, s: &str, size: f32, bold: bool, grey: f32) {
        self.page.set_fill_gray(grey);
        self.page.begin_text();
        self.page.set_font(if bold { BOLD } else { REGULAR }, size);
        self.page.next_line(x, y);
        self.page.show(Str(&encode(s)));
        self.page.end_text();
    }

    pub fn heading(&mut self, s: &str) {
        self.room(40.0);
        self.y -= 22.0;
        self.text_at(MARGIN, self.y, s, 12.0, true, 0.0);
        self.y -= 8.0;
    }

    pub fn line(&mut self, s: &str) {
        self.room(14.0);
        self.y -= 13.0;
        self.text_at(MARGIN, self.y, s, 9.5, false, 0.2);
    }

    /// A table; a heading row is repeated on each page it runs onto.
    pub fn table(&mut self, cols: &[Column<'_>], rows: &[Vec<String>]) {
        let row_h = 14.0;
        let head = |d: &mut Doc| {
            d.room(row_h * 2.0);
            d.y -= row_h;
            let mut x = MARGIN;
            for c in cols {
                let tx = if c.number { x + c.width - width(c.title, 8.5, true) - 4.0 } else { x };
                d.text_at(tx, d.y, c.title, 8.5, true, 0.3);
                x += c.width;
            }
            d.page.set_stroke_rgb(0.75, 0.75, 0.75).set_line_width(0.5);
            d.page
                .move_to(MARGIN, d.y - 4.0)
                .line_to(MARGIN + cols.iter().map(|c| c.width).sum::<f32>(), d.y - 4.0)
                .stroke();
        };
        head(self);
        for r in rows {
            if self.y - row_h < BOTTOM {
                self.room(H);
                head(self);
            }
            self.y -= row_h;
            let mut x = MARGIN;
            for (c, cell) in cols.iter().zip(r) {
                let text = fit(cell, 9.0, c.width - 6.0);
                let tx = if c.number { x + c.width - width(&text, 9.0, false) - 4.0 } else { x };
                self.text_at(tx, self.y, &text, 9.0, false, 0.0);
                x += c.width;
            }
        }
        self.y -= 6.0;
    }

    /// Vertical bars, one per label, scaled to the largest; every nth label is written.
    pub fn bars(&mut self, labels: &[String], values: &[i64], axis: impl Fn(i64) -> String) {
        let h = 150.0;
        self.room(h + 30.0);
        let top = self.y - 8.0;
        let base = top - h;
        let left = MARGIN + 50.0;
        let span = W - MARGIN - left;
        let max = values.iter().copied().max().unwrap_or(0).max(1);
        self.page.set_stroke_rgb(0.85, 0.85, 0.85).set_line_width(0.5);
        for f in [0.0, 0.5, 1.0] {
            let y = base + h * f;
            self.page.move_to(left, y).line_to(W - MARGIN, y).stroke();
            let label = axis((max as f32 * f) as i64);
            self.text_at(left - 4.0 - width(&label, 7.5, false), y - 2.5, &label, 7.5, false, 0.4);
        }
        let n = values.len().max(1) as f32;
        let bw = span / n;
        self.page.set_fill_rgb(0.04, 0.36, 0.68);
        for (i, v) in values.iter().enumerate() {
            let bh = h * (*v).max(0) as f32 / max as f32;
            self.page.rect(left + i as f32 * bw + bw * 0.12, base, (bw * 0.76).max(0.5), bh).fill_nonzero();
        }
        let step = (labels.len() / 12).max(1);
        for (i, l) in labels.iter().enumerate().filter(|(i, _)| i % step == 0) {
            let x = left + i as f32 * bw + bw / 2.0 - width(l, 7.0, false) / 2.0;
            self.text_at(x, base - 11.0, l, 7.0, false, 0.4);
        }
        self.y = base - 20.0;
    }

    /// The PDF's bytes, every page footed with `footer` and its number.
    pub fn finish(mut self, footer: &str) -> Vec<u8> {
        let last = std::mem::replace(&mut self.page, Content::new());
        self.pages.push(last);
        let total = self.pages.len();
        let mut pdf = Pdf::new();
        let catalog = Ref::new(1);
        let tree = Ref::new(2);
        let (regular, bold) = (Ref::new(3), Ref::new(4));
        let info = Ref::new(5);
        let first = 6;
        let page_ids: Vec<Ref> = (0..total).map(|i| Ref::new(first + 2 * i as i32)).collect();
        pdf.catalog(catalog).pages(tree);
        pdf.pages(tree).kids(page_ids.iter().copied()).count(total as i32);
        pdf.document_info(info).title(TextStr(&self.title)).producer(TextStr("Brigade"));
        pdf.type1_font(regular).base_font(Name(b"Helvetica")).encoding_predefined(Name(b"WinAnsiEncoding"));
        pdf.type1_font(bold).base_font(Name(b"Helvetica-Bold")).encoding_predefined(Name(b"WinAnsiEncoding"));
        let pages = std::mem::take(&mut self.pages);
        for (i, mut content) in pages.into_iter().enumerate() {
            let number = format!("Page {} of {total}", i + 1);
            for (x, s) in [(MARGIN, footer.to_owned()), (W - MARGIN - width(&number, 8.0, false), number)] {
                content.set_fill_gray(0.45);
                content.begin_text();
                content.set_font(REGULAR, 8.0);
                content.next_line(x, 32.0);
                content.show(Str(&encode(&s)));
                content.end_text();
            }
            let id = page_ids[i];
            let stream = Ref::new(id.get() + 1);
            let mut page = pdf.page(id);
            page.media_box(Rect::new(0.0, 0.0, W, H)).parent(tree).contents(stream);
            page.resources().fonts().pair(REGULAR, regular).pair(BOLD, bold);
            page.finish();
            pdf.stream(stream, &content.finish());
        }
        pdf.finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn text_is_encoded_for_the_base_fonts_and_cut_to_fit() {
        assert_eq!(encode("Café – 5 €"), b"Caf\xe9 \x96 5 \x80".to_vec());
        assert_eq!(encode("寿司"), b"??".to_vec());
        assert!((width("0000", 10.0, false) - 22.24).abs() < 0.01);
        let cut = fit("A very long item name that will not fit", 9.0, 60.0);
        assert!(cut.ends_with('…') && width(&cut, 9.0, false) <= 60.0);
    }

    #[test]
    fn a_long_table_flows_onto_numbered_pages() {
        let mut d = Doc::new("Diner · America/New_York", "Period report");
        let rows: Vec<Vec<String>> = (0..120).map(|i| vec![format!("Item {i}"), i.to_string()]).collect();
        d.table(&[col("Item", 300.0, false), col("Sold", 80.0, true)], &rows);
        let bytes = d.finish("Made by Brigade");
        let text = String::from_utf8_lossy(&bytes);
        assert!(bytes.starts_with(b"%PDF-"));
        assert!(text.contains("/Count 3"), "three pages");
        assert!(text.contains("/Helvetica-Bold"));
    }
}

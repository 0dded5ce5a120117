//! What the client prints: aligned tables, dates, QR codes. Every string
//! that came from the server passes through `clean`, so a file or link
//! title cannot smuggle terminal escape sequences onto the screen.

use std::io::IsTerminal;

use qrcode::render::unicode::Dense1x2;
use qrcode::QrCode;
use spacelinks_api_types::{format_api_date, parse_api_date};

/// Replaces control characters (ESC, CR, newlines, ...) with `?`.
pub fn clean(s: &str) -> String {
    s.chars().map(|c| if c.is_control() { '?' } else { c }).collect()
}

/// Shortens `s` to at most `max` characters, marking the cut with `…`.
pub fn truncate(s: &str, max: usize) -> String {
    if s.chars().count() <= max {
        return s.to_string();
    }
    let mut out: String = s.chars().take(max.saturating_sub(1)).collect();
    out.push('…');
    out
}

/// Columns separated by two spaces, padded to the widest cell; the last
/// column is not padded. `right` lists the columns aligned to the right.
pub fn table(headers: &[&str], rows: &[Vec<String>], right: &[usize]) -> String {
    let mut widths: Vec<usize> = headers.iter().map(|h| h.chars().count()).collect();
    for row in rows {
        for (i, cell) in row.iter().enumerate() {
            widths[i] = widths[i].max(cell.chars().count());
        }
    }
    let header: Vec<String> = headers.iter().map(|h| h.to_string()).collect();
    let mut out = String::new();
    for row in std::iter::once(&header).chain(rows) {
        let last = row.len().saturating_sub(1);
        let mut line = String::new();
        for (i, cell) in row.iter().enumerate() {
            if i > 0 {
                line.push_str("  ");
            }
            let pad = " ".repeat(widths[i] - cell.chars().count());
            if right.contains(&i) {
                line.push_str(&pad);
                line.push_str(cell);
            } else {
                line.push_str(cell);
                if i != last {
                    line.push_str(&pad);
                }
            }
        }
        out.push_str(line.trim_end());
        out.push('\n');
    }
    out
}

pub fn yes_no(b: bool) -> String {
    if b { "yes" } else { "no" }.to_string()
}

/// An `ApiDateTime` (any offset) as `2026-12-31 23:59 UTC`; the raw text
/// when it does not parse.
pub fn show_date(api_date: &str) -> String {
    match parse_api_date(api_date) {
        Some(micros) => {
            let s = format_api_date(micros);
            format!("{} {} UTC", &s[..10], &s[11..16])
        }
        None => clean(api_date),
    }
}

/// The QR code of `text` in Unicode half blocks (two modules per character
/// cell), with the standard four-module quiet zone. Light modules are drawn
/// as blocks, like `qrencode -t UTF8`, which suits the usual light-on-dark
/// terminal; on a terminal (and unless NO_COLOR is set) each line is also
/// painted white on black so the code scans on light themes too.
pub fn qr_code(text: &str, color: bool) -> Result<String, String> {
    let code = QrCode::new(text.as_bytes()).map_err(|e| format!("cannot make a QR code: {e}"))?;
    let art =
        code.render::<Dense1x2>().dark_color(Dense1x2::Light).light_color(Dense1x2::Dark).quiet_zone(true).build();
    let mut out = String::new();
    for line in art.lines() {
        if color {
            out.push_str("\x1b[97;40m");
            out.push_str(line);
            out.push_str("\x1b[0m\n");
        } else {
            out.push_str(line);
            out.push('\n');
        }
    }
    Ok(out)
}

/// Whether stdout is a terminal that accepts colours.
pub fn stdout_color() -> bool {
    std::io::stdout().is_terminal() && std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tables_align_and_clean() {
        let rows = vec![
            vec!["file".to_string(), "7".to_string(), "a.txt".to_string()],
            vec!["folder".to_string(), "1234".to_string(), "b".to_string()],
        ];
        assert_eq!(
            table(&["TYPE", "SIZE", "TITLE"], &rows, &[1]),
            "TYPE    SIZE  TITLE\nfile       7  a.txt\nfolder  1234  b\n"
        );
        assert_eq!(clean("a\x1b[31mb\n"), "a?[31mb?");
        assert_eq!(truncate("abcdef", 4), "abc…");
        assert_eq!(truncate("abc", 4), "abc");
    }

    #[test]
    fn dates_show_in_utc() {
        assert_eq!(show_date("2030-01-01T03:00:00.0000000+03:00"), "2030-01-01 00:00 UTC");
        assert_eq!(show_date("2026-12-31T23:59:59.0000000Z"), "2026-12-31 23:59 UTC");
        assert_eq!(show_date("soon"), "soon");
    }

    /// Reads the half blocks back into modules and compares them with the
    /// encoder's own matrix: the drawing is the code, quiet zone included.
    #[test]
    fn qr_blocks_are_the_code() {
        let url = "http://127.0.0.1:8080/s/Xk3pQ9mR2vT7wLb";
        let art = qr_code(url, false).unwrap();
        let code = QrCode::new(url.as_bytes()).unwrap();
        let n = code.width();
        let size = n + 8;
        let mut light = vec![vec![true; size]; size + 1];
        for (row, line) in art.lines().enumerate() {
            assert_eq!(line.chars().count(), size);
            for (x, c) in line.chars().enumerate() {
                let (top, bottom) = match c {
                    '█' => (true, true),
                    '▀' => (true, false),
                    '▄' => (false, true),
                    ' ' => (false, false),
                    other => panic!("unexpected {other:?}"),
                };
                light[2 * row][x] = top;
                light[2 * row + 1][x] = bottom;
            }
        }
        let colors = code.to_colors();
        for y in 0..size {
            for x in 0..size {
                let inside = (4..4 + n).contains(&x) && (4..4 + n).contains(&y);
                let want_light = !inside || colors[(y - 4) * n + (x - 4)] == qrcode::Color::Light;
                assert_eq!(light[y][x], want_light, "module {x},{y}");
            }
        }
        let colored = qr_code(url, true).unwrap();
        assert!(colored.lines().all(|l| l.starts_with("\x1b[97;40m") && l.ends_with("\x1b[0m")));
    }
}

//! The one check every title goes through (files, folders, uploads' file
//! names, links): characters that hide or reorder what a reader sees are
//! refused. U+202E turns `invoice_fdp.exe` into what looks like
//! `invoice_exe.pdf`; NUL is refused by PostgreSQL's text type.

use crate::{Error, Result};

/// Bidirectional formatting characters: embeddings and overrides
/// (U+202A–U+202E), isolates (U+2066–U+2069), the marks U+200E/U+200F and
/// the Arabic letter mark U+061C.
fn is_bidi_control(c: char) -> bool {
    matches!(c, '\u{202A}'..='\u{202E}' | '\u{2066}'..='\u{2069}' | '\u{200E}' | '\u{200F}' | '\u{061C}')
}

/// The first character a title may not contain, if any: C0 and C1 control
/// characters (including DEL) and bidirectional controls.
pub fn forbidden_char(title: &str) -> Option<char> {
    title.chars().find(|&c| c.is_control() || is_bidi_control(c))
}

/// Refuses a title with a forbidden character, naming it: 400.
pub fn check_title_chars(field: &str, title: &str) -> Result<()> {
    match forbidden_char(title) {
        None => Ok(()),
        Some(c) => Err(Error::BadRequest(format!(
            "{field} must not contain control or bidirectional formatting characters (found U+{:04X})",
            c as u32
        ))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn refuses_controls_and_bidi_formatting() {
        for bad in [
            "a\u{0}b",
            "tab\there",
            "line\n",
            "del\u{7f}",
            "c1\u{85}",
            "c1\u{9f}",
            "fdp.\u{202E}exe",
            "\u{2066}x",
            "\u{200F}",
            "\u{061C}",
        ] {
            assert!(check_title_chars("title", bad).is_err(), "{bad:?}");
        }
        let e = check_title_chars("title", "invoice\u{202E}fdp.exe").unwrap_err().to_string();
        assert!(e.contains("U+202E"), "{e}");
    }

    #[test]
    fn accepts_ordinary_text_in_any_script() {
        for ok in ["report.pdf", "Отчёт 2024.docx", "تقرير.pdf", "报告 (1).xlsx", "emoji 🎉.txt", "zero\u{200B}width"]
        {
            assert!(check_title_chars("title", ok).is_ok(), "{ok:?}");
        }
    }
}

//! The one check every title goes through (files, folders, uploads' file
//! names, links): characters that hide or reorder what a reader sees are
//! refused. U+202E turns `invoice_fdp.exe` into what looks like
//! `invoice_exe.pdf`; NUL is refused by PostgreSQL's text type.

use spacelinks_api_types::FileType;

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

/// The title of a new empty file (`POST .../file`), as DocSpace makes it:
/// unless `keep_extension` (the request's `enableExternalExt`), a known
/// document, spreadsheet or presentation extension becomes the editor's
/// format (`x.txt` → `x.docx`, `x.csv` → `x.xlsx`, `x.odp` → `x.pptx`), and
/// any other or missing extension gets `.docx` appended. PDF stays PDF.
pub fn new_file_title(title: &str, keep_extension: bool) -> String {
    let ext = crate::extension_of(title);
    if keep_extension && !ext.is_empty() {
        return title.to_string();
    }
    let stem = &title[..title.len() - ext.len()];
    match FileType::from_extension(&ext) {
        FileType::Document => format!("{stem}.docx"),
        FileType::Spreadsheet => format!("{stem}.xlsx"),
        FileType::Presentation => format!("{stem}.pptx"),
        FileType::Pdf => title.to_string(),
        _ => format!("{title}.docx"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn new_files_take_the_editor_format_unless_told_otherwise() {
        for (title, keep, want) in [
            ("Doc", false, "Doc.docx"),
            ("Doc.docx", false, "Doc.docx"),
            ("Doc.txt", false, "Doc.docx"),
            ("Doc.TXT", false, "Doc.docx"),
            ("Sheet.csv", false, "Sheet.xlsx"),
            ("Slides.odp", false, "Slides.pptx"),
            ("Form.pdf", false, "Form.pdf"),
            ("v1.2 notes", false, "v1.2 notes.docx"),
            ("Doc.txt", true, "Doc.txt"),
            ("Doc.md", true, "Doc.md"),
            ("Doc", true, "Doc.docx"),
        ] {
            assert_eq!(new_file_title(title, keep), want, "{title} {keep}");
        }
    }

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

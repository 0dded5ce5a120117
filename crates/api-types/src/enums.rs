//! Enum numbers and names exactly as DocSpace puts them on the wire.

use serde::{Serialize, Serializer};

/// `FileShare`: written as a number; accepted as a number, a name (any case)
/// or one of our aliases (`view`, `edit`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum FileShare {
    None = 0,
    ReadWrite = 1,
    Read = 2,
    Restrict = 3,
    Varies = 4,
    Review = 5,
    Comment = 6,
    FillForms = 7,
    CustomFilter = 8,
    RoomManager = 9,
    Editing = 10,
    ContentCreator = 11,
}

const ALL_SHARES: [FileShare; 12] = [
    FileShare::None,
    FileShare::ReadWrite,
    FileShare::Read,
    FileShare::Restrict,
    FileShare::Varies,
    FileShare::Review,
    FileShare::Comment,
    FileShare::FillForms,
    FileShare::CustomFilter,
    FileShare::RoomManager,
    FileShare::Editing,
    FileShare::ContentCreator,
];

impl FileShare {
    pub fn from_i64(n: i64) -> Option<Self> {
        ALL_SHARES.iter().copied().find(|s| *s as i64 == n)
    }

    pub fn name(self) -> &'static str {
        match self {
            Self::None => "None",
            Self::ReadWrite => "ReadWrite",
            Self::Read => "Read",
            Self::Restrict => "Restrict",
            Self::Varies => "Varies",
            Self::Review => "Review",
            Self::Comment => "Comment",
            Self::FillForms => "FillForms",
            Self::CustomFilter => "CustomFilter",
            Self::RoomManager => "RoomManager",
            Self::Editing => "Editing",
            Self::ContentCreator => "ContentCreator",
        }
    }

    /// Parses a name case-insensitively, a numeric string, or the aliases
    /// `view` (= Read) and `edit` (= Editing) that the seed's example uses.
    pub fn parse_name(s: &str) -> Option<Self> {
        let s = s.trim();
        if let Ok(n) = s.parse::<i64>() {
            return Self::from_i64(n);
        }
        match s.to_ascii_lowercase().as_str() {
            "view" => return Some(Self::Read),
            "edit" => return Some(Self::Editing),
            _ => {}
        }
        ALL_SHARES.iter().copied().find(|v| v.name().eq_ignore_ascii_case(s))
    }

    /// The message listing what `access` accepts, used for every bad value.
    pub fn accepted_values_message() -> String {
        let names: Vec<String> = ALL_SHARES.iter().map(|s| format!("{} ({})", s.name(), *s as i64)).collect();
        format!("access must be one of: {}; or the aliases \"view\" (Read) and \"edit\" (Editing)", names.join(", "))
    }
}

impl Serialize for FileShare {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_i64(*self as i64)
    }
}

/// `EmployeeType`: the one enum DocSpace writes as a name.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub enum UserType {
    RoomAdmin,
    Guest,
    DocSpaceAdmin,
    User,
}

impl UserType {
    pub fn parse(s: &str) -> Option<Self> {
        match s.trim().to_ascii_lowercase().as_str() {
            "roomadmin" | "1" => Some(Self::RoomAdmin),
            "guest" | "2" => Some(Self::Guest),
            "docspaceadmin" | "3" => Some(Self::DocSpaceAdmin),
            "user" | "4" => Some(Self::User),
            _ => None,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Self::RoomAdmin => "RoomAdmin",
            Self::Guest => "Guest",
            Self::DocSpaceAdmin => "DocSpaceAdmin",
            Self::User => "User",
        }
    }
}

/// `FileType` numbers, derived from the extension.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FileType {
    Unknown = 0,
    Archive = 1,
    Video = 2,
    Audio = 3,
    Image = 4,
    Spreadsheet = 5,
    Presentation = 6,
    Document = 7,
    Pdf = 10,
}

impl FileType {
    pub fn from_extension(ext: &str) -> Self {
        match ext.trim_start_matches('.').to_ascii_lowercase().as_str() {
            "zip" | "rar" | "7z" | "tar" | "gz" | "tgz" | "bz2" | "xz" => Self::Archive,
            "mp4" | "webm" | "mov" | "mkv" | "avi" | "m4v" | "ogv" => Self::Video,
            "mp3" | "wav" | "ogg" | "oga" | "flac" | "m4a" | "aac" | "opus" => Self::Audio,
            "png" | "jpg" | "jpeg" | "gif" | "webp" | "bmp" | "svg" | "ico" | "avif" => Self::Image,
            "xlsx" | "xls" | "ods" | "csv" | "xlsm" => Self::Spreadsheet,
            "pptx" | "ppt" | "odp" => Self::Presentation,
            "docx" | "doc" | "odt" | "rtf" | "txt" | "md" | "html" | "htm" | "json" | "xml" | "log" => Self::Document,
            "pdf" => Self::Pdf,
            _ => Self::Unknown,
        }
    }

    /// Formats an online editor would open; DocSpace allows Comment, Review
    /// and Editing links only on these.
    pub fn is_document_like(self) -> bool {
        matches!(self, Self::Spreadsheet | Self::Presentation | Self::Document | Self::Pdf)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_names_numbers_and_aliases() {
        assert_eq!(FileShare::parse_name("Read"), Some(FileShare::Read));
        assert_eq!(FileShare::parse_name("editing"), Some(FileShare::Editing));
        assert_eq!(FileShare::parse_name("view"), Some(FileShare::Read));
        assert_eq!(FileShare::parse_name("EDIT"), Some(FileShare::Editing));
        assert_eq!(FileShare::parse_name("10"), Some(FileShare::Editing));
        assert_eq!(FileShare::parse_name("reader"), None);
        assert_eq!(FileShare::from_i64(99), None);
        assert_eq!(serde_json::to_string(&FileShare::Comment).unwrap(), "6");
    }
}

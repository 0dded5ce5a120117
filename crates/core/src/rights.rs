//! What a caller may do with a file: the `security` flags of a FileDto for
//! the owner and for a link visitor (DocSpace's table for files in My
//! Documents), and the share rights offered for links.

use spacelinks_api_types::dto::{Flags, ShareRights};
use spacelinks_api_types::{FileShare, FileType};

use crate::links::allowed_link_access;

/// How the caller reached the file.
#[derive(Debug, Clone, Copy)]
pub enum Viewer {
    Owner,
    /// Through an external link that validated.
    Link {
        access: FileShare,
        deny_download: bool,
        authenticated: bool,
    },
    /// A signed-in user the owner shared the file with, at this access.
    Person {
        access: FileShare,
    },
}

/// The 27 file actions in DocSpace's order.
const FILE_ACTIONS: [&str; 27] = [
    "Read",
    "Comment",
    "FillForms",
    "Review",
    "Edit",
    "Delete",
    "CustomFilter",
    "Rename",
    "ReadHistory",
    "Lock",
    "EditHistory",
    "Copy",
    "Move",
    "Duplicate",
    "SubmitToFormGallery",
    "Download",
    "Convert",
    "CreateRoomFrom",
    "CopyLink",
    "Embed",
    "StartFilling",
    "FillingStatus",
    "ResetFilling",
    "StopFilling",
    "OpenForm",
    "Vectorization",
    "AskAi",
];

impl Viewer {
    pub fn security(self) -> Flags {
        Flags(FILE_ACTIONS.iter().map(|a| (*a, self.can(a))).collect())
    }

    pub fn can(self, action: &str) -> bool {
        match self {
            // Form and AI features do not exist in spacelinks.
            Viewer::Owner => !matches!(
                action,
                "FillForms"
                    | "SubmitToFormGallery"
                    | "StartFilling"
                    | "FillingStatus"
                    | "ResetFilling"
                    | "StopFilling"
                    | "OpenForm"
                    | "Vectorization"
                    | "AskAi"
                    | "Convert"
                    | "CreateRoomFrom"
            ),
            Viewer::Link { access, deny_download, authenticated } => {
                use FileShare::*;
                match action {
                    "Read" | "CopyLink" => true,
                    "Comment" => matches!(access, Comment | Review | Editing),
                    "Review" => matches!(access, Review | Editing),
                    "Edit" | "CustomFilter" => access == Editing,
                    "ReadHistory" => authenticated,
                    "EditHistory" => authenticated && access == Editing,
                    "Download" => !deny_download,
                    "Copy" => authenticated && !deny_download,
                    _ => false,
                }
            }
            // As a signed-in link visitor who may download: reading,
            // downloading and copying for all, editing at Editing only; no
            // deleting, renaming, locking or sharing further.
            Viewer::Person { access } => {
                Viewer::Link { access, deny_download: false, authenticated: true }.can(action) && action != "CopyLink"
            }
        }
    }

    /// DocSpace's "HACK: for client": the owner's own items report 0.
    pub fn access(self) -> FileShare {
        match self {
            Viewer::Owner => FileShare::None,
            Viewer::Link { access, .. } | Viewer::Person { access } => access,
        }
    }
}

/// The best of the accesses a person holds on a file (their own share and
/// their groups'), as DocSpace ranks them: Editing, then Review, Comment,
/// Read. A value that grants nothing (None, Restrict) counts for nothing.
pub fn best_access(accesses: impl IntoIterator<Item = FileShare>) -> Option<FileShare> {
    fn rank(a: FileShare) -> Option<u8> {
        match a {
            FileShare::Editing => Some(4),
            FileShare::Review => Some(3),
            FileShare::Comment => Some(2),
            FileShare::Read => Some(1),
            _ => None,
        }
    }
    accesses.into_iter().filter_map(|a| rank(a).map(|r| (r, a))).max_by_key(|(r, _)| *r).map(|(_, a)| a)
}

/// `availableShareRights` of a file: the access names links may carry.
pub fn share_rights(file_type: FileType) -> ShareRights {
    let mut names: Vec<&'static str> = allowed_link_access(file_type).iter().map(|a| a.name()).collect();
    names.push(FileShare::None.name());
    ShareRights(vec![("ExternalLink", names.clone()), ("PrimaryExternalLink", names)])
}

/// `viewAccessibility`: which built-in viewers apply. spacelinks previews
/// images, media, PDF and text in its share page.
pub fn view_accessibility(file_type: FileType) -> Flags {
    let image = file_type == FileType::Image;
    let media = matches!(file_type, FileType::Audio | FileType::Video);
    let web = file_type.is_document_like();
    Flags(vec![
        ("ImageView", image),
        ("MediaView", media),
        ("WebView", web),
        ("WebEdit", false),
        ("WebReview", false),
        ("WebCustomFilterEditing", false),
        ("WebRestrictedEditing", false),
        ("WebComment", false),
        ("CanConvert", false),
        ("MustConvert", false),
    ])
}

#[cfg(test)]
mod tests {
    use super::*;

    fn link(access: FileShare, dd: bool, auth: bool) -> Viewer {
        Viewer::Link { access, deny_download: dd, authenticated: auth }
    }

    #[test]
    fn read_link_grants_read_and_download_only() {
        let s = link(FileShare::Read, false, false).security();
        assert_eq!(s.0.len(), 27);
        assert_eq!(s.get("Read"), Some(true));
        assert_eq!(s.get("Download"), Some(true));
        for a in ["Comment", "Review", "Edit", "Delete", "Copy", "Rename", "ReadHistory"] {
            assert_eq!(s.get(a), Some(false), "{a}");
        }
    }

    #[test]
    fn levels_grant_per_docspace_table() {
        let c = link(FileShare::Comment, false, false);
        assert!(c.can("Comment") && !c.can("Review") && !c.can("Edit"));
        let r = link(FileShare::Review, false, false);
        assert!(r.can("Comment") && r.can("Review") && !r.can("Edit"));
        let e = link(FileShare::Editing, false, true);
        assert!(e.can("Edit") && e.can("EditHistory") && e.can("Copy") && !e.can("Delete"));
    }

    #[test]
    fn deny_download_removes_download_and_copy() {
        let s = link(FileShare::Editing, true, true);
        assert!(!s.can("Download") && !s.can("Copy") && s.can("Edit"));
        assert!(Viewer::Owner.can("Download") && Viewer::Owner.can("Delete"));
    }

    #[test]
    fn the_best_of_own_and_group_access_wins() {
        use FileShare::*;
        assert_eq!(best_access([Read, Editing, Comment]), Some(Editing));
        assert_eq!(best_access([Comment, Review]), Some(Review));
        assert_eq!(best_access([Read, Comment]), Some(Comment));
        assert_eq!(best_access([None, Restrict]), Option::None);
        assert_eq!(best_access([]), Option::None);
    }

    #[test]
    fn people_read_and_download_and_edit_at_editing_only() {
        let r = Viewer::Person { access: FileShare::Read };
        assert!(r.can("Read") && r.can("Download") && !r.can("Edit") && !r.can("Delete") && !r.can("CopyLink"));
        let e = Viewer::Person { access: FileShare::Editing };
        assert!(e.can("Edit") && e.can("Download") && !e.can("Rename") && !e.can("Lock"));
    }
}

//! DocSpace's `WebhookTrigger` bits and names, in DocSpace's `Order`, and
//! spacelinks' link triggers on bits above DocSpace's (2^40 up).

use spacelinks_api_types::UserType;

/// Declares the triggers once: the enum and, in the same order (the order
/// `GET settings/webhook/triggers` lists them), `ALL_TRIGGERS`.
macro_rules! triggers {
    ($($name:ident),* $(,)?) => {
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
        pub enum Trigger {
            $($name),*
        }

        /// Every trigger, in DocSpace's order, spacelinks' own last.
        pub const ALL_TRIGGERS: &[Trigger] = &[$(Trigger::$name),*];
    };
}

triggers!(
    All,
    UserCreated,
    UserInvited,
    UserUpdated,
    UserDeleted,
    GroupCreated,
    GroupUpdated,
    GroupDeleted,
    FileCreated,
    FileUploaded,
    FileUpdated,
    FileTrashed,
    FileDeleted,
    FileRestored,
    FileCopied,
    FileMoved,
    FileDownloaded,
    FolderCreated,
    FolderUpdated,
    FolderTrashed,
    FolderDeleted,
    FolderRestored,
    FolderCopied,
    FolderMoved,
    FolderDownloaded,
    RoomCreated,
    RoomUpdated,
    RoomArchived,
    RoomDeleted,
    RoomRestored,
    RoomCopied,
    FormSubmit,
    FormFilledOut,
    FormStopped,
    AgentCreated,
    AgentUpdated,
    AgentDeleted,
    LinkOpened,
    LinkPasswordFailed,
    LinkLockedOut,
    LinkUsedUp,
);

/// Who may subscribe to a trigger, by `EmployeeType` (DocSpace: A, R, U).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Roles {
    /// DocSpace admins and room admins.
    Ar,
    /// Everyone but guests.
    Aru,
}

use Trigger::*;

impl Trigger {
    fn def(self) -> (&'static str, i64, Roles) {
        use Roles::*;
        match self {
            All => ("*", 0, Aru),
            UserCreated => ("user.created", 1, Ar),
            UserInvited => ("user.invited", 2, Ar),
            UserUpdated => ("user.updated", 4, Aru),
            UserDeleted => ("user.deleted", 8, Aru),
            GroupCreated => ("group.created", 16, Ar),
            GroupUpdated => ("group.updated", 32, Ar),
            GroupDeleted => ("group.deleted", 64, Ar),
            FileCreated => ("file.created", 1 << 7, Aru),
            FileUploaded => ("file.uploaded", 1 << 8, Aru),
            FileUpdated => ("file.updated", 1 << 9, Aru),
            FileTrashed => ("file.trashed", 1 << 10, Aru),
            FileDeleted => ("file.deleted", 1 << 11, Aru),
            FileRestored => ("file.restored", 1 << 12, Aru),
            FileCopied => ("file.copied", 1 << 13, Aru),
            FileMoved => ("file.moved", 1 << 14, Aru),
            FileDownloaded => ("file.downloaded", 1 << 34, Aru),
            FolderCreated => ("folder.created", 1 << 15, Aru),
            FolderUpdated => ("folder.updated", 1 << 16, Aru),
            FolderTrashed => ("folder.trashed", 1 << 17, Aru),
            FolderDeleted => ("folder.deleted", 1 << 18, Aru),
            FolderRestored => ("folder.restored", 1 << 19, Aru),
            FolderCopied => ("folder.copied", 1 << 20, Aru),
            FolderMoved => ("folder.moved", 1 << 21, Aru),
            FolderDownloaded => ("folder.downloaded", 1 << 35, Aru),
            RoomCreated => ("room.created", 1 << 22, Ar),
            RoomUpdated => ("room.updated", 1 << 23, Aru),
            RoomArchived => ("room.archived", 1 << 24, Aru),
            RoomDeleted => ("room.deleted", 1 << 25, Aru),
            RoomRestored => ("room.restored", 1 << 26, Aru),
            RoomCopied => ("room.copied", 1 << 27, Ar),
            FormSubmit => ("form.submit", 1 << 28, Aru),
            FormFilledOut => ("form.filled.out", 1 << 29, Aru),
            FormStopped => ("form.stopped", 1 << 30, Aru),
            AgentCreated => ("agent.created", 1 << 31, Ar),
            AgentUpdated => ("agent.updated", 1 << 32, Aru),
            AgentDeleted => ("agent.deleted", 1 << 33, Aru),
            // spacelinks only: above DocSpace's highest bit (2^35), below
            // 2^53 so that JavaScript reads the bitmask exactly.
            LinkOpened => ("link.opened", 1 << 40, Aru),
            LinkPasswordFailed => ("link.passwordFailed", 1 << 41, Aru),
            LinkLockedOut => ("link.lockedOut", 1 << 42, Aru),
            LinkUsedUp => ("link.usedUp", 1 << 43, Aru),
        }
    }

    /// The wire name (DocSpace's `[Description]`).
    pub fn name(self) -> &'static str {
        self.def().0
    }

    /// The bit (`triggerId`, and the value in a config's `triggers`).
    pub fn bit(self) -> i64 {
        self.def().1
    }

    pub fn from_bit(bit: i64) -> Option<Trigger> {
        ALL_TRIGGERS.iter().copied().find(|t| t.bit() == bit)
    }

    /// Whether a user of this type may subscribe to it. Guests get none.
    pub fn available_to(self, user_type: UserType) -> bool {
        match user_type {
            UserType::Guest => false,
            UserType::DocSpaceAdmin | UserType::RoomAdmin => true,
            UserType::User => self.def().2 == Roles::Aru,
        }
    }
}

/// The names a config's bitmask subscribes to, in bit order; `["*"]` for 0.
pub fn subscribed_names(mask: i64) -> Vec<&'static str> {
    if mask == 0 {
        return vec![All.name()];
    }
    let mut named: Vec<Trigger> =
        ALL_TRIGGERS.iter().copied().filter(|t| t.bit() != 0 && mask & t.bit() != 0).collect();
    named.sort_by_key(|t| t.bit());
    named.into_iter().map(Trigger::name).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bits_are_distinct_single_flags() {
        let mut seen = std::collections::HashSet::new();
        for t in ALL_TRIGGERS {
            assert!(seen.insert(t.bit()), "{t:?} reuses a bit");
            assert!(t.bit() == 0 || t.bit().count_ones() == 1, "{t:?}");
            assert!(t.bit() < 1 << 53);
        }
        assert_eq!(Trigger::from_bit(17179869184), Some(FileDownloaded));
        assert_eq!(subscribed_names(0), ["*"]);
        assert_eq!(
            subscribed_names((1 << 34) | (1 << 35) | 128),
            ["file.created", "file.downloaded", "folder.downloaded"]
        );
        assert!(!UserCreated.available_to(UserType::User));
        assert!(LinkOpened.available_to(UserType::User));
        assert!(!FileCreated.available_to(UserType::Guest));
    }
}

//! Domain errors. Each variant maps to exactly one HTTP status in the server.

#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// 400: the request was understood but a value breaks a rule.
    #[error("{0}")]
    BadRequest(String),
    /// 401: no or invalid credentials where a user is required.
    #[error("unauthorized")]
    Unauthorized,
    /// 403 with a specific message.
    #[error("{0}")]
    Forbidden(String),
    /// 404 with a specific message.
    #[error("{0}")]
    NotFound(String),
    /// 413: an upload over the configured limit.
    #[error("{0}")]
    TooLarge(String),
    /// 429: too many attempts; retry after this many seconds.
    #[error("too many attempts")]
    TooManyAttempts { retry_after_secs: i64 },
    /// 500: logged with its cause, never shown to the client.
    #[error("internal error: {0}")]
    Internal(String),
}

pub type Result<T, E = Error> = std::result::Result<T, E>;

impl Error {
    pub fn internal(e: impl std::fmt::Display) -> Self {
        Error::Internal(e.to_string())
    }
    pub fn access_denied() -> Self {
        Error::Forbidden("Access denied".into())
    }
    /// DocSpace's refusal of an operation on someone else's item (changing
    /// its links, renaming, ordering, locking): an `InvalidOperationException`
    /// whose message survives, unlike a `SecurityException`'s "Access denied".
    pub fn cannot_perform() -> Self {
        Error::Forbidden("You don't have enough permission to perform the operation".into())
    }
    /// DocSpace's `ErrorMessage_SecurityException_EditFile`.
    pub fn edit_file_denied() -> Self {
        Error::Forbidden("You do not have enough permissions to edit the file".into())
    }
    pub fn file_not_found() -> Self {
        Error::NotFound("The required file was not found".into())
    }
    pub fn folder_not_found() -> Self {
        Error::NotFound("The required folder was not found".into())
    }
    /// What DocSpace's link routes say for a missing file.
    pub fn item_not_found() -> Self {
        Error::NotFound("Item not found".into())
    }
    pub fn cannot_read_file() -> Self {
        Error::Forbidden("You don't have enough permission to view the file".into())
    }
}

impl From<spacelinks_api_types::FieldError> for Error {
    fn from(e: spacelinks_api_types::FieldError) -> Self {
        Error::BadRequest(e.0)
    }
}

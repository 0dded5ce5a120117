//! Client errors: a message a person can act on, and the exit code a script
//! can branch on. The codes are part of the command-line contract and are
//! listed in `spacelinks --help` (see `EXIT_CODES_HELP`).

use std::fmt;
use std::process::ExitCode;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Exit {
    /// Anything else: a server failure (5xx), an unexpected answer, local I/O.
    Other = 1,
    /// The command line or the configuration is wrong (clap uses 2 as well).
    Usage = 2,
    /// The server refused the API key (401).
    Auth = 3,
    /// The file, folder or link does not exist (404).
    NotFound = 4,
    /// The server refused the request: 403, or a 400 validation message.
    Refused = 5,
    /// The server could not be reached.
    Network = 6,
}

pub const EXIT_CODES_HELP: &str = "\
Exit codes:
  0  success
  1  other error: the server failed (5xx), gave an unexpected answer, or a local file could not be read or written
  2  usage: invalid command line or option value, missing --url or --api-key
  3  the API key was refused (HTTP 401)
  4  not found (HTTP 404): no such file, folder or link
  5  refused by the server, with its message: forbidden (403), invalid (400) or another 4xx (413, 429)
  6  network: the server cannot be reached";

#[derive(Debug)]
pub struct CliError {
    pub exit: Exit,
    pub message: String,
}

impl CliError {
    pub fn new(exit: Exit, message: impl Into<String>) -> Self {
        CliError { exit, message: message.into() }
    }

    pub fn usage(message: impl Into<String>) -> Self {
        Self::new(Exit::Usage, message)
    }

    pub fn other(message: impl Into<String>) -> Self {
        Self::new(Exit::Other, message)
    }

    /// Prefixes the message with what was being done, keeping the exit code.
    pub fn context(self, what: impl fmt::Display) -> Self {
        CliError { exit: self.exit, message: format!("{what}: {}", self.message) }
    }

    pub fn exit_code(&self) -> ExitCode {
        ExitCode::from(self.exit as u8)
    }
}

impl fmt::Display for CliError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

pub type CliResult<T = ()> = Result<T, CliError>;

/// `err` and each of its causes, joined: reqwest's own message alone
/// ("error sending request") does not say what went wrong.
pub fn error_chain(err: &dyn std::error::Error) -> String {
    let mut out = err.to_string();
    let mut source = err.source();
    while let Some(e) = source {
        let s = e.to_string();
        if !out.contains(&s) {
            out.push_str(": ");
            out.push_str(&s);
        }
        source = e.source();
    }
    out
}

//! What can go wrong for the client.

use std::fmt;

/// A failed request.
#[derive(Debug)]
#[non_exhaustive]
pub enum ClientError {
    /// The server answered with a problem.
    Problem {
        /// The HTTP status.
        status: u16,
        /// The problem's stable code (`rejected`, `batch_conflict`, …).
        code: String,
        /// What the server said.
        detail: String,
        /// The whole problem document.
        body: serde_json::Value,
    },
    /// The request did not get an answer (connection refused, reset, timed out).
    Transport(String),
    /// The answer is not what the protocol says, or a local step failed.
    Protocol(String),
}

impl ClientError {
    /// The problem code, if the server answered with a problem.
    pub fn code(&self) -> Option<&str> {
        match self {
            ClientError::Problem { code, .. } => Some(code),
            _ => None,
        }
    }

    /// Whether trying the same request again may succeed.
    pub fn is_retryable(&self) -> bool {
        match self {
            ClientError::Problem { status, .. } => matches!(status, 408 | 429 | 500..=599),
            ClientError::Transport(_) => true,
            ClientError::Protocol(_) => false,
        }
    }
}

impl fmt::Display for ClientError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ClientError::Problem { status, code, detail, .. } => write!(f, "{status} {code}: {detail}"),
            ClientError::Transport(e) => write!(f, "no answer from the server: {e}"),
            ClientError::Protocol(e) => write!(f, "{e}"),
        }
    }
}

impl std::error::Error for ClientError {}

//! What a client may make the server hold: body sizes and how long a
//! request body may stall. (The header-read timeout and the bounded
//! shutdown live in `app::serve_until`, the request timeout in
//! `app::router`.)

use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::Duration;

use axum::body::{Body, Bytes};
use axum::extract::{Request, State};
use axum::middleware::Next;
use axum::response::Response;
use http_body::{Body as HttpBody, Frame, SizeHint};
use tokio::time::{Instant, Sleep};

use crate::app::AppState;

/// Every route but the uploads reads at most this much: logins, passwords
/// and link settings are small, and nothing is parsed before the limit.
pub const SMALL_BODY_LIMIT: usize = 64 * 1024;

/// On upload routes: a body that sends nothing for `body_idle_timeout` ends
/// in an error, which ends the request (and the connection).
pub async fn idle_body_timeout(State(state): State<AppState>, req: Request, next: Next) -> Response {
    let idle = state.config.body_idle_timeout;
    let (parts, body) = req.into_parts();
    let body = Body::new(IdleTimeoutBody { inner: body, idle, timer: Box::pin(tokio::time::sleep(idle)) });
    next.run(Request::from_parts(parts, body)).await
}

struct IdleTimeoutBody {
    inner: Body,
    idle: Duration,
    timer: Pin<Box<Sleep>>,
}

#[derive(Debug, thiserror::Error)]
#[error("no data received for {0:?}")]
struct Stalled(Duration);

impl HttpBody for IdleTimeoutBody {
    type Data = Bytes;
    type Error = axum::Error;

    fn poll_frame(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Result<Frame<Bytes>, axum::Error>>> {
        let this = self.get_mut();
        match Pin::new(&mut this.inner).poll_frame(cx) {
            Poll::Ready(frame) => {
                this.timer.as_mut().reset(Instant::now() + this.idle);
                Poll::Ready(frame)
            }
            Poll::Pending if this.timer.as_mut().poll(cx).is_ready() => {
                Poll::Ready(Some(Err(axum::Error::new(Stalled(this.idle)))))
            }
            Poll::Pending => Poll::Pending,
        }
    }

    fn is_end_stream(&self) -> bool {
        self.inner.is_end_stream()
    }

    fn size_hint(&self) -> SizeHint {
        self.inner.size_hint()
    }
}

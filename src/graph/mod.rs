//! Talking to Microsoft: tokens, throttle classes, retries, paging, `$batch`, Exchange admin API.
//!
//! Our own thin client over `reqwest` (rustls) and `serde`, with `oauth2` for the token
//! request and `governor` for the limiters. The auditor's first duty is to never return a
//! partial tenant as if it were whole: every page either arrives, or the source fails with a
//! typed error that says which request, which status and which permission (README,
//! "Dépendances", says why no Graph SDK is used).

pub mod auth;
pub mod batch;
pub mod client;
pub mod error;
pub mod exchange_models;
pub mod models;
pub mod retry;
pub mod setup;
pub mod throttle;
pub mod transport;

/// Owned by `queries` (a property of each request family); re-exported with the client
/// that counts requests per class.
pub use crate::queries::ThrottleClass;
pub use auth::{Audience, CertificateCredential, Credential, KeyFormat, TokenProvider};
pub use batch::{BatchRequest, BatchResponse, MAX_BATCH};
pub use client::{Call, ClassCounts, ClientSettings, GraphClient, Page, Pager, Response};
pub use error::{AuthError, GraphError, Refusal, RequestLabel};
pub use retry::RetryPolicy;
pub use setup::SetupError;
pub use throttle::Limits;
pub use transport::http_client;

//! The HTTP transport under every request: the shared `reqwest` client and the French
//! description of a transport failure. It knows nothing of tokens, queries or Graph's errors,
//! so the token provider and the request engine both stand on it.

use std::time::Duration;

/// The shared HTTP client: rustls with the ring provider, no automatic redirects (they are
/// followed by hand, to the configured hosts only).
pub fn http_client(timeout: Duration) -> Result<reqwest::Client, String> {
    let _ = rustls::crypto::ring::default_provider().install_default();
    reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .timeout(timeout)
        .connect_timeout(Duration::from_secs(30))
        .user_agent(concat!("vigie365/", env!("CARGO_PKG_VERSION")))
        .build()
        .map_err(|e| describe_reqwest(&e))
}

/// A short French description of a transport error, without URLs' query strings.
pub fn describe_reqwest(e: &reqwest::Error) -> String {
    let kind = if e.is_timeout() {
        "délai dépassé"
    } else if e.is_connect() {
        "connexion impossible"
    } else if e.is_body() || e.is_decode() {
        "réponse interrompue"
    } else if e.is_request() {
        "connexion interrompue"
    } else {
        "erreur de transport"
    };
    let mut detail = String::new();
    let mut source = std::error::Error::source(e);
    while let Some(s) = source {
        detail = s.to_string();
        source = s.source();
    }
    if detail.is_empty() {
        kind.to_string()
    } else {
        format!("{kind} ({detail})")
    }
}

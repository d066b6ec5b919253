//! App-only authentication: OAuth 2.0 client credentials against Entra ID.
//!
//! Two credentials: a client secret, or a certificate (a JWT client assertion signed with
//! the certificate's RSA key, PS256, with `x5t#S256`). Two audiences, one token each:
//! Microsoft Graph and Exchange Online. Tokens are cached in memory, refreshed before they
//! expire, and dropped on a 401 so the next request fetches a fresh one. The token request
//! goes through the `oauth2` crate over our own `reqwest` client (rustls).
//!
//! Entra's refusals come as `AADSTSnnnnnn: text`; the error keeps the code and the first
//! line and adds the likely fix in French. The secret and the tokens never appear in a
//! message or a log line.

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD as B64URL;
use oauth2::basic::BasicClient;
use oauth2::{AuthType, ClientId, ClientSecret, RequestTokenError, Scope, TokenResponse, TokenUrl};
use rand::RngCore as _;
use ring::signature::{RSA_PSS_SHA256, RsaKeyPair};
use tokio::sync::Mutex;
use url::Url;

use super::error::AuthError;
use super::transport::describe_reqwest;

/// Which service a token is for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Audience {
    Graph,
    Exchange,
}

impl Audience {
    /// The `.default` scope of the resource (one resource per token request).
    pub fn scope(self) -> &'static str {
        match self {
            Audience::Graph => "https://graph.microsoft.com/.default",
            Audience::Exchange => "https://outlook.office365.com/.default",
        }
    }

    fn index(self) -> usize {
        match self {
            Audience::Graph => 0,
            Audience::Exchange => 1,
        }
    }

    fn label(self) -> &'static str {
        match self {
            Audience::Graph => "Microsoft Graph",
            Audience::Exchange => "Exchange Online",
        }
    }
}

/// How the application proves who it is.
pub enum Credential {
    /// A client secret (redacted in Debug by `oauth2::ClientSecret`).
    Secret(ClientSecret),
    /// A certificate whose public part is registered on the application.
    Certificate(Box<CertificateCredential>),
}

impl Credential {
    pub fn secret(value: impl Into<String>) -> Self {
        Credential::Secret(ClientSecret::new(value.into()))
    }

    /// A French word for messages ("secret client", "certificat").
    pub fn kind_fr(&self) -> &'static str {
        match self {
            Credential::Secret(_) => "secret client",
            Credential::Certificate(_) => "certificat",
        }
    }
}

impl std::fmt::Debug for Credential {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Credential::Secret(_) => "Credential::Secret(<masqué>)",
            Credential::Certificate(_) => "Credential::Certificate(<clé masquée>)",
        })
    }
}

/// An RSA key and the thumbprints of its certificate, ready to sign client assertions.
pub struct CertificateCredential {
    key: RsaKeyPair,
    /// base64url(SHA-256(DER certificate)), the `x5t#S256` header.
    x5t_s256: String,
    /// base64url(SHA-1(DER certificate)), the older `x5t` header some tenants still expect.
    x5t: String,
}

/// The encoding of an RSA private key.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum KeyFormat {
    Pkcs8,
    Pkcs1,
}

impl CertificateCredential {
    /// From the DER certificate and the DER private key.
    pub fn from_der(cert_der: &[u8], key_der: &[u8], format: KeyFormat) -> Result<Self, AuthError> {
        let key = match format {
            KeyFormat::Pkcs8 => RsaKeyPair::from_pkcs8(key_der),
            KeyFormat::Pkcs1 => RsaKeyPair::from_der(key_der),
        }
        .map_err(|e| AuthError::Certificate {
            detail: format!("clé privée RSA illisible ({e}) ; une clé RSA PEM est attendue"),
        })?;
        let s256 = ring::digest::digest(&ring::digest::SHA256, cert_der);
        let s1 = ring::digest::digest(&ring::digest::SHA1_FOR_LEGACY_USE_ONLY, cert_der);
        Ok(CertificateCredential {
            key,
            x5t_s256: B64URL.encode(s256.as_ref()),
            x5t: B64URL.encode(s1.as_ref()),
        })
    }

    /// From PEM text: the first `CERTIFICATE` block, and a `PRIVATE KEY` (PKCS#8) or
    /// `RSA PRIVATE KEY` (PKCS#1) block.
    pub fn from_pem(cert_pem: &[u8], key_pem: &[u8]) -> Result<Self, AuthError> {
        use rustls_pki_types::pem::PemObject;
        use rustls_pki_types::{CertificateDer, PrivateKeyDer};
        let cert =
            CertificateDer::from_pem_slice(cert_pem).map_err(|e| AuthError::Certificate {
                detail: format!("certificat PEM illisible ({e})"),
            })?;
        let key = PrivateKeyDer::from_pem_slice(key_pem).map_err(|e| AuthError::Certificate {
            detail: format!("clé privée PEM illisible ({e})"),
        })?;
        let (der, format) = match &key {
            PrivateKeyDer::Pkcs8(k) => (k.secret_pkcs8_der(), KeyFormat::Pkcs8),
            PrivateKeyDer::Pkcs1(k) => (k.secret_pkcs1_der(), KeyFormat::Pkcs1),
            _ => {
                return Err(AuthError::Certificate {
                    detail: "la clé privée n'est pas une clé RSA (PKCS#8 ou PKCS#1)".into(),
                });
            }
        };
        Self::from_der(cert.as_ref(), der, format)
    }

    /// The `x5t#S256` thumbprint (for `doctor`: it must match the one shown in Entra ID).
    pub fn thumbprint_s256(&self) -> &str {
        &self.x5t_s256
    }

    /// A signed client assertion: header {alg PS256, typ JWT, x5t#S256, x5t}, claims
    /// {aud = token URL, iss = sub = client id, jti, nbf, iat, exp = +10 min}.
    pub fn assertion(
        &self,
        client_id: &str,
        token_url: &str,
        now_unix: i64,
    ) -> Result<String, AuthError> {
        let header = serde_json::json!({
            "alg": "PS256",
            "typ": "JWT",
            "x5t#S256": self.x5t_s256,
            "x5t": self.x5t,
        });
        let claims = serde_json::json!({
            "aud": token_url,
            "iss": client_id,
            "sub": client_id,
            "jti": new_guid(),
            "nbf": now_unix,
            "iat": now_unix,
            "exp": now_unix + 600,
        });
        let signing_input = format!(
            "{}.{}",
            B64URL.encode(header.to_string()),
            B64URL.encode(claims.to_string())
        );
        let rng = ring::rand::SystemRandom::new();
        let mut signature = vec![0u8; self.key.public().modulus_len()];
        self.key
            .sign(
                &RSA_PSS_SHA256,
                &rng,
                signing_input.as_bytes(),
                &mut signature,
            )
            .map_err(|_| AuthError::Certificate {
                detail: "signature de l'assertion impossible".into(),
            })?;
        Ok(format!("{signing_input}.{}", B64URL.encode(signature)))
    }
}

/// A random (version 4) GUID.
fn new_guid() -> String {
    let mut b = [0u8; 16];
    rand::rng().fill_bytes(&mut b);
    b[6] = (b[6] & 0x0f) | 0x40;
    b[8] = (b[8] & 0x3f) | 0x80;
    let h: String = b.iter().map(|x| format!("{x:02x}")).collect();
    format!(
        "{}-{}-{}-{}-{}",
        &h[0..8],
        &h[8..12],
        &h[12..16],
        &h[16..20],
        &h[20..32]
    )
}

/// The likely fix for an AADSTS code (the codes people meet with app-only auth).
fn aadsts_hint(code: &str) -> &'static str {
    match code {
        "AADSTS7000215" => {
            "le secret client est erroné : copiez la VALEUR du secret (pas son identifiant) depuis Entra ID > \
             Inscriptions d'applications > Certificats et secrets"
        }
        "AADSTS7000222" => {
            "le secret client a expiré : créez-en un nouveau et remplacez-le (README, « Rotation du secret »)"
        }
        "AADSTS700016" => {
            "application introuvable dans ce locataire : vérifiez client_id, et que l'application est inscrite \
             (ou a reçu le consentement) dans ce locataire"
        }
        "AADSTS90002" | "AADSTS900023" | "AADSTS90013" => {
            "locataire introuvable : vérifiez tenant_id"
        }
        "AADSTS65001" | "AADSTS650057" | "AADSTS500011" => {
            "consentement administrateur manquant, ou ressource absente du locataire : accordez le \
             consentement dans Entra ID > Inscriptions d'applications > Autorisations d'API"
        }
        "AADSTS700027" | "AADSTS700023" | "AADSTS5002723" => {
            "assertion de certificat refusée : le certificat n'est pas celui inscrit dans l'application, ou la clé \
             ne lui correspond pas"
        }
        "AADSTS700024" => {
            "assertion hors de sa période de validité : l'horloge du serveur est-elle à l'heure (NTP) ?"
        }
        "AADSTS7000112" => "l'application est désactivée dans Entra ID : réactivez-la",
        "AADSTS53003" => {
            "bloqué par une stratégie d'accès conditionnel visant les identités de charge de travail"
        }
        _ => {
            "consultez le code AADSTS dans la documentation de Microsoft ; vérifiez tenant_id, client_id et les identifiants"
        }
    }
}

/// Splits `AADSTS7000215: Invalid client secret provided. ...\r\nTrace ID: ...` into code and
/// first line.
fn parse_aadsts(description: &str) -> Option<(String, String)> {
    let start = description.find("AADSTS")?;
    let rest = &description[start..];
    let digits: String = rest[6..]
        .chars()
        .take_while(|c| c.is_ascii_digit())
        .collect();
    if digits.is_empty() {
        return None;
    }
    let code = format!("AADSTS{digits}");
    let after = rest[6 + digits.len()..]
        .trim_start_matches(':')
        .trim_start();
    let first = after.lines().next().unwrap_or("").trim();
    let first: String = first.chars().take(300).collect();
    Some((code, first))
}

/// A bearer token and the generation it belongs to (so a 401 drops only that token).
#[derive(Clone)]
pub struct Bearer {
    pub value: String,
    generation: u64,
}

impl Bearer {
    /// Which fetch of the token this is (to drop exactly this one on a 401).
    pub fn generation(&self) -> u64 {
        self.generation
    }
}

impl std::fmt::Debug for Bearer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Bearer(<masqué>, génération {})", self.generation)
    }
}

struct Cached {
    token: String,
    refresh_at: tokio::time::Instant,
    generation: u64,
}

/// Fetches, caches and refreshes the tokens of both audiences.
pub struct TokenProvider {
    http: reqwest::Client,
    token_url: Url,
    client_id: String,
    credential: Credential,
    cache: [Mutex<Option<Cached>>; 2],
    /// A refusal of Entra ID for that audience, and until when it is given back without
    /// asking again: the sources that need the audience learn the cause at once, and the
    /// token endpoint is asked once, not once per source.
    refused: [std::sync::Mutex<Option<(tokio::time::Instant, AuthError)>>; 2],
    generation: std::sync::atomic::AtomicU64,
    attempts: u32,
}

/// How long a refusal of Entra ID is remembered (a credential or a consent is not fixed in
/// less; a night that outlasts it asks again).
pub const REFUSAL_MEMORY: Duration = Duration::from_secs(600);

/// Statuses of the token endpoint worth another try.
#[derive(Debug, thiserror::Error)]
enum TokenTransport {
    #[error("HTTP {0}")]
    Status(u16),
    #[error("{0}")]
    Network(String),
}

impl TokenProvider {
    /// `authority` is e.g. `https://login.microsoftonline.com`; the token URL is
    /// `{authority}/{tenant}/oauth2/v2.0/token`.
    pub fn new(
        http: reqwest::Client,
        authority: &Url,
        tenant_id: &str,
        client_id: &str,
        credential: Credential,
        attempts: u32,
    ) -> Result<Self, AuthError> {
        let base = authority.as_str().trim_end_matches('/');
        let token_url =
            Url::parse(&format!("{base}/{tenant_id}/oauth2/v2.0/token")).map_err(|e| {
                AuthError::Malformed {
                    url: base.to_string(),
                    detail: e.to_string(),
                }
            })?;
        Ok(TokenProvider {
            http,
            token_url,
            client_id: client_id.to_string(),
            credential,
            cache: [Mutex::new(None), Mutex::new(None)],
            refused: [std::sync::Mutex::new(None), std::sync::Mutex::new(None)],
            generation: std::sync::atomic::AtomicU64::new(0),
            attempts: attempts.max(1),
        })
    }

    pub fn token_url(&self) -> &Url {
        &self.token_url
    }

    pub fn credential(&self) -> &Credential {
        &self.credential
    }

    /// A valid token for that audience, from the cache or freshly requested.
    pub async fn bearer(&self, audience: Audience) -> Result<Bearer, AuthError> {
        let mut slot = self.cache[audience.index()].lock().await;
        if let Some(c) = slot.as_ref()
            && tokio::time::Instant::now() < c.refresh_at
        {
            return Ok(Bearer {
                value: c.token.clone(),
                generation: c.generation,
            });
        }
        let remembered = self.refused[audience.index()]
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .as_ref()
            .filter(|(until, _)| tokio::time::Instant::now() < *until)
            .map(|(_, e)| e.clone());
        if let Some(e) = remembered {
            return Err(e);
        }
        let (token, lifetime) = match self.request(audience).await {
            Ok(t) => t,
            Err(e) => {
                if matches!(e, AuthError::Refused { .. } | AuthError::OAuth { .. }) {
                    *self.refused[audience.index()]
                        .lock()
                        .unwrap_or_else(|p| p.into_inner()) =
                        Some((tokio::time::Instant::now() + REFUSAL_MEMORY, e.clone()));
                }
                return Err(e);
            }
        };
        // Refresh a quarter of the lifetime early, at most five minutes early.
        let margin = (lifetime / 4).min(Duration::from_secs(300));
        let generation = self
            .generation
            .fetch_add(1, std::sync::atomic::Ordering::Relaxed)
            + 1;
        *slot = Some(Cached {
            token: token.clone(),
            refresh_at: tokio::time::Instant::now() + lifetime - margin,
            generation,
        });
        tracing::debug!(
            audience = audience.label(),
            lifetime_s = lifetime.as_secs(),
            "jeton obtenu"
        );
        Ok(Bearer {
            value: token,
            generation,
        })
    }

    /// Forgets the token that got a 401, unless it was already replaced.
    pub async fn invalidate(&self, audience: Audience, stale: &Bearer) {
        self.invalidate_generation(audience, stale.generation).await;
    }

    /// Forgets the token of that generation (see [`Bearer::generation`]), unless it was
    /// already replaced: concurrent requests that all got a 401 renew it once.
    pub async fn invalidate_generation(&self, audience: Audience, generation: u64) {
        let mut slot = self.cache[audience.index()].lock().await;
        if slot.as_ref().is_some_and(|c| c.generation == generation) {
            *slot = None;
        }
    }

    async fn request(&self, audience: Audience) -> Result<(String, Duration), AuthError> {
        let mut delay = Duration::from_millis(500);
        let mut attempt = 1;
        loop {
            match self.request_once(audience).await {
                Err(Retry::Later(detail)) if attempt < self.attempts => {
                    tracing::warn!(audience = audience.label(), attempt, %detail, "jeton : nouvel essai");
                    tokio::time::sleep(delay).await;
                    delay = (delay * 2).min(Duration::from_secs(30));
                    attempt += 1;
                }
                Err(Retry::Later(detail)) => {
                    return Err(AuthError::Unreachable {
                        url: self.token_url.to_string(),
                        detail,
                    });
                }
                Err(Retry::Never(e)) => return Err(e),
                Ok(t) => return Ok(t),
            }
        }
    }

    async fn request_once(&self, audience: Audience) -> Result<(String, Duration), Retry> {
        let mut client = BasicClient::new(ClientId::new(self.client_id.clone()))
            .set_token_uri(TokenUrl::from_url(self.token_url.clone()))
            .set_auth_type(AuthType::RequestBody);
        if let Credential::Secret(secret) = &self.credential {
            client = client.set_client_secret(secret.clone());
        }
        let mut request = client
            .exchange_client_credentials()
            .add_scope(Scope::new(audience.scope().to_string()));
        if let Credential::Certificate(cert) = &self.credential {
            let now = SystemTime::now()
                .duration_since(UNIX_EPOCH)
                .map(|d| d.as_secs() as i64)
                .unwrap_or(0);
            let assertion = cert
                .assertion(&self.client_id, self.token_url.as_str(), now)
                .map_err(Retry::Never)?;
            request = request
                .add_extra_param(
                    "client_assertion_type",
                    "urn:ietf:params:oauth:client-assertion-type:jwt-bearer",
                )
                .add_extra_param("client_assertion", assertion);
        }
        self.finish(audience, request).await
    }

    async fn finish(
        &self,
        audience: Audience,
        request: oauth2::ClientCredentialsTokenRequest<
            '_,
            oauth2::basic::BasicErrorResponse,
            oauth2::basic::BasicTokenResponse,
        >,
    ) -> Result<(String, Duration), Retry> {
        let http = &self.http;
        let send = |req: oauth2::HttpRequest| async move {
            let (parts, body) = req.into_parts();
            let resp = http
                .request(parts.method, parts.uri.to_string())
                .headers(parts.headers)
                .body(body)
                .send()
                .await
                .map_err(|e| TokenTransport::Network(describe_reqwest(&e)))?;
            let status = resp.status();
            if status.as_u16() == 429 || status.is_server_error() {
                return Err(TokenTransport::Status(status.as_u16()));
            }
            let headers = resp.headers().clone();
            let bytes = resp
                .bytes()
                .await
                .map_err(|e| TokenTransport::Network(describe_reqwest(&e)))?;
            let mut out = http::Response::new(bytes.to_vec());
            *out.status_mut() = status;
            *out.headers_mut() = headers;
            Ok::<_, TokenTransport>(out)
        };
        match request.request_async(&send).await {
            Ok(token) => {
                let lifetime = token
                    .expires_in()
                    .unwrap_or(Duration::from_secs(3599))
                    .max(Duration::from_secs(1));
                Ok((token.access_token().secret().clone(), lifetime))
            }
            Err(RequestTokenError::ServerResponse(err)) => {
                let description = err.error_description().cloned().unwrap_or_default();
                Err(Retry::Never(match parse_aadsts(&description) {
                    Some((code, first_line)) => {
                        let hint = aadsts_hint(&code);
                        AuthError::Refused {
                            audience: audience.label(),
                            code,
                            first_line,
                            hint,
                        }
                    }
                    None => AuthError::OAuth {
                        audience: audience.label(),
                        error: err.error().to_string(),
                        description: description
                            .lines()
                            .next()
                            .unwrap_or("")
                            .chars()
                            .take(300)
                            .collect(),
                    },
                }))
            }
            Err(RequestTokenError::Request(e)) => Err(Retry::Later(e.to_string())),
            Err(RequestTokenError::Parse(e, _)) => Err(Retry::Never(AuthError::Malformed {
                url: self.token_url.to_string(),
                detail: e.to_string(),
            })),
            Err(RequestTokenError::Other(detail)) => Err(Retry::Never(AuthError::Malformed {
                url: self.token_url.to_string(),
                detail,
            })),
        }
    }
}

enum Retry {
    Later(String),
    Never(AuthError),
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn aadsts_code_and_first_line_are_extracted() {
        let d = "AADSTS7000215: Invalid client secret provided. Ensure the secret being sent in the request is the client secret value, not the client secret ID.\r\nTrace ID: 0f6c\r\nCorrelation ID: 12\r\nTimestamp: 2026-01-01 00:00:00Z";
        let (code, line) = parse_aadsts(d).expect("parsed");
        assert_eq!(code, "AADSTS7000215");
        assert!(line.starts_with("Invalid client secret provided."));
        assert!(!line.contains("Trace ID"));
        assert!(parse_aadsts("no code here").is_none());
    }

    #[test]
    fn guids_are_version_4() {
        let g = new_guid();
        assert_eq!(g.len(), 36);
        assert_eq!(&g[14..15], "4");
        assert_ne!(g, new_guid());
    }

    #[test]
    fn debug_never_shows_the_secret() {
        let c = Credential::secret("tres-secret-123");
        assert!(!format!("{c:?}").contains("tres-secret"));
    }
}

//! Building the client from the validated configuration.

use std::time::Duration;

use super::auth::{CertificateCredential, Credential, KeyFormat, TokenProvider};
use super::client::{ClientSettings, GraphClient};
use super::error::AuthError;
use super::retry::RetryPolicy;
use super::throttle::Limits;
use super::transport::http_client;
use crate::config::{Config, ConfigError, Credentials, KeyDer};

#[derive(Debug, thiserror::Error)]
pub enum SetupError {
    #[error("{err}\n  correctif : {fix}", fix = .0.fix_fr(), err = .0)]
    Secret(#[from] ConfigError),
    #[error(transparent)]
    Auth(#[from] AuthError),
    #[error("client HTTP impossible à construire : {0}")]
    Http(String),
}

/// The limits of the configuration, as the limiters take them.
pub fn limits(config: &Config) -> Limits {
    let l = &config.limits;
    Limits {
        directory_units_per_10s: l.directory_units_per_10s.get(),
        sign_in_activity_per_minute: l.sign_in_activity_per_minute.get(),
        reports_per_10s: l.reports_per_10s.get(),
        conditional_access_per_s: l.conditional_access_per_s.get(),
        outlook_per_s: Limits::default().outlook_per_s,
        exchange_per_s: l.exchange_per_s.get(),
    }
}

/// The credential of the configuration; a secret is read (environment or file) now.
pub fn credential(config: &Config) -> Result<Credential, SetupError> {
    Ok(match &config.credentials {
        Credentials::Certificate {
            cert_der, key_der, ..
        } => {
            let format = match key_der {
                KeyDer::Pkcs8(_) => KeyFormat::Pkcs8,
                KeyDer::Pkcs1(_) => KeyFormat::Pkcs1,
            };
            Credential::Certificate(Box::new(CertificateCredential::from_der(
                cert_der,
                key_der.der(),
                format,
            )?))
        }
        _ => Credential::secret(crate::config::resolve_secret(config)?.expose()),
    })
}

impl GraphClient {
    /// The client of a configuration: its endpoints, credential, limits and attempts.
    pub fn from_config(config: &Config) -> Result<GraphClient, SetupError> {
        let timeout = Duration::from_secs(120);
        let http = http_client(timeout).map_err(SetupError::Http)?;
        let tokens = TokenProvider::new(
            http.clone(),
            &config.endpoints.authority,
            &config.tenant.tenant_id.to_string(),
            &config.tenant.client_id.to_string(),
            credential(config)?,
            config.limits.max_attempts.get(),
        )?;
        let mut settings = ClientSettings::new(
            config.endpoints.graph.clone(),
            config.endpoints.exchange.clone(),
            &config.tenant.tenant_id.to_string(),
            &config.tenant.domain,
        );
        settings.limits = limits(config);
        settings.retry = RetryPolicy {
            max_attempts: config.limits.max_attempts.get(),
            ..RetryPolicy::default()
        };
        settings.timeout = timeout;
        Ok(GraphClient::new(http, tokens, settings))
    }
}

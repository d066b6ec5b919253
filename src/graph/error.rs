//! Typed errors of the Graph and Exchange layer.
//!
//! Every error names the request that failed (the query family and the URL path without
//! its query string, which may carry account ids), the HTTP status and Graph's error code
//! when there is one, and — for a 403 — the permission the request needs, taken from
//! `queries/`. The French texts are what the person reading the cron mail sees.

use std::time::Duration;

/// What a failed request was (for messages): the query family and the path.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RequestLabel {
    pub query: String,
    pub path: String,
}

impl std::fmt::Display for RequestLabel {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "« {} » ({})", self.query, self.path)
    }
}

/// Why the service refused a request, from its status and error code.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Refusal {
    /// 403 for want of an application permission (or an Exchange role).
    Permission,
    /// 403 because the tenant lacks the licence (Entra ID P1/P2, Exchange Online).
    Licence,
    /// 403 on one mailbox that the app's RBAC scope or access policy excludes.
    MailboxOutOfScope,
    /// 404: the object does not exist (any more).
    NotFound,
    /// 401 that persisted after a fresh token.
    Unauthorized,
    /// 400: the request itself is wrong (a defect of vigie365, or an unsupported filter).
    BadRequest,
    /// Any other status.
    Other,
}

/// An authentication failure.
#[derive(Debug, Clone, thiserror::Error)]
pub enum AuthError {
    #[error("Entra ID refuse le jeton {audience} : {code} — {first_line}\n  correctif : {hint}")]
    Refused {
        audience: &'static str,
        code: String,
        first_line: String,
        hint: &'static str,
    },

    #[error(
        "Entra ID refuse le jeton {audience} ({error}) : {description}\n  correctif : vérifiez tenant_id, \
         client_id et les identifiants dans la configuration"
    )]
    OAuth {
        audience: &'static str,
        error: String,
        description: String,
    },

    #[error(
        "point de terminaison d'authentification injoignable ({url}) : {detail}\n  correctif : vérifiez \
         [points_de_terminaison].autorite et l'accès réseau sortant vers Entra ID"
    )]
    Unreachable { url: String, detail: String },

    #[error("réponse illisible du point de terminaison d'authentification ({url}) : {detail}")]
    Malformed { url: String, detail: String },

    #[error(
        "certificat : {detail}\n  correctif : fournissez le certificat et la clé RSA PEM inscrits dans l'application"
    )]
    Certificate { detail: String },
}

/// An error of the Graph/Exchange layer.
#[derive(Debug, thiserror::Error)]
pub enum GraphError {
    #[error(transparent)]
    Auth(#[from] AuthError),

    #[error("{0}")]
    Refused(Box<Refused>),

    #[error(
        "la requête {request} a encore échoué après {attempts} tentatives (dernier statut : {last}) ; \
         Microsoft limite ou refuse le service en ce moment : relancez plus tard, ou réduisez les \
         limites de [limites] si d'autres outils partagent l'application"
    )]
    Exhausted {
        request: RequestLabel,
        attempts: u32,
        last: String,
        waited: Duration,
    },

    #[error(
        "réponse illisible pour la requête {request} : {detail} ; la réponse est tronquée ou n'est pas \
         du JSON de Microsoft Graph (proxy ? point de terminaison mal configuré ?)"
    )]
    Malformed {
        request: RequestLabel,
        detail: String,
    },

    #[error(
        "réponse trop volumineuse pour la requête {request} (plus de {limit} octets) : refusée pour \
         protéger la mémoire ; vérifiez le point de terminaison configuré"
    )]
    TooLarge { request: RequestLabel, limit: usize },

    #[error(
        "la requête {request} renvoie vers un autre hôte ({host}) : lien refusé et jeton non envoyé ; \
         seuls les hôtes configurés dans [points_de_terminaison] reçoivent le jeton"
    )]
    ForeignHost { request: RequestLabel, host: String },

    #[error("URL invalide pour la requête {request} : {detail}")]
    BadUrl {
        request: RequestLabel,
        detail: String,
    },
}

/// A request the service answered with a non-retryable error status.
#[derive(Debug)]
pub struct Refused {
    pub request: RequestLabel,
    pub status: u16,
    pub code: Option<String>,
    pub message: Option<String>,
    /// Microsoft's request id (innerError), which its support asks for.
    pub request_id: Option<String>,
    pub refusal: Refusal,
    /// The permissions that query needs (from `queries/`).
    pub permissions: Vec<String>,
    pub licence: String,
}

impl std::fmt::Display for Refused {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&refused_message(
            &self.request,
            self.status,
            self.code.as_deref(),
            self.message.as_deref(),
            self.refusal,
            &self.permissions,
            self.request_id.as_deref(),
        ))
    }
}

impl GraphError {
    /// The refusal kind, when the service refused the request.
    pub fn refusal(&self) -> Option<Refusal> {
        match self {
            GraphError::Refused(r) => Some(r.refusal),
            _ => None,
        }
    }

    /// True when the error means "this source cannot be read with the app's rights or the
    /// tenant's licences": the source is marked not collected, the others go on.
    pub fn is_access_denied(&self) -> bool {
        matches!(self.refusal(), Some(Refusal::Permission | Refusal::Licence))
    }
}

fn refused_message(
    request: &RequestLabel,
    status: u16,
    code: Option<&str>,
    message: Option<&str>,
    refusal: Refusal,
    permissions: &[String],
    request_id: Option<&str>,
) -> String {
    let code_txt = code.map(|c| format!(", code {c}")).unwrap_or_default();
    let detail = message
        .map(|m| format!(" : {}", first_line(m)))
        .unwrap_or_default();
    let head = format!("la requête {request} a été refusée (HTTP {status}{code_txt}){detail}");
    let fix = match refusal {
        Refusal::Permission => format!(
            "autorisation manquante : accordez à l'application l'autorisation d'application {} \
             (Entra ID > Inscriptions d'applications > Autorisations d'API), puis le consentement \
             administrateur ; voir `vigie365 permissions`",
            if permissions.is_empty() { "requise".to_string() } else { permissions.join(" et ") }
        ),
        Refusal::Licence => {
            "licence manquante : cette donnée exige une licence Entra ID P1 ou P2 (ou Exchange Online) \
             dans le locataire ; la source est marquée « non collectée »"
                .to_string()
        }
        Refusal::MailboxOutOfScope => {
            "boîte hors de la portée de l'application (RBAC for Applications ou Application Access \
             Policy) : élargissez l'étendue de gestion si cette boîte doit être auditée"
                .to_string()
        }
        Refusal::NotFound => "l'objet n'existe pas ou plus".to_string(),
        Refusal::Unauthorized => {
            "jeton refusé même après renouvellement : vérifiez que l'application est inscrite dans ce \
             locataire et que ses autorisations ont reçu le consentement administrateur"
                .to_string()
        }
        Refusal::BadRequest => {
            "requête mal formée : signalez-le aux responsables de vigie365 avec ce message".to_string()
        }
        Refusal::Other => "erreur du service : relancez plus tard".to_string(),
    };
    match request_id {
        Some(id) => format!(
            "{head} ; {fix} (identifiant de requête Microsoft : {})",
            first_line(id)
        ),
        None => format!("{head} ; {fix}"),
    }
}

fn first_line(s: &str) -> &str {
    let line = s.lines().next().unwrap_or(s);
    // Keep messages bounded: a hostile or broken service could send megabytes.
    match line.char_indices().nth(300) {
        Some((i, _)) => &line[..i],
        None => line,
    }
}

/// Graph's error envelope: `{"error":{"code","message","innerError"|"innererror"}}`.
#[derive(Debug, Default, serde::Deserialize)]
pub(crate) struct ErrorEnvelope {
    #[serde(default)]
    pub error: Option<ErrorBody>,
}

#[derive(Debug, Default, serde::Deserialize)]
pub(crate) struct ErrorBody {
    #[serde(default)]
    pub code: Option<String>,
    #[serde(default)]
    pub message: Option<String>,
    #[serde(default, alias = "innererror", rename = "innerError")]
    pub inner_error: Option<serde_json::Value>,
    #[serde(default)]
    pub details: Vec<serde_json::Value>,
}

impl ErrorBody {
    /// The request id Microsoft support asks for, from either spelling of innerError.
    pub fn request_id(&self) -> Option<String> {
        self.inner_error
            .as_ref()
            .and_then(|v| v.get("request-id"))
            .and_then(|v| v.as_str())
            .map(String::from)
    }
}

/// Graph's error code, message and request id, read from a body whatever it holds.
/// Exchange's admin API answers a generic "Invalid Operation" and puts the real reason in
/// `details[].message` or `innererror.internalexception.message`: that reason is appended.
pub(crate) fn parse_error_body(body: &[u8]) -> (Option<String>, Option<String>, Option<String>) {
    match serde_json::from_slice::<ErrorEnvelope>(body) {
        Ok(ErrorEnvelope { error: Some(e) }) => {
            let id = e.request_id();
            let detail = e
                .details
                .iter()
                .find_map(|d| d.get("message").and_then(|m| m.as_str()))
                .or_else(|| {
                    e.inner_error
                        .as_ref()
                        .and_then(|i| i.get("internalexception"))
                        .and_then(|x| x.get("message"))
                        .and_then(|m| m.as_str())
                })
                .map(String::from);
            let message = match (e.message, detail) {
                (Some(m), Some(d)) if !m.contains(d.as_str()) => Some(format!("{m} — {d}")),
                (m, d) => m.or(d),
            };
            (e.code, message, id)
        }
        _ => (None, None, None),
    }
}

/// Classifies a refusal from status and code (matching on the code, never on the message).
pub(crate) fn classify_refusal(status: u16, code: Option<&str>) -> Refusal {
    let code = code.unwrap_or("");
    match status {
        400 => Refusal::BadRequest,
        401 => Refusal::Unauthorized,
        404 => Refusal::NotFound,
        403 => {
            const LICENCE: &[&str] = &[
                "Authentication_RequestFromNonPremiumTenantOrB2CTenant",
                "Authentication_RequestFromUnsupportedUserRole",
                "Tenant_NotLicensed",
                "MailboxNotEnabledForRESTAPI",
                "ResourceNotFound_NoLicense",
            ];
            if LICENCE.iter().any(|c| c.eq_ignore_ascii_case(code)) {
                Refusal::Licence
            } else if code.eq_ignore_ascii_case("ErrorAccessDenied") {
                // Outlook's answer for a mailbox outside the app's RBAC scope; the caller
                // turns it into Permission when every mailbox answers it.
                Refusal::MailboxOutOfScope
            } else {
                Refusal::Permission
            }
        }
        _ => Refusal::Other,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn both_spellings_of_inner_error_are_read() {
        for key in ["innerError", "innererror"] {
            let body = format!(
                r#"{{"error":{{"code":"Authorization_RequestDenied","message":"Insufficient privileges.","{key}":{{"request-id":"abc","date":"2026-01-01T00:00:00"}}}}}}"#
            );
            let env: ErrorEnvelope = serde_json::from_str(&body).expect("valid");
            let e = env.error.expect("error");
            assert_eq!(e.code.as_deref(), Some("Authorization_RequestDenied"));
            assert_eq!(e.request_id().as_deref(), Some("abc"));
        }
    }

    #[test]
    fn exchange_invalid_operation_carries_its_real_reason() {
        let body = br#"{"error":{"code":"InternalServerError","message":"Invalid Operation","details":[{"code":"Context","target":"","message":"The role assigned to application 0f0e isn't supported in this scenario."}],"innererror":{"message":"x","internalexception":{"message":"role"}}}}"#;
        let (code, message, _) = parse_error_body(body);
        assert_eq!(code.as_deref(), Some("InternalServerError"));
        assert_eq!(
            message.as_deref(),
            Some(
                "Invalid Operation — The role assigned to application 0f0e isn't supported in this scenario."
            )
        );
    }

    #[test]
    fn refusals_are_classified_on_the_code() {
        assert_eq!(
            classify_refusal(403, Some("Authorization_RequestDenied")),
            Refusal::Permission
        );
        assert_eq!(
            classify_refusal(
                403,
                Some("Authentication_RequestFromNonPremiumTenantOrB2CTenant")
            ),
            Refusal::Licence
        );
        assert_eq!(
            classify_refusal(403, Some("ErrorAccessDenied")),
            Refusal::MailboxOutOfScope
        );
        assert_eq!(classify_refusal(404, None), Refusal::NotFound);
    }

    #[test]
    fn a_permission_refusal_names_the_permission_in_french() {
        let e = GraphError::Refused(Box::new(Refused {
            request: RequestLabel {
                query: "sign-ins".into(),
                path: "/beta/auditLogs/signIns".into(),
            },
            status: 403,
            code: Some("Authorization_RequestDenied".into()),
            message: Some("Insufficient privileges to complete the operation.\nmore".into()),
            refusal: Refusal::Permission,
            request_id: None,
            permissions: vec!["AuditLog.Read.All".into(), "Directory.Read.All".into()],
            licence: String::new(),
        }));
        let text = e.to_string();
        assert!(
            text.contains("AuditLog.Read.All et Directory.Read.All"),
            "{text}"
        );
        assert!(text.contains("HTTP 403"), "{text}");
        assert!(
            !text.contains("more"),
            "only the first line of Graph's message: {text}"
        );
    }
}

//! The Entra token endpoint (`/{tenant}/oauth2/v2.0/token`, client credentials with a
//! secret or a certificate assertion) and the bearer check every other route makes.

use std::collections::HashMap;
use std::sync::atomic::Ordering;

use chrono::Utc;
use http::HeaderMap;
use serde_json::{Value, json};

use super::{Resp, Rq, Shared, graph_error, request_id};
use crate::sim::hash;
use crate::sim::render;
use crate::sim::scenario::TENANT_DOMAIN;

pub(super) const GRAPH_AUD: &str = "https://graph.microsoft.com/.default";
pub(super) const EXO_AUD: &str = "https://outlook.office365.com/.default";
const NATURAL_LIFETIME: f64 = 3599.0;

fn entra_error_body(st: &Shared, rq: Rq, error: &str, code: u32, msg: &str) -> Value {
    let trace = request_id(
        st,
        Rq {
            n: rq.n,
            j: rq.j + 1000,
        },
    );
    let corr = request_id(
        st,
        Rq {
            n: rq.n,
            j: rq.j + 2000,
        },
    );
    let stamp = render::sim_clock(&st.sc, st.day())
        .format("%Y-%m-%d %H:%M:%SZ")
        .to_string();
    json!({
        "error": error,
        "error_description": format!("AADSTS{}: {}\r\nTrace ID: {}\r\nCorrelation ID: {}\r\nTimestamp: {}", code, msg, trace, corr, stamp),
        "error_codes": [code],
        "timestamp": stamp,
        "trace_id": trace,
        "correlation_id": corr,
        "error_uri": format!("https://login.microsoftonline.com/error?code={}", code),
    })
}

pub(super) fn aad_error(
    st: &Shared,
    rq: Rq,
    status: u16,
    error: &str,
    code: u32,
    msg: &str,
) -> Resp {
    Resp::json(status, entra_error_body(st, rq, error, code, msg))
}

const TOKEN_KEY: u64 = 0x0070_CE11;

type Form = HashMap<String, String>;

/// A 400 from the token endpoint.
fn refuse(st: &Shared, rq: Rq, error: &str, code: u32, msg: &str) -> Resp {
    aad_error(st, rq, 400, error, code, msg)
}

pub(super) fn token_endpoint(st: &Shared, rq: Rq, tenant: &str, body: &[u8]) -> Resp {
    let form: Form = url::form_urlencoded::parse(body)
        .map(|(k, v)| (k.into_owned(), v.into_owned()))
        .collect();
    let aud = match check_request(st, rq, tenant, &form) {
        Ok(aud) => aud,
        Err(e) => return e,
    };
    if let Err(e) = check_credential(st, rq, tenant, &form) {
        return e;
    }
    // `--refuser exchange-token`: a tenant without Exchange Online (or without the
    // application's Exchange consent): Entra ID refuses the Exchange audience only.
    if aud == 2 && st.deny.iter().any(|d| d == "exchange-token") {
        return aad_error(
            st,
            rq,
            400,
            "invalid_resource",
            500011,
            &format!(
                "The resource principal named {} was not found in the tenant named {}. This can happen if the application has not been installed by the administrator of the tenant or consented to by any user in the tenant. You might have sent your authentication request to the wrong tenant.",
                EXO_AUD.trim_end_matches("/.default"),
                TENANT_DOMAIN
            ),
        );
    }
    issue(st, rq, aud)
}

/// Tenant, grant type, client id and scope of a token request: the audience word of the
/// token to issue (1 Graph, 2 Exchange).
fn check_request(st: &Shared, rq: Rq, tenant: &str, form: &Form) -> Result<i64, Resp> {
    let t = tenant.to_lowercase();
    if t != st.sc.tenant_id && t != TENANT_DOMAIN {
        return Err(refuse(
            st,
            rq,
            "invalid_request",
            90002,
            &format!(
                "Tenant '{}' not found. Check to make sure you have the correct tenant ID and are signing into the correct cloud. Check with your subscription administrator, this may happen if there are no active subscriptions for the tenant.",
                tenant
            ),
        ));
    }
    if form.get("grant_type").map(String::as_str) != Some("client_credentials") {
        return Err(refuse(
            st,
            rq,
            "unsupported_grant_type",
            70003,
            "The app requested an unsupported grant type ''.",
        ));
    }
    let client = form.get("client_id").cloned().unwrap_or_default();
    if client.to_lowercase() != st.sc.client_id {
        return Err(refuse(
            st,
            rq,
            "unauthorized_client",
            700016,
            &format!(
                "Application with identifier '{}' was not found in the directory '{}'. This can happen if the application has not been installed by the administrator of the tenant or consented to by any user in the tenant. You may have sent your authentication request to the wrong tenant.",
                client, TENANT_DOMAIN
            ),
        ));
    }
    let scope = form.get("scope").cloned().unwrap_or_default();
    match scope.as_str() {
        GRAPH_AUD => Ok(1),
        EXO_AUD => Ok(2),
        _ => Err(refuse(
            st,
            rq,
            "invalid_scope",
            1002012,
            &format!(
                "The provided value for scope {} is not valid. Client credential flows must have a scope value with /.default suffixed to the resource identifier (application ID URI).",
                scope
            ),
        )),
    }
}

/// The client secret, or the certificate assertion, of a token request.
fn check_credential(st: &Shared, rq: Rq, tenant: &str, form: &Form) -> Result<(), Resp> {
    if let Some(secret) = form.get("client_secret") {
        if *secret != st.secret {
            return Err(refuse(
                st,
                rq,
                "invalid_client",
                7000215,
                &format!(
                    "Invalid client secret provided. Ensure the secret being sent in the request is the client secret value, not the client secret ID, for a secret added to app '{}'.",
                    st.sc.client_id
                ),
            ));
        }
        return Ok(());
    }
    let Some(assertion) = form.get("client_assertion") else {
        return Err(refuse(
            st,
            rq,
            "invalid_client",
            7000218,
            "The request body must contain the following parameter: 'client_assertion' or 'client_secret'.",
        ));
    };
    if form.get("client_assertion_type").map(String::as_str)
        != Some("urn:ietf:params:oauth:client-assertion-type:jwt-bearer")
    {
        return Err(refuse(
            st,
            rq,
            "invalid_request",
            700023,
            "Invalid client_assertion_type.",
        ));
    }
    check_assertion(st, tenant, assertion)
        .map_err(|(code, msg)| refuse(st, rq, "invalid_client", code, &msg))
}

/// A sealed access token for audience `aud`, expiring early when a fault asks for it.
fn issue(st: &Shared, rq: Rq, aud: i64) -> Resp {
    st.counters.tokens.fetch_add(1, Ordering::Relaxed);
    let now = st.now_ms();
    let natural = (NATURAL_LIFETIME / st.scale * 1000.0) as i64;
    let life = match st.faults.token_lifetime_secs {
        Some(s) => ((s / st.scale * 1000.0) as i64).min(natural),
        None => natural,
    };
    let sealed = hash::seal(
        st.sc.seed ^ TOKEN_KEY,
        &[aud, now, now + life, now + natural, rq.n as i64],
    );
    let token = format!(
        "eyJ0eXAiOiJKV1QiLCJhbGciOiJub25lIiwic2ltIjp0cnVlfQ.{}.c2lt",
        sealed
    );
    Resp::json(
        200,
        json!({
            "token_type": "Bearer",
            "expires_in": 3599,
            "ext_expires_in": 3599,
            "access_token": token,
        }),
    )
}

fn check_assertion(st: &Shared, tenant: &str, jwt: &str) -> Result<(), (u32, String)> {
    let malformed = |m: &str| {
        (
            50027u32,
            format!("JWT token is invalid or malformed: {}.", m),
        )
    };
    let parts: Vec<&str> = jwt.split('.').collect();
    if parts.len() != 3 {
        return Err(malformed("expected three segments"));
    }
    let dec = |s: &str| -> Result<Value, (u32, String)> {
        let b = hash::b64url_decode(s).ok_or_else(|| malformed("segment is not base64url"))?;
        serde_json::from_slice(&b).map_err(|_| malformed("segment is not JSON"))
    };
    let header = dec(parts[0])?;
    let claims = dec(parts[1])?;
    let alg = header.get("alg").and_then(Value::as_str).unwrap_or("");
    if alg != "RS256" && alg != "PS256" {
        return Err(malformed("alg must be RS256 or PS256"));
    }
    if let Some(typ) = header.get("typ").and_then(Value::as_str)
        && !typ.eq_ignore_ascii_case("JWT")
    {
        return Err(malformed("typ must be JWT"));
    }
    if header.get("x5t").is_none() && header.get("x5t#S256").is_none() {
        return Err((
            700027,
            "Client assertion failed signature validation: no x5t or x5t#S256 header.".into(),
        ));
    }
    if parts[2].is_empty() {
        return Err((
            700027,
            "Client assertion failed signature validation.".into(),
        ));
    }
    let s = |k: &str| {
        claims
            .get(k)
            .and_then(Value::as_str)
            .unwrap_or("")
            .to_string()
    };
    let aud = s("aud");
    let ok_aud = [
        format!("{}/{}/oauth2/v2.0/token", st.base_url, tenant),
        format!(
            "https://login.microsoftonline.com/{}/oauth2/v2.0/token",
            tenant
        ),
    ];
    if !ok_aud.iter().any(|a| a.eq_ignore_ascii_case(&aud)) {
        return Err((
            700016,
            format!(
                "Client assertion audience claim does not match Realm issuer: '{}'.",
                aud
            ),
        ));
    }
    if !s("iss").eq_ignore_ascii_case(&st.sc.client_id)
        || !s("sub").eq_ignore_ascii_case(&st.sc.client_id)
    {
        return Err((
            700021,
            "Client assertion application identifier doesn't match 'client_id' parameter.".into(),
        ));
    }
    if s("jti").is_empty() {
        return Err(malformed("jti is missing"));
    }
    let now = Utc::now().timestamp();
    let exp = claims.get("exp").and_then(Value::as_i64).unwrap_or(0);
    let nbf = claims.get("nbf").and_then(Value::as_i64).unwrap_or(now);
    if exp <= now - 300 || nbf > now + 300 || exp - nbf > 24 * 3600 {
        return Err((
            700024,
            "Client assertion is not within its valid time range.".into(),
        ));
    }
    Ok(())
}

pub(super) fn check_token(st: &Shared, rq: Rq, headers: &HeaderMap, aud: &str) -> Result<(), Resp> {
    let fail = |msg: &str| {
        st.counters.unauthorized.fetch_add(1, Ordering::Relaxed);
        Err(graph_error(st, rq, 401, "InvalidAuthenticationToken", msg)
            .header("WWW-Authenticate", "Bearer realm=\"\", authorization_uri=\"https://login.microsoftonline.com/common/oauth2/authorize\""))
    };
    let raw = headers
        .get("authorization")
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    let tok = match raw
        .strip_prefix("Bearer ")
        .or_else(|| raw.strip_prefix("bearer "))
    {
        Some(t) if !t.trim().is_empty() => t.trim(),
        _ => return fail("Access token is empty."),
    };
    let mid = tok.split('.').nth(1).unwrap_or("");
    let w = match hash::unseal(st.sc.seed ^ TOKEN_KEY, mid) {
        Some(w) if w.len() == 5 => w,
        _ => return fail("IDX14100: JWT is not well formed."),
    };
    let want = if aud == GRAPH_AUD { 1 } else { 2 };
    if w[0] != want {
        return fail("Access token validation failure. Invalid audience.");
    }
    let now = st.now_ms();
    if now >= w[2] {
        if now < w[3] {
            st.counters.token_expired.fetch_add(1, Ordering::Relaxed);
        }
        return fail("Lifetime validation failed, the token is expired.");
    }
    Ok(())
}

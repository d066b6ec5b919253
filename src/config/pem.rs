//! Certificate credentials: the PEM certificate and RSA private key Entra ID signs client
//! assertions with, read and checked at load time so a wrong file is reported before the
//! night's first token request.

use std::fmt;
use std::path::Path;

use ring::signature::RsaKeyPair;
use rustls_pki_types::pem::{self, PemObject, SectionKind};
use rustls_pki_types::{PrivateKeyDer, PrivatePkcs1KeyDer, PrivatePkcs8KeyDer};

use super::diag::Code;

/// The DER bytes of an RSA private key, tagged with their encoding. `Debug` never prints them.
#[derive(Clone, PartialEq, Eq)]
pub enum KeyDer {
    /// PKCS#8 (`-----BEGIN PRIVATE KEY-----`): `ring::signature::RsaKeyPair::from_pkcs8`.
    Pkcs8(Vec<u8>),
    /// PKCS#1 (`-----BEGIN RSA PRIVATE KEY-----`): `ring::signature::RsaKeyPair::from_der`.
    Pkcs1(Vec<u8>),
}

impl KeyDer {
    pub fn der(&self) -> &[u8] {
        match self {
            KeyDer::Pkcs8(d) | KeyDer::Pkcs1(d) => d,
        }
    }

    /// The same key as `rustls-pki-types` carries it.
    pub fn to_private_key_der(&self) -> PrivateKeyDer<'static> {
        match self {
            KeyDer::Pkcs8(d) => PrivateKeyDer::Pkcs8(PrivatePkcs8KeyDer::from(d.clone())),
            KeyDer::Pkcs1(d) => PrivateKeyDer::Pkcs1(PrivatePkcs1KeyDer::from(d.clone())),
        }
    }

    /// The key ready to sign (RS256).
    pub fn key_pair(&self) -> Result<RsaKeyPair, ring::error::KeyRejected> {
        match self {
            KeyDer::Pkcs8(d) => RsaKeyPair::from_pkcs8(d),
            KeyDer::Pkcs1(d) => RsaKeyPair::from_der(d),
        }
    }
}

impl fmt::Debug for KeyDer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            KeyDer::Pkcs8(_) => f.write_str("KeyDer::Pkcs8(***)"),
            KeyDer::Pkcs1(_) => f.write_str("KeyDer::Pkcs1(***)"),
        }
    }
}

/// A problem with a PEM file: code, message and fix (the caller adds the position).
pub(crate) struct PemProblem {
    pub(crate) code: Code,
    pub(crate) message_fr: String,
    pub(crate) fix_fr: String,
}

fn problem(code: Code, message_fr: String, fix_fr: String) -> PemProblem {
    PemProblem {
        code,
        message_fr,
        fix_fr,
    }
}

fn pem_error_fr(e: &pem::Error) -> String {
    match e {
        pem::Error::MissingSectionEnd { .. } => {
            "marque de fin « -----END …----- » manquante".into()
        }
        pem::Error::IllegalSectionStart { .. } => "ligne « -----BEGIN … » malformée".into(),
        pem::Error::Base64Decode(_) => "contenu base64 invalide".into(),
        pem::Error::SectionTooLarge => "bloc PEM démesuré".into(),
        other => format!("PEM illisible ({other})"),
    }
}

/// A file's bytes and the PEM sections found in them.
type PemSections = (Vec<u8>, Vec<(SectionKind, Vec<u8>)>);

/// Every PEM section of a file, or the reason there is none.
fn sections(path: &Path, what: &str) -> Result<PemSections, PemProblem> {
    let shown = path.display();
    let bytes = std::fs::read(path).map_err(|e| {
        let code = if e.kind() == std::io::ErrorKind::NotFound {
            Code::FileNotFound
        } else {
            Code::InvalidPem
        };
        problem(
            code,
            format!("{what} « {shown} » illisible : {}", super::io_error_fr(&e)),
            "vérifier le chemin et que le compte qui exécute vigie365 peut lire le fichier".into(),
        )
    })?;
    let mut found = Vec::new();
    for item in <(SectionKind, Vec<u8>)>::pem_slice_iter(&bytes) {
        match item {
            Ok(s) => found.push(s),
            Err(e) => {
                return Err(problem(
                    Code::InvalidPem,
                    format!("{what} « {shown} » : PEM invalide : {}", pem_error_fr(&e)),
                    "régénérer le fichier PEM, ou le reconvertir avec openssl".into(),
                ));
            }
        }
    }
    Ok((bytes, found))
}

fn not_pem(path: &Path, bytes: &[u8], what: &str, der_fix: &str) -> PemProblem {
    let shown = path.display();
    if bytes.first() == Some(&0x30) {
        problem(
            Code::InvalidPem,
            format!("{what} « {shown} » est en DER binaire, pas en PEM"),
            format!("le convertir : {der_fix}"),
        )
    } else {
        problem(
            Code::InvalidPem,
            format!(
                "{what} « {shown} » n'est pas un fichier PEM (aucun bloc « -----BEGIN … ----- »)"
            ),
            "indiquer le fichier PEM exporté avec la clé (texte commençant par -----BEGIN)".into(),
        )
    }
}

/// The DER of the first certificate of a PEM file (the leaf, when a chain follows).
pub(crate) fn load_certificate(path: &Path) -> Result<Vec<u8>, PemProblem> {
    let (bytes, found) = sections(path, "certificat")?;
    let shown = path.display();
    let mut kinds = Vec::new();
    for (kind, der) in found {
        if kind == SectionKind::Certificate {
            return Ok(der);
        }
        kinds.push(kind);
    }
    if kinds.iter().any(|k| {
        matches!(
            k,
            SectionKind::PrivateKey | SectionKind::RsaPrivateKey | SectionKind::EcPrivateKey
        )
    }) {
        return Err(problem(
            Code::InvalidPem,
            format!("« {shown} » contient une clé privée, pas un certificat"),
            "vérifier que certificat et cle_privee ne sont pas inversés".into(),
        ));
    }
    Err(not_pem(
        path,
        &bytes,
        "le certificat",
        &format!("openssl x509 -inform der -in {shown} -out {shown}.pem"),
    ))
}

/// The RSA private key of a PEM file (PKCS#8 or PKCS#1), checked usable for RS256, with the
/// DER of its public key (to match it against the certificate).
pub(crate) fn load_rsa_key(path: &Path) -> Result<(KeyDer, Vec<u8>), PemProblem> {
    let (bytes, found) = sections(path, "clé privée")?;
    let shown = path.display();
    let wrong_key = |detail: &str| {
        problem(
            Code::InvalidPem,
            format!("clé privée « {shown} » refusée : {detail}"),
            "Entra ID signe les assertions client en RS256 : générer une clé RSA de 2048 bits ou \
             plus (openssl req -x509 -newkey rsa:2048 -nodes …)"
                .into(),
        )
    };
    for (kind, der) in &found {
        let key = match kind {
            SectionKind::PrivateKey => KeyDer::Pkcs8(der.clone()),
            SectionKind::RsaPrivateKey => KeyDer::Pkcs1(der.clone()),
            SectionKind::EcPrivateKey => {
                return Err(wrong_key("clé EC (courbe elliptique), RSA attendue"));
            }
            _ => continue,
        };
        return match key.key_pair() {
            Ok(pair) => {
                let public = pair.public().as_ref().to_vec();
                Ok((key, public))
            }
            Err(e) => Err(wrong_key(match e.to_string().as_str() {
                "WrongAlgorithm" => "ce n'est pas une clé RSA (EC ou Ed25519 ?)",
                "TooSmall" => "clé RSA trop courte (2048 bits au moins)",
                "TooLarge" => "clé RSA trop longue (8192 bits au plus)",
                "InvalidEncoding" | "InvalidComponent" | "InconsistentComponents" => {
                    "contenu de la clé RSA invalide"
                }
                "VersionNotSupported" => "version de clé non prise en charge",
                "PrivateModulusLenNotMultipleOf512Bits" => {
                    "taille de clé non multiple de 512 bits (2048, 3072 ou 4096 attendus)"
                }
                _ => "clé RSA inutilisable",
            })),
        };
    }
    let text = String::from_utf8_lossy(&bytes);
    if text.contains("ENCRYPTED PRIVATE KEY") || text.contains("Proc-Type: 4,ENCRYPTED") {
        return Err(problem(
            Code::InvalidPem,
            format!(
                "clé privée « {shown} » chiffrée par une phrase de passe : non prise en charge"
            ),
            format!(
                "la déchiffrer : openssl pkey -in {shown} -out {shown}.clair ; puis chmod 600 et \
                 pointer cle_privee vers ce fichier"
            ),
        ));
    }
    if found.iter().any(|(k, _)| *k == SectionKind::Certificate) {
        return Err(problem(
            Code::InvalidPem,
            format!("« {shown} » contient un certificat, pas une clé privée"),
            "vérifier que certificat et cle_privee ne sont pas inversés".into(),
        ));
    }
    Err(not_pem(
        path,
        &bytes,
        "la clé privée",
        &format!("openssl pkey -inform der -in {shown} -out {shown}.pem"),
    ))
}

/// Whether a certificate carries this RSA public key: its SubjectPublicKeyInfo wraps the exact
/// DER `RSAPublicKey` (modulus and exponent) that the private key yields.
pub(crate) fn certificate_matches_key(cert_der: &[u8], public_key_der: &[u8]) -> bool {
    !public_key_der.is_empty()
        && cert_der
            .windows(public_key_der.len())
            .any(|w| w == public_key_der)
}

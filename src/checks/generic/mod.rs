//! Generic CHSLD accounts — orientation on generic subscriptions, technical
//! recommendations (MFA, virtual consultations only, fixed IP, register, passwords).

pub mod gen_mfa_01;

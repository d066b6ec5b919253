//! « Appli » service accounts — orientation, MFA recommendation: the type was used for a while
//! to avoid MFA and is reserved for applications (ticketing systems, for instance).

pub mod app_gen_01;
pub mod app_int_01;
pub mod app_mfa_01;

//! Generic CHSLD accounts — orientation on generic subscriptions, technical
//! recommendations (MFA, virtual consultations only, fixed IP) and organisational ones
//! (register of users, passwords changed at departures).

pub mod gen_app_01;
pub mod gen_dev_01;
pub mod gen_ip_01;
pub mod gen_ip_02;
pub mod gen_mfa_01;
pub mod gen_mfa_02;
pub mod gen_pwd_01;
pub mod gen_reg_01;

//! « Appli » service accounts — orientation, MFA recommendation: the type is reserved for applications.

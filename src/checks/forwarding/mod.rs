//! Mail forwarding — MSSS-DIR04 art. 6 4° and 5°: no automatic forwarding outside the corporate mail system.

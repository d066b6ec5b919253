//! Talking to Microsoft: tokens, throttle classes, retries, paging, `$batch`, Exchange admin API.

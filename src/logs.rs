//! Log lines (tracing), written to stderr: text or JSON, coloured only on a terminal, each
//! line made inert ([`escape::log_line`]: a field can carry tenant text) and, while progress
//! bars are shown, printed above them instead of through them.

use std::io::{IsTerminal as _, Write};
use std::sync::Mutex;

use indicatif::MultiProgress;

use crate::report::escape;

/// The bars on screen, if any: log lines are printed above them.
static BARS: Mutex<Option<MultiProgress>> = Mutex::new(None);

/// Log lines go above `bars` from now on (`None`: straight to stderr again).
pub(crate) fn show_above(bars: Option<MultiProgress>) {
    *BARS.lock().unwrap_or_else(|p| p.into_inner()) = bars;
}

/// Installs the process's log subscriber. `json` for `--log-format json`; `verbose` counts
/// `-v`; `quiet` keeps warnings only. `VIGIE365_LOG` overrides the filter.
pub fn init(json: bool, verbose: u8, quiet: bool) {
    let default = match verbose {
        0 if quiet => "warn",
        0 => "vigie365=info,warn",
        1 => "vigie365=debug,info",
        _ => "debug",
    };
    let filter = tracing_subscriber::EnvFilter::try_from_env("VIGIE365_LOG")
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new(default));
    let colours = !json && colours_wanted(std::io::stderr().is_terminal());
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_ansi(colours)
        .with_writer(move || LogLine::new(colours));
    let _ = if json {
        builder.json().flatten_event(true).try_init()
    } else {
        builder.with_target(false).try_init()
    };
}

/// Colours on a terminal, unless `NO_COLOR` is set (<https://no-color.org>).
fn colours_wanted(terminal: bool) -> bool {
    terminal && std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty())
}

/// One event being written: kept whole, then made inert and written in one go.
pub struct LogLine {
    buf: Vec<u8>,
    colours: bool,
}

impl LogLine {
    fn new(colours: bool) -> Self {
        LogLine {
            buf: Vec::with_capacity(256),
            colours,
        }
    }

    /// The inert text of the event.
    fn text(&self) -> String {
        let raw = String::from_utf8_lossy(&self.buf);
        escape::log_line(&raw, self.colours).into_owned()
    }
}

impl Write for LogLine {
    fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
        self.buf.extend_from_slice(bytes);
        Ok(bytes.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

impl Drop for LogLine {
    fn drop(&mut self) {
        if self.buf.is_empty() {
            return;
        }
        let text = self.text();
        let write = || {
            let mut err = std::io::stderr().lock();
            let _ = err.write_all(text.as_bytes());
            let _ = err.flush();
        };
        // Above the bars: they are cleared, the line written, and they are drawn again
        // below it, so no stale bar line is left on the screen.
        match BARS.lock().unwrap_or_else(|p| p.into_inner()).as_ref() {
            Some(bars) => bars.suspend(write),
            None => write(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_log_line_is_made_inert_and_keeps_only_its_colours() {
        let mut l = LogLine::new(true);
        let _ = l.write_all(b"\x1b[32m INFO\x1b[0m r\xc3\xa8gle \xe2\x80\xae\x1b]8;;x\x07\n");
        assert_eq!(l.text(), "\u{1b}[32m INFO\u{1b}[0m règle   ]8;;x \n");
        l.buf.clear();
        l.colours = false;
        let _ = l.write_all(b"\x1b[32m INFO\n");
        assert_eq!(l.text(), " [32m INFO\n");
        l.buf.clear(); // nothing written to the test's stderr on drop
    }

    #[test]
    fn colours_only_on_a_terminal() {
        assert!(!colours_wanted(false));
    }
}

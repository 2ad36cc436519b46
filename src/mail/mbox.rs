//! Reading and writing mbox (mboxo and mboxrd). Our own small reader instead of
//! mail-parser's because intake needs the byte offset of every message: it is how a
//! broken message is reported and where a killed import resumes.
//!
//! A message starts at a `From ` line at the start of the file or after a blank line
//! (or any `From ` line that looks like an envelope: `From addr Day Mon dd hh:mm:ss yyyy`).
//! `>From ` lines are unescaped mboxrd-style: one `>` is removed from `>+From `.

use std::io::{BufRead, Write};

/// One message cut out of an mbox.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct MboxMessage {
    /// Byte offset of its `From ` line.
    pub offset: u64,
    /// Byte offset just past it: where the next message (and a resume) starts.
    pub end: u64,
    /// The envelope time, when the `From ` line has one we can read.
    pub envelope_date: Option<chrono::DateTime<chrono::Utc>>,
    /// The message with `>From ` unescaped and the separating blank line removed.
    pub raw: Vec<u8>,
}

/// Iterates the messages of an mbox from a reader positioned at `start`.
pub(crate) struct MboxReader<R> {
    reader: R,
    pos: u64,
    pending: Option<(u64, Vec<u8>)>,
    done: bool,
}

impl<R: BufRead> MboxReader<R> {
    pub(crate) fn new(reader: R, start: u64) -> Self {
        MboxReader {
            reader,
            pos: start,
            pending: None,
            done: false,
        }
    }

    fn finish(&self, offset: u64, end: u64, from_line: Vec<u8>, mut raw: Vec<u8>) -> MboxMessage {
        if raw.ends_with(b"\r\n\r\n") {
            raw.truncate(raw.len() - 2);
        } else if raw.ends_with(b"\n\n") {
            raw.truncate(raw.len() - 1);
        }
        MboxMessage {
            offset,
            end,
            envelope_date: envelope_date(&from_line),
            raw,
        }
    }
}

impl<R: BufRead> Iterator for MboxReader<R> {
    type Item = std::io::Result<MboxMessage>;

    fn next(&mut self) -> Option<Self::Item> {
        if self.done {
            return None;
        }
        let (offset, from_line) = match self.pending.take() {
            Some(p) => p,
            None => {
                // Skip anything before the first `From ` line (a stray preamble).
                loop {
                    let mut line = Vec::new();
                    match self.reader.read_until(b'\n', &mut line) {
                        Ok(0) => {
                            self.done = true;
                            return None;
                        }
                        Ok(n) => {
                            let at = self.pos;
                            self.pos += n as u64;
                            if line.starts_with(b"From ") {
                                break (at, line);
                            }
                        }
                        Err(e) => {
                            self.done = true;
                            return Some(Err(e));
                        }
                    }
                }
            }
        };
        let mut raw = Vec::new();
        let mut prev_blank = false;
        loop {
            let mut line = Vec::new();
            match self.reader.read_until(b'\n', &mut line) {
                Ok(0) => {
                    self.done = true;
                    return Some(Ok(self.finish(offset, self.pos, from_line, raw)));
                }
                Ok(n) => {
                    let at = self.pos;
                    self.pos += n as u64;
                    if line.starts_with(b"From ") && (prev_blank || is_envelope(&line)) {
                        self.pending = Some((at, line));
                        return Some(Ok(self.finish(offset, at, from_line, raw)));
                    }
                    prev_blank = line == b"\n" || line == b"\r\n";
                    let quoted = line.iter().position(|&b| b != b'>').unwrap_or(0);
                    if quoted > 0 && line[quoted..].starts_with(b"From ") {
                        raw.extend_from_slice(&line[1..]);
                    } else {
                        raw.extend_from_slice(&line);
                    }
                }
                Err(e) => {
                    self.done = true;
                    return Some(Err(e));
                }
            }
        }
    }
}

/// `From sender Thu Nov 26 09:19:44 2026`: a sender and a time, so a `From ` that
/// merely starts a sentence in an mboxo body is not taken for a new message.
fn is_envelope(line: &[u8]) -> bool {
    envelope_date(line).is_some()
}

fn envelope_date(line: &[u8]) -> Option<chrono::DateTime<chrono::Utc>> {
    let text = std::str::from_utf8(line).ok()?;
    let rest = text.strip_prefix("From ")?.trim();
    let (_, date) = rest.split_once(char::is_whitespace)?;
    let date = date.split_whitespace().collect::<Vec<_>>().join(" ");
    // asctime: "Thu Nov 26 09:19:44 2026", sometimes with a zone before the year.
    let parts: Vec<&str> = date.split(' ').collect();
    let candidate = match parts.as_slice() {
        [d, m, day, t, y, ..] if y.len() == 4 => format!("{d} {m} {day} {t} {y}"),
        [d, m, day, t, _, y, ..] if y.len() == 4 => format!("{d} {m} {day} {t} {y}"),
        _ => return None,
    };
    chrono::NaiveDateTime::parse_from_str(&candidate, "%a %b %e %H:%M:%S %Y")
        .ok()
        .map(|n| n.and_utc())
}

/// Writes one message in mboxrd form: an envelope line, `>`-escaped `From ` lines,
/// and a blank line after.
pub(crate) fn write_message(
    out: &mut impl Write,
    sender: &str,
    date: chrono::DateTime<chrono::Utc>,
    raw: &[u8],
) -> std::io::Result<()> {
    let sender = if sender.is_empty() || sender.contains(char::is_whitespace) {
        "MAILER-DAEMON"
    } else {
        sender
    };
    writeln!(out, "From {sender} {}", date.format("%a %b %e %H:%M:%S %Y"))?;
    for line in raw.split_inclusive(|&b| b == b'\n') {
        let quoted = line.iter().position(|&b| b != b'>').unwrap_or(0);
        if line[quoted..].starts_with(b"From ") {
            out.write_all(b">")?;
        }
        out.write_all(line)?;
    }
    if !raw.ends_with(b"\n") {
        out.write_all(b"\n")?;
    }
    out.write_all(b"\n")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn read(data: &[u8]) -> Vec<MboxMessage> {
        MboxReader::new(data, 0).map(|m| m.unwrap()).collect()
    }

    #[test]
    fn splits_messages_and_records_offsets() {
        let data = b"From a@x Thu Nov 26 09:19:44 2026\nSubject: one\n\nbody\n\nFrom b@x Fri Nov 27 10:00:00 2026\nSubject: two\n\nbody two\n";
        let msgs = read(data);
        assert_eq!(msgs.len(), 2);
        assert_eq!(msgs[0].offset, 0);
        assert_eq!(msgs[0].raw, b"Subject: one\n\nbody\n");
        assert_eq!(msgs[1].offset, msgs[0].end);
        assert_eq!(&data[msgs[1].offset as usize..][..5], b"From ");
        assert_eq!(msgs[1].raw, b"Subject: two\n\nbody two\n");
        assert_eq!(
            msgs[0].envelope_date.unwrap().to_rfc3339(),
            "2026-11-26T09:19:44+00:00"
        );
    }

    #[test]
    fn unescapes_quoted_from_lines_and_keeps_unquoted_ones_in_body() {
        let data = b"From a@x Thu Nov 26 09:19:44 2026\nSubject: q\n\n>From here on\n>>From there\nFrom now on we ship faster\n";
        let msgs = read(data);
        assert_eq!(
            msgs.len(),
            1,
            "a body line starting with From is not a new message"
        );
        let body = String::from_utf8(msgs[0].raw.clone()).unwrap();
        assert!(body.contains("\nFrom here on\n>From there\n"), "{body}");
        assert!(body.contains("From now on we ship faster"));
    }

    #[test]
    fn written_mbox_reads_back_identically() {
        let raw = b"Subject: x\n\nFrom the start\n>From quoted\nend\n".to_vec();
        let mut out = Vec::new();
        let date = chrono::DateTime::from_timestamp(1_700_000_000, 0).unwrap();
        write_message(&mut out, "a@x", date, &raw).unwrap();
        write_message(&mut out, "b@x", date, &raw).unwrap();
        let msgs = read(&out);
        assert_eq!(msgs.len(), 2);
        assert_eq!(msgs[0].raw, raw);
        assert_eq!(msgs[1].raw, raw);
        assert_eq!(msgs[1].envelope_date, Some(date));
    }
}

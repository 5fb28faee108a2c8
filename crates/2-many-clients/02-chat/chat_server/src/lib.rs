//! The chat server's line handling, apart from the sockets so it can be tested alone.

/// The longest line a client may send, newline excluded. A longer one gets the client
/// disconnected: the server will not hold an endless line in memory.
pub const MAX_LINE: usize = 1024;

/// The most output the server holds for one client that does not read. Past it, the
/// client is disconnected as too slow, so one stalled reader cannot make the server grow.
pub const MAX_BACKLOG: usize = 64 * 1024;

/// A client sent a line longer than [`MAX_LINE`].
#[derive(Debug, PartialEq, Eq)]
pub struct LineTooLong;

// ANCHOR: inbox
/// The bytes a client has sent that do not yet end with a newline.
#[derive(Default)]
pub struct Inbox {
    partial: Vec<u8>,
}

impl Inbox {
    /// Adds what `recv` returned; gives back every line it completes (without
    /// `\n` or a `\r` before it), holding the rest until its newline arrives.
    /// The lines that came before an over-long one are given back too, with
    /// the error.
    pub fn push(&mut self, bytes: &[u8]) -> (Vec<Vec<u8>>, Result<(), LineTooLong>) {
        self.partial.extend_from_slice(bytes);
        let mut lines = Vec::new();
        while let Some(end) = self.partial.iter().position(|&b| b == b'\n') {
            let mut line: Vec<u8> = self.partial.drain(..=end).collect();
            line.pop(); // the '\n'
            if line.last() == Some(&b'\r') {
                line.pop();
            }
            if line.len() > MAX_LINE {
                return (lines, Err(LineTooLong));
            }
            lines.push(line);
        }
        if self.partial.len() > MAX_LINE {
            return (lines, Err(LineTooLong));
        }
        (lines, Ok(()))
    }
}
// ANCHOR_END: inbox

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_line_split_across_reads_comes_out_whole() {
        let mut inbox = Inbox::default();
        assert_eq!(inbox.push(b"hel"), (vec![], Ok(())));
        assert_eq!(inbox.push(b"lo\r\nwor"), (vec![b"hello".to_vec()], Ok(())));
        assert_eq!(
            inbox.push(b"ld\n\n"),
            (vec![b"world".to_vec(), b"".to_vec()], Ok(()))
        );
    }

    #[test]
    fn a_line_longer_than_the_limit_is_refused_even_before_its_newline() {
        let mut inbox = Inbox::default();
        assert_eq!(inbox.push(&[b'x'; MAX_LINE]), (vec![], Ok(())));
        assert_eq!(inbox.push(b"y"), (vec![], Err(LineTooLong)));
        let mut inbox = Inbox::default();
        let mut long = vec![b'x'; MAX_LINE + 1];
        long.push(b'\n');
        assert_eq!(inbox.push(&long), (vec![], Err(LineTooLong)));
        let mut exact = vec![b'x'; MAX_LINE];
        exact.push(b'\n');
        assert_eq!(
            Inbox::default().push(&exact),
            (vec![exact[..MAX_LINE].to_vec()], Ok(()))
        );
    }

    #[test]
    fn the_lines_before_an_over_long_one_are_given_back_with_the_error() {
        let mut burst = b"one\ntwo\n".to_vec();
        burst.extend_from_slice(&[b'x'; MAX_LINE + 1]);
        assert_eq!(
            Inbox::default().push(&burst),
            (vec![b"one".to_vec(), b"two".to_vec()], Err(LineTooLong))
        );
    }
}

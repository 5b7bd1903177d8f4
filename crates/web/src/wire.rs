//! Request targets as real clients send them, before hyper reads them.
//!
//! Go's `net/http`, curl and Microsoft's SCIM Validator send queries such as
//! `/Users?filter=userName+eq+"a@b.org"` with the quotes raw (`../shared/ENTRA.md`, "Wire forms").
//! RFC 3986 wants `"` percent-encoded, and hyper refuses the request line with a bare 400 before
//! any Roster code runs — which an administrator's Test Connection shows as a credentials problem.
//! [`QueryEncodingListener`] wraps each accepted connection in a [`QueryEncodingStream`] that
//! percent-encodes, in the *query* of each request line only, the bytes RFC 3986 excludes and
//! clients send anyway (`"`, `{`, `}`, `|`, `\`, `^`, `` ` ``, `<`, `>` and bytes ≥ 0x80, such as
//! raw UTF-8). The query then means exactly what its encoded form means; the path, the headers and
//! the bodies are never changed.
//!
//! To find every request line on a keep-alive or pipelined connection, the stream follows HTTP/1.1
//! message framing (RFC 9112 §6): it holds back each message head until its blank line, reads
//! `Content-Length` or `Transfer-Encoding: chunked` from it, and passes the body through while
//! counting it (chunked bodies with a state machine that mirrors hyper's decoder). Whenever it is
//! not certain where the next message starts — both framing headers, repeated or unparseable ones,
//! another transfer coding, an upgrade or `CONNECT`, bare LF line ends, obsolete line folding, a
//! head over [`MAX_HEAD`], a malformed chunk — it stops rewriting for the rest of the connection
//! and hands every byte to hyper unchanged (including the head it was unsure of), so hyper decides
//! and refuses as it would without this layer. Rewriting only ever happens inside a request line
//! both sides agree is one, so it cannot turn body bytes into a request or a request into a body.

use std::{
    io,
    pin::Pin,
    task::{Context, Poll, ready},
};

use axum::serve::Listener;
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};

/// The longest message head held back while looking for its end. Longer heads pass unchanged, and
/// so does the rest of their connection (hyper's own limit is larger; SCIM heads are a few hundred
/// bytes).
pub const MAX_HEAD: usize = 64 * 1024;

/// The held-back head's allocation kept between requests; SCIM heads are a few hundred bytes.
const KEPT_HEAD: usize = 2 * 1024;

/// How much is read from the socket at a time.
const READ_CHUNK: usize = 8 * 1024;

/// A [`Listener`] whose connections are [`QueryEncodingStream`]s.
#[derive(Debug)]
pub struct QueryEncodingListener<L> {
    inner: L,
}

impl<L> QueryEncodingListener<L> {
    pub fn new(inner: L) -> Self {
        Self { inner }
    }
}

impl<L: Listener> Listener for QueryEncodingListener<L> {
    type Io = QueryEncodingStream<L::Io>;
    type Addr = L::Addr;

    async fn accept(&mut self) -> (Self::Io, Self::Addr) {
        let (io, addr) = self.inner.accept().await;
        (QueryEncodingStream::new(io), addr)
    }

    fn local_addr(&self) -> io::Result<Self::Addr> {
        self.inner.local_addr()
    }
}

/// A connection whose request lines reach the reader with their queries percent-encoded; writes
/// pass straight through.
#[derive(Debug)]
pub struct QueryEncodingStream<S> {
    inner: S,
    rewriter: Rewriter,
    /// Where bytes are read from the socket: zeroed once per connection, not on every read.
    chunk: Vec<u8>,
    /// Rewritten bytes not yet handed to the reader, from `pending_pos` on.
    pending: Vec<u8>,
    pending_pos: usize,
}

impl<S> QueryEncodingStream<S> {
    pub fn new(inner: S) -> Self {
        Self {
            inner,
            rewriter: Rewriter::default(),
            chunk: Vec::new(),
            pending: Vec::new(),
            pending_pos: 0,
        }
    }
}

impl<S: AsyncRead + Unpin> AsyncRead for QueryEncodingStream<S> {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        let this = self.get_mut();
        loop {
            if this.pending_pos < this.pending.len() {
                let n = buf.remaining().min(this.pending.len() - this.pending_pos);
                buf.put_slice(&this.pending[this.pending_pos..this.pending_pos + n]);
                this.pending_pos += n;
                if this.pending_pos == this.pending.len() {
                    this.pending.clear();
                    this.pending_pos = 0;
                }
                return Poll::Ready(Ok(()));
            }
            if this.rewriter.is_passthrough() {
                return Pin::new(&mut this.inner).poll_read(cx, buf);
            }
            if this.chunk.is_empty() {
                this.chunk = vec![0; READ_CHUNK];
            }
            let mut read = ReadBuf::new(&mut this.chunk);
            ready!(Pin::new(&mut this.inner).poll_read(cx, &mut read))?;
            if read.filled().is_empty() {
                // End of stream: a head still held back goes to hyper as it came.
                this.rewriter.finish(&mut this.pending);
                if this.pending.is_empty() {
                    return Poll::Ready(Ok(()));
                }
            } else {
                this.rewriter.push(read.filled(), &mut this.pending);
            }
            if let Some(reason) = this.rewriter.gave_up.take() {
                tracing::debug!(
                    reason,
                    "passing the rest of the connection to the HTTP parser unchanged"
                );
            }
        }
    }
}

impl<S: AsyncWrite + Unpin> AsyncWrite for QueryEncodingStream<S> {
    fn poll_write(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.get_mut().inner).poll_write(cx, buf)
    }

    fn poll_write_vectored(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[io::IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.get_mut().inner).poll_write_vectored(cx, bufs)
    }

    fn is_write_vectored(&self) -> bool {
        self.inner.is_write_vectored()
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.get_mut().inner).poll_flush(cx)
    }

    fn poll_shutdown(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.get_mut().inner).poll_shutdown(cx)
    }
}

/// The pure part: bytes of a connection in, the same bytes with request-line queries encoded out.
#[derive(Debug, Default)]
struct Rewriter {
    state: State,
    /// The message head held back so far (in [`State::Head`]).
    head: Vec<u8>,
    /// Whether `head` has more than the blank lines a message may start with.
    head_started: bool,
    /// Set when the rewriter stops rewriting, for the log; taken by the stream.
    gave_up: Option<&'static str>,
}

#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
enum State {
    /// Reading a message head: held back until its blank line.
    #[default]
    Head,
    /// This many more bytes of a body framed by `Content-Length`.
    Body(u64),
    /// Inside a chunked body.
    Chunked(Chunk),
    /// Unsure where the next message starts: everything passes unchanged from here on.
    Passthrough,
}

/// Where a chunked body stands (RFC 9112 §7.1); the states and what each accepts are those of
/// hyper's decoder, except that a bare LF in a trailer section gives up instead of continuing.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Chunk {
    /// Expecting the first hex digit of a chunk size.
    Start,
    /// Inside the hex digits of a chunk size.
    Size(u64),
    /// Whitespace after the size.
    SizeLws(u64),
    /// A chunk extension, up to CR.
    Extension(u64),
    /// The LF ending the size line.
    SizeLf(u64),
    /// This many more bytes of chunk data.
    Data(u64),
    DataCr,
    DataLf,
    /// After the last chunk or a trailer line: CR of the final blank line, or a trailer line.
    EndCr,
    EndLf,
    Trailer,
    TrailerLf,
}

/// How the body after a head is framed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Framing {
    Length(u64),
    Chunked,
}

impl Rewriter {
    fn is_passthrough(&self) -> bool {
        self.state == State::Passthrough
    }

    /// Feeds the next bytes read from the connection; appends what the reader gets to `out`.
    fn push(&mut self, mut input: &[u8], out: &mut Vec<u8>) {
        while !input.is_empty() {
            match self.state {
                State::Passthrough => {
                    out.extend_from_slice(input);
                    return;
                }
                State::Body(remaining) => {
                    let n = usize::try_from(remaining).map_or(input.len(), |r| r.min(input.len()));
                    let (body, rest) = input.split_at(n);
                    out.extend_from_slice(body);
                    input = rest;
                    let left = remaining - n as u64;
                    self.state = if left == 0 {
                        State::Head
                    } else {
                        State::Body(left)
                    };
                }
                State::Chunked(Chunk::Data(remaining)) => {
                    let n = usize::try_from(remaining).map_or(input.len(), |r| r.min(input.len()));
                    let (data, rest) = input.split_at(n);
                    out.extend_from_slice(data);
                    input = rest;
                    let left = remaining - n as u64;
                    self.state = State::Chunked(if left == 0 {
                        Chunk::DataCr
                    } else {
                        Chunk::Data(left)
                    });
                }
                State::Chunked(chunk) => {
                    let Some((&byte, rest)) = input.split_first() else {
                        return;
                    };
                    out.push(byte);
                    input = rest;
                    self.state = match chunk.next(byte) {
                        Ok(Some(next)) => State::Chunked(next),
                        Ok(None) => State::Head,
                        Err(reason) => self.give_up(reason),
                    };
                }
                State::Head => input = self.push_head(input, out),
            }
        }
    }

    /// Takes bytes into the held-back head until it ends; returns what follows the head.
    ///
    /// Each byte is checked where it lies and the head grows by whole slices: appending byte by
    /// byte cost a few microseconds per request, on every request.
    fn push_head<'a>(&mut self, input: &'a [u8], out: &mut Vec<u8>) -> &'a [u8] {
        let held = self.head.len();
        let mut previous = self.head.last().copied();
        let mut before_previous = held.checked_sub(2).map(|i| self.head[i]);
        for (i, &byte) in input.iter().enumerate() {
            // Control bytes are refused anywhere in a head: give up at once, so that binary
            // input (a TLS handshake on the plain port) reaches hyper's refusal without waiting
            // for a blank line that never comes.
            let problem = if previous == Some(b'\r') && byte != b'\n' {
                Some("a CR without LF in a message head")
            } else if byte == b'\n' && previous != Some(b'\r') {
                Some("a bare LF in a message head")
            } else if (byte < 0x20 && !matches!(byte, b'\t' | b'\r' | b'\n')) || byte == 0x7f {
                Some("a control byte in a message head")
            } else if held + i + 1 > MAX_HEAD {
                Some("a message head longer than the rewriter holds")
            } else {
                None
            };
            let (taken, rest) = input.split_at(i + 1);
            if let Some(reason) = problem {
                self.head.extend_from_slice(taken);
                out.append(&mut self.head);
                self.head_started = false;
                self.state = self.give_up(reason);
                return rest;
            }
            self.head_started |= byte != b'\r' && byte != b'\n';
            // The head ends with the first blank line after the request line; blank lines before
            // it are skipped by the HTTP parser (RFC 9112 §2.2). Every LF here follows a CR (or
            // the head was given up above), so an LF two bytes after an LF ends "\r\n\r\n".
            if self.head_started && byte == b'\n' && before_previous == Some(b'\n') {
                self.head.extend_from_slice(taken);
                let rewritten = rewrite_head(&self.head, out);
                if rewritten.is_err() {
                    out.extend_from_slice(&self.head);
                }
                // Cleared, not taken: the next head reuses the allocation, unless this one was
                // unusually long — an idle connection must not keep up to MAX_HEAD.
                self.head.clear();
                self.head.shrink_to(KEPT_HEAD);
                self.head_started = false;
                self.state = match rewritten {
                    Ok(Framing::Length(0)) => State::Head,
                    Ok(Framing::Length(n)) => State::Body(n),
                    Ok(Framing::Chunked) => State::Chunked(Chunk::Start),
                    Err(reason) => self.give_up(reason),
                };
                return rest;
            }
            before_previous = previous;
            previous = Some(byte);
        }
        self.head.extend_from_slice(input);
        &[]
    }

    /// The connection ended: a head still held back goes out unchanged.
    fn finish(&mut self, out: &mut Vec<u8>) {
        out.append(&mut self.head);
        self.head_started = false;
        self.state = State::Passthrough;
    }

    fn give_up(&mut self, reason: &'static str) -> State {
        self.gave_up = Some(reason);
        State::Passthrough
    }
}

impl Chunk {
    /// The state after `byte`; `None` when the body is complete.
    fn next(self, byte: u8) -> Result<Option<Chunk>, &'static str> {
        let next = match (self, byte) {
            (Self::Start, _) => Self::Size(hex_digit(0, byte)?),
            (Self::Size(size), b'\t' | b' ') => Self::SizeLws(size),
            (Self::Size(size) | Self::SizeLws(size), b';') => Self::Extension(size),
            (Self::Size(size) | Self::SizeLws(size) | Self::Extension(size), b'\r') => {
                Self::SizeLf(size)
            }
            (Self::Size(size), _) => Self::Size(hex_digit(size, byte)?),
            (Self::SizeLws(size), b'\t' | b' ') => Self::SizeLws(size),
            (Self::Extension(_), b'\n') => return Err("a chunk extension with a bare LF"),
            (Self::Extension(size), _) => Self::Extension(size),
            (Self::SizeLf(0), b'\n') => Self::EndCr,
            (Self::SizeLf(size), b'\n') => Self::Data(size),
            (Self::DataCr, b'\r') => Self::DataLf,
            (Self::DataLf, b'\n') => Self::Start,
            (Self::EndCr, b'\r') => Self::EndLf,
            (Self::EndLf, b'\n') => return Ok(None),
            (Self::Trailer, b'\r') => Self::TrailerLf,
            (Self::EndCr | Self::Trailer, b'\n') => return Err("a bare LF in chunked trailers"),
            (Self::EndCr | Self::Trailer, _) => Self::Trailer,
            (Self::TrailerLf, b'\n') => Self::EndCr,
            _ => return Err("a malformed chunked body"),
        };
        Ok(Some(next))
    }
}

fn hex_digit(size: u64, byte: u8) -> Result<u64, &'static str> {
    let digit = match byte {
        b'0'..=b'9' => byte - b'0',
        b'a'..=b'f' => byte - b'a' + 10,
        b'A'..=b'F' => byte - b'A' + 10,
        _ => return Err("a malformed chunk size"),
    };
    size.checked_mul(16)
        .and_then(|s| s.checked_add(u64::from(digit)))
        .ok_or("a chunk size that overflows")
}

/// Writes `head` (CRLF line ends only, ending with its blank line) to `out` with its request-line
/// query encoded, and returns how its body is framed. On `Err` nothing has been written, and the
/// caller passes the head on unchanged.
fn rewrite_head(head: &[u8], out: &mut Vec<u8>) -> Result<Framing, &'static str> {
    let start = head
        .iter()
        .position(|&b| b != b'\r' && b != b'\n')
        .ok_or("no request line")?;
    let (blank_lines, rest) = head.split_at(start);
    let mut lines = rest
        .split(|&b| b == b'\n')
        .map(|line| line.strip_suffix(b"\r"));
    let request_line = lines.next().flatten().ok_or("no request line")?;
    let RequestLine {
        method,
        target,
        version,
    } = RequestLine::parse(request_line)?;
    let framing = framing(
        method,
        version,
        lines.map_while(|line| line.filter(|l| !l.is_empty())),
    )?;
    out.extend_from_slice(blank_lines);
    out.extend_from_slice(method);
    out.push(b' ');
    match target.iter().position(|&b| b == b'?') {
        Some(q) => {
            out.extend_from_slice(&target[..=q]);
            encode_query(&target[q + 1..], out);
        }
        None => out.extend_from_slice(target),
    }
    out.push(b' ');
    // The version, its CRLF and the header lines, as they came.
    out.extend_from_slice(&rest[method.len() + target.len() + 2..]);
    Ok(framing)
}

/// `method SP request-target SP HTTP-version` (RFC 9112 §3).
struct RequestLine<'a> {
    method: &'a [u8],
    target: &'a [u8],
    version: &'a [u8],
}

impl<'a> RequestLine<'a> {
    /// Splits and checks a request line as strictly as hyper's parser (httparse) does.
    fn parse(line: &'a [u8]) -> Result<Self, &'static str> {
        let mut parts = line.splitn(3, |&b| b == b' ');
        let (Some(method), Some(target), Some(version)) =
            (parts.next(), parts.next(), parts.next())
        else {
            return Err("a request line without three parts");
        };
        if method.is_empty() || !method.iter().all(|&b| is_tchar(b)) {
            return Err("a request line with an invalid method");
        }
        // What httparse accepts in a target: visible ASCII and any byte from 0x80 on.
        if target.is_empty()
            || !target
                .iter()
                .all(|&b| matches!(b, 0x21..=0x7e | 0x80..=0xff))
        {
            return Err("a request line with an invalid target");
        }
        if version != b"HTTP/1.1" && version != b"HTTP/1.0" {
            return Err("a request line with an unknown HTTP version");
        }
        Ok(Self {
            method,
            target,
            version,
        })
    }
}

/// The body framing of a request with these header lines (RFC 9112 §6.3), or `Err` for anything
/// the rewriter cannot be sure hyper reads the same way.
fn framing<'a>(
    method: &[u8],
    version: &[u8],
    header_lines: impl Iterator<Item = &'a [u8]>,
) -> Result<Framing, &'static str> {
    if method == b"CONNECT" {
        return Err("a CONNECT request");
    }
    let mut content_length = None;
    let mut chunked = false;
    for line in header_lines {
        let (name, value) = split_header(line)?;
        if name.eq_ignore_ascii_case(b"content-length") {
            if content_length.is_some() {
                return Err("more than one Content-Length");
            }
            content_length = Some(decimal(value).ok_or("an invalid Content-Length")?);
        } else if name.eq_ignore_ascii_case(b"transfer-encoding") {
            if chunked {
                return Err("more than one Transfer-Encoding");
            }
            if !value.eq_ignore_ascii_case(b"chunked") {
                return Err("a transfer coding other than chunked");
            }
            chunked = true;
        } else if name.eq_ignore_ascii_case(b"upgrade") {
            return Err("a protocol upgrade");
        }
    }
    match (content_length, chunked) {
        (Some(_), true) => Err("both Content-Length and Transfer-Encoding"),
        (None, true) if version != b"HTTP/1.1" => Err("Transfer-Encoding before HTTP/1.1"),
        (None, true) => Ok(Framing::Chunked),
        (Some(n), false) => Ok(Framing::Length(n)),
        (None, false) => Ok(Framing::Length(0)),
    }
}

/// `field-name ":" OWS field-value OWS` (RFC 9110 §5), the value without its surrounding
/// whitespace.
fn split_header(line: &[u8]) -> Result<(&[u8], &[u8]), &'static str> {
    let colon = line
        .iter()
        .position(|&b| b == b':')
        .ok_or("a header line without a colon")?;
    let (name, value) = (&line[..colon], &line[colon + 1..]);
    // An empty or non-token name also covers obsolete line folding (a line starting with
    // whitespace).
    if name.is_empty() || !name.iter().all(|&b| is_tchar(b)) {
        return Err("an invalid header name");
    }
    if !value
        .iter()
        .all(|&b| matches!(b, b'\t' | 0x20..=0x7e | 0x80..=0xff))
    {
        return Err("an invalid header value");
    }
    let is_ows = |b: &u8| matches!(b, b' ' | b'\t');
    let start = value.iter().position(|b| !is_ows(b)).unwrap_or(value.len());
    let end = value
        .iter()
        .rposition(|b| !is_ows(b))
        .map_or(start, |e| e + 1);
    Ok((name, &value[start..end]))
}

/// `1*DIGIT` as a `u64`: no sign, no spaces, no list.
fn decimal(value: &[u8]) -> Option<u64> {
    if value.is_empty() {
        return None;
    }
    value.iter().try_fold(0u64, |n, &b| {
        let digit = (b as char).to_digit(10)?;
        n.checked_mul(10)?.checked_add(u64::from(digit))
    })
}

/// `tchar` of RFC 9110 §5.6.2.
fn is_tchar(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b"!#$%&'*+-.^_`|~".contains(&b)
}

/// Appends `query` with the bytes RFC 3986 excludes from a query, but clients send, encoded.
fn encode_query(query: &[u8], out: &mut Vec<u8>) {
    const HEX: &[u8; 16] = b"0123456789ABCDEF";
    for &b in query {
        if matches!(
            b,
            b'"' | b'{' | b'}' | b'|' | b'\\' | b'^' | b'`' | b'<' | b'>' | 0x80..=0xff
        ) {
            out.extend_from_slice(&[b'%', HEX[usize::from(b >> 4)], HEX[usize::from(b & 0xf)]]);
        } else {
            out.push(b);
        }
    }
}

#[cfg(test)]
mod tests;

//! A minimal HTTP/1.1 client over one keep-alive `TcpStream`: enough for the demo to post
//! reports to its own server (reqwest is only a dev-dependency).
//!
//! It sends `Content-Length` bodies, reads the status line, the headers and a body framed by
//! `Content-Length` or chunked encoding (or ended by the connection), and reconnects when the
//! server has closed an idle connection.

use std::io;
use std::net::SocketAddr;
use std::time::{Duration, Instant};

use tokio::io::{AsyncBufReadExt, AsyncReadExt, AsyncWriteExt, BufReader};
use tokio::net::TcpStream;
use tokio::time::timeout;

/// Longest wait for a connection or a whole response.
const TIMEOUT: Duration = Duration::from_secs(10);
/// A connection idle for longer may have been closed by the server (actix: 5 s): reopen it.
const MAX_IDLE: Duration = Duration::from_secs(3);
/// Largest body read.
const MAX_BODY: usize = 1 << 20;

/// A response: its status and body.
#[derive(Debug, Clone)]
pub struct Response {
    pub status: u16,
    pub body: Vec<u8>,
}

/// One connection to one server, reopened as needed.
pub struct Client {
    addr: SocketAddr,
    conn: Option<(BufReader<TcpStream>, Instant)>,
}

impl Client {
    pub fn new(addr: SocketAddr) -> Self {
        Self { addr, conn: None }
    }

    /// Sends one request and reads its response. A request on a reused connection that the
    /// server closed before answering is sent once more on a new one.
    pub async fn request(
        &mut self,
        method: &str,
        path: &str,
        headers: &[(&str, &str)],
        body: &[u8],
    ) -> io::Result<Response> {
        if self
            .conn
            .as_ref()
            .is_some_and(|(_, t)| t.elapsed() > MAX_IDLE)
        {
            self.conn = None;
        }
        let reused = self.conn.is_some();
        let request = encode(&self.addr, method, path, headers, body);
        match timeout(TIMEOUT, self.exchange(&request)).await {
            Ok(Ok(r)) => Ok(r),
            Ok(Err(e)) if reused && closed_by_peer(&e) => {
                self.conn = None;
                self.send_fresh(&request).await
            }
            Ok(Err(e)) => {
                self.conn = None;
                Err(e)
            }
            Err(_) => {
                self.conn = None;
                Err(io::Error::new(io::ErrorKind::TimedOut, "no response"))
            }
        }
    }

    async fn send_fresh(&mut self, request: &[u8]) -> io::Result<Response> {
        match timeout(TIMEOUT, self.exchange(request)).await {
            Ok(r) => r.inspect_err(|_| self.conn = None),
            Err(_) => {
                self.conn = None;
                Err(io::Error::new(io::ErrorKind::TimedOut, "no response"))
            }
        }
    }

    async fn exchange(&mut self, request: &[u8]) -> io::Result<Response> {
        let (mut stream, _) = match self.conn.take() {
            Some(c) => c,
            None => {
                let s = TcpStream::connect(self.addr).await?;
                s.set_nodelay(true)?;
                (BufReader::new(s), Instant::now())
            }
        };
        stream.get_mut().write_all(request).await?;
        let (response, keep) = read_response(&mut stream).await?;
        if keep {
            self.conn = Some((stream, Instant::now()));
        }
        Ok(response)
    }
}

fn encode(
    addr: &SocketAddr,
    method: &str,
    path: &str,
    headers: &[(&str, &str)],
    body: &[u8],
) -> Vec<u8> {
    let mut head = format!(
        "{method} {path} HTTP/1.1\r\nHost: {addr}\r\nConnection: keep-alive\r\nContent-Length: {}\r\n",
        body.len()
    );
    for (name, value) in headers {
        head.push_str(&format!("{name}: {value}\r\n"));
    }
    head.push_str("\r\n");
    let mut out = head.into_bytes();
    out.extend_from_slice(body);
    out
}

/// Reads one response; also says whether the connection may be used again.
async fn read_response(stream: &mut BufReader<TcpStream>) -> io::Result<(Response, bool)> {
    let status_line = read_line(stream).await?;
    if status_line.is_empty() {
        // Closed before answering: the server dropped an idle connection.
        return Err(io::Error::new(io::ErrorKind::ConnectionAborted, "closed"));
    }
    let mut parts = status_line.split_whitespace();
    let version = parts.next().unwrap_or_default().to_owned();
    let status: u16 = parts
        .next()
        .and_then(|s| s.parse().ok())
        .ok_or_else(|| invalid(format!("bad status line {status_line:?}")))?;
    let mut length: Option<usize> = None;
    let mut chunked = false;
    let mut keep = version == "HTTP/1.1";
    loop {
        let line = read_line(stream).await?;
        if line.is_empty() {
            break;
        }
        let Some((name, value)) = line.split_once(':') else {
            continue;
        };
        let value = value.trim();
        match name.trim().to_ascii_lowercase().as_str() {
            "content-length" => {
                length = Some(value.parse().map_err(|_| invalid("bad content-length"))?);
            }
            "transfer-encoding" => chunked = value.eq_ignore_ascii_case("chunked"),
            "connection" => keep = !value.eq_ignore_ascii_case("close"),
            _ => {}
        }
    }
    let body = if chunked {
        read_chunked(stream).await?
    } else if let Some(n) = length {
        if n > MAX_BODY {
            return Err(invalid("body too large"));
        }
        let mut body = vec![0; n];
        stream.read_exact(&mut body).await?;
        body
    } else {
        keep = false;
        let mut body = Vec::new();
        stream.take(MAX_BODY as u64).read_to_end(&mut body).await?;
        body
    };
    Ok((Response { status, body }, keep))
}

async fn read_chunked(stream: &mut BufReader<TcpStream>) -> io::Result<Vec<u8>> {
    let mut body = Vec::new();
    loop {
        let line = read_line(stream).await?;
        let size = line.split(';').next().unwrap_or_default().trim();
        let size = usize::from_str_radix(size, 16).map_err(|_| invalid("bad chunk size"))?;
        if size == 0 {
            // Trailers, up to the blank line.
            while !read_line(stream).await?.is_empty() {}
            return Ok(body);
        }
        if body.len() + size > MAX_BODY {
            return Err(invalid("body too large"));
        }
        let start = body.len();
        body.resize(start + size, 0);
        stream.read_exact(&mut body[start..]).await?;
        read_line(stream).await?;
    }
}

/// One line without its CRLF; empty at the end of the stream or for a blank line.
async fn read_line(stream: &mut BufReader<TcpStream>) -> io::Result<String> {
    let mut line = String::new();
    (&mut *stream).take(8192).read_line(&mut line).await?;
    Ok(line.trim_end_matches(['\r', '\n']).to_owned())
}

/// Whether the server closed the connection under us (before answering).
fn closed_by_peer(e: &io::Error) -> bool {
    matches!(
        e.kind(),
        io::ErrorKind::ConnectionAborted
            | io::ErrorKind::ConnectionReset
            | io::ErrorKind::BrokenPipe
            | io::ErrorKind::UnexpectedEof
    )
}

fn invalid(reason: impl Into<String>) -> io::Error {
    io::Error::new(io::ErrorKind::InvalidData, reason.into())
}

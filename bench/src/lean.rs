//! A lean HTTP/1.1 client for the measured requests (the load scenarios, against Roster and the
//! peers alike, and the million-account lookups): hyper's own connection, one per request in
//! flight, without reqwest's pool, redirect and header handling. The load generator shares the
//! server's two cores, and reqwest took about as much CPU per lookup as the server did (~33 µs
//! against ~37 µs, measured from /proc), so its cost showed up as the server's queueing latency.

use anyhow::Context;
use http_body_util::{BodyExt, Full};
use hyper::{
    Method, Request, StatusCode,
    body::Bytes,
    client::conn::http1::{self, SendRequest},
    header::{AUTHORIZATION, CONTENT_TYPE, HOST},
};
use hyper_util::rt::TokioIo;
use tokio::net::TcpStream;

/// One keep-alive connection to the server.
pub struct Connection {
    addr: String,
    sender: SendRequest<Full<Bytes>>,
}

impl Connection {
    pub async fn open(addr: &str) -> anyhow::Result<Self> {
        let stream = TcpStream::connect(addr)
            .await
            .with_context(|| format!("connecting to {addr}"))?;
        stream.set_nodelay(true)?;
        let (sender, connection) = http1::handshake(TokioIo::new(stream)).await?;
        tokio::spawn(connection);
        Ok(Self {
            addr: addr.to_owned(),
            sender,
        })
    }

    /// `GET path_and_query` with a bearer token: the status and the body's length.
    pub async fn get(
        &mut self,
        path_and_query: &str,
        token: &str,
    ) -> anyhow::Result<(StatusCode, usize)> {
        let (status, body) = self
            .send(Method::GET, path_and_query, Some(token), None)
            .await?;
        Ok((status, body.len()))
    }

    /// One request, with a bearer token when given and a SCIM JSON body when given: the status
    /// and the whole body (reading it is part of the server's work being measured).
    pub async fn send(
        &mut self,
        method: Method,
        path_and_query: &str,
        token: Option<&str>,
        body: Option<Bytes>,
    ) -> anyhow::Result<(StatusCode, Bytes)> {
        if self.sender.ready().await.is_err() {
            // The server closed the connection after its last answer (`Connection: close`, as
            // some peers send): a new one, as a pooling client would open.
            *self = Self::open(&self.addr).await?;
            self.sender.ready().await?;
        }
        let mut request = Request::builder()
            .method(method)
            .uri(path_and_query)
            .header(HOST, &self.addr);
        if let Some(token) = token {
            request = request.header(AUTHORIZATION, format!("Bearer {token}"));
        }
        if body.is_some() {
            request = request.header(CONTENT_TYPE, "application/scim+json");
        }
        let request = request.body(Full::new(body.unwrap_or_default()))?;
        let response = self.sender.send_request(request).await?;
        let status = response.status();
        let body = response.into_body().collect().await?.to_bytes();
        Ok((status, body))
    }
}

//! The accept loop (mini-redis `server.rs`): TLS handshake with a deadline, HTTP/1.1 keep-alive served by
//! hyper with a bounded head and body and timeouts, a connection semaphore, exponential back-off on
//! accept errors, and a graceful stop (in-flight requests finish; every connection closed before
//! [`Running::stop`] returns).

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use http_body_util::{BodyExt, Full, Limited};
use hyper::body::Incoming;
use hyper::{Request, Response as HttpResponse, StatusCode};
use hyper_util::rt::{TokioIo, TokioTimer};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::{broadcast, mpsc, Semaphore};
use tokio_rustls::TlsAcceptor;

use super::handler::{Handler, Outcome, SetupError};
use super::shutdown::Shutdown;
use super::wire::HttpRequest;
use super::{Config, Faults, Peer};
use crate::checks::dmp::Transaction;

/// Why the simulator could not start.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum StartError {
    /// The address could not be bound (configuration: address in use, permission).
    #[error("cannot listen on {addr}: {source}")]
    Bind {
        /// Address.
        addr: String,
        /// System error.
        source: std::io::Error,
    },
    /// The state directory could not be opened.
    #[error("{0}")]
    Setup(#[from] SetupError),
}

/// A running simulator.
#[derive(Debug)]
pub struct Running {
    /// The bound address.
    pub addr: SocketAddr,
    /// The shared state (registry, faults, evidence).
    pub handler: Arc<Handler>,
    notify: broadcast::Sender<()>,
    join: tokio::task::JoinHandle<()>,
}

impl Running {
    /// `https://ADDR/dmp/…` URL of a transaction.
    pub fn url(&self, tx: Transaction) -> String {
        format!("https://{}{}", self.addr, super::path_of(tx))
    }

    /// The fault-injection queue.
    pub fn faults(&self) -> &Faults {
        &self.handler.faults
    }

    /// Stops accepting, lets in-flight requests finish, waits for every connection to close.
    pub async fn stop(self) {
        let _ = self.notify.send(());
        let _ = self.join.await;
    }
}

/// Binds `addr` (port 0: a free port), opens the state directory (replaying the evidence), and serves.
pub async fn start(
    addr: SocketAddr,
    config: Config,
    tls: Arc<rustls::ServerConfig>,
) -> Result<Running, StartError> {
    let listener = TcpListener::bind(addr)
        .await
        .map_err(|e| StartError::Bind {
            addr: addr.to_string(),
            source: e,
        })?;
    let local = listener.local_addr().map_err(|e| StartError::Bind {
        addr: addr.to_string(),
        source: e,
    })?;
    let handler = {
        let c = config.clone();
        tokio::task::spawn_blocking(move || Handler::open(c))
            .await
            .map_err(|e| StartError::Bind {
                addr: addr.to_string(),
                source: std::io::Error::other(e.to_string()),
            })??
    };
    let handler = Arc::new(handler);
    let (notify, _) = broadcast::channel(1);
    let listen = Listener {
        listener,
        acceptor: TlsAcceptor::from(tls),
        handler: handler.clone(),
        limit: Arc::new(Semaphore::new(config.net.max_connections)),
        notify: notify.clone(),
    };
    let join = tokio::spawn(listen.run());
    Ok(Running {
        addr: local,
        handler,
        notify,
        join,
    })
}

struct Listener {
    listener: TcpListener,
    acceptor: TlsAcceptor,
    handler: Arc<Handler>,
    /// Bounds the concurrent connections (mini-redis MAX_CONNECTIONS, here configurable).
    limit: Arc<Semaphore>,
    notify: broadcast::Sender<()>,
}

impl Listener {
    async fn run(self) {
        let (done_tx, mut done_rx) = mpsc::channel::<()>(1);
        let mut stop = Shutdown::new(self.notify.subscribe());
        let mut backoff = 1u64;
        loop {
            let permit = tokio::select! {
                p = self.limit.clone().acquire_owned() => match p { Ok(p) => p, Err(_) => break },
                _ = stop.recv() => break,
            };
            let accepted = tokio::select! {
                r = self.listener.accept() => r,
                _ = stop.recv() => break,
            };
            let (sock, peer) = match accepted {
                Ok(x) => {
                    backoff = 1;
                    x
                }
                Err(_) => {
                    // Out of file descriptors and the like: back off instead of spinning.
                    tokio::time::sleep(Duration::from_millis(backoff)).await;
                    backoff = (backoff * 2).min(1000);
                    continue;
                }
            };
            let _ = sock.set_nodelay(true);
            let conn = Connection {
                acceptor: self.acceptor.clone(),
                handler: self.handler.clone(),
                shutdown: Shutdown::new(self.notify.subscribe()),
                _done: done_tx.clone(),
            };
            tokio::spawn(async move {
                conn.serve(sock, peer).await;
                drop(permit);
            });
        }
        drop(done_tx);
        // Every connection holds a sender: the channel closes when the last one ends.
        let _ = done_rx.recv().await;
    }
}

struct Connection {
    acceptor: TlsAcceptor,
    handler: Arc<Handler>,
    shutdown: Shutdown,
    _done: mpsc::Sender<()>,
}

fn tls_name(v: rustls::ProtocolVersion) -> String {
    match v {
        rustls::ProtocolVersion::TLSv1_2 => "TLSv1.2".into(),
        rustls::ProtocolVersion::TLSv1_3 => "TLSv1.3".into(),
        other => format!("{other:?}"),
    }
}

impl Connection {
    async fn serve(mut self, sock: TcpStream, addr: SocketAddr) {
        let net = self.handler.config.net.clone();
        let tls =
            match tokio::time::timeout(net.handshake_timeout, self.acceptor.accept(sock)).await {
                Ok(Ok(s)) => s,
                Ok(Err(e)) => {
                    self.handler.tls_refused(&addr.to_string(), &e.to_string());
                    return;
                }
                Err(_) => {
                    self.handler
                        .tls_refused(&addr.to_string(), "handshake not completed in time");
                    return;
                }
            };
        let peer = {
            let (_, c) = tls.get_ref();
            let cert = c
                .peer_certificates()
                .and_then(|v| v.first())
                .map(|d| d.as_ref().to_vec());
            Peer {
                addr: addr.to_string(),
                tls_version: c.protocol_version().map(tls_name),
                subject: cert.as_deref().and_then(crate::pki::subject_of),
                client_cert: cert,
            }
        };
        let peer = Arc::new(peer);
        let handler = self.handler.clone();
        let svc = hyper::service::service_fn(move |req: Request<Incoming>| {
            let handler = handler.clone();
            let peer = peer.clone();
            let net = net.clone();
            async move { one(handler, peer, net, req).await }
        });
        let conn = hyper::server::conn::http1::Builder::new()
            .timer(TokioTimer::new())
            .header_read_timeout(self.handler.config.net.header_timeout)
            .max_buf_size(self.handler.config.net.max_header_bytes.max(8192))
            .keep_alive(true)
            .serve_connection(TokioIo::new(tls), svc);
        tokio::pin!(conn);
        tokio::select! {
            _ = conn.as_mut() => {}
            _ = self.shutdown.recv() => {
                conn.as_mut().graceful_shutdown();
                let _ = conn.as_mut().await;
            }
        }
    }
}

/// Why a request was not answered (hyper closes the connection).
#[derive(Debug, thiserror::Error)]
#[error("{0}")]
struct Dropped(&'static str);

fn plain(status: StatusCode, text: &str) -> HttpResponse<Full<Bytes>> {
    let mut r = HttpResponse::new(Full::new(Bytes::from(text.to_string())));
    *r.status_mut() = status;
    r.headers_mut().insert(
        hyper::header::CONTENT_TYPE,
        hyper::header::HeaderValue::from_static("text/plain; charset=utf-8"),
    );
    r
}

async fn one(
    handler: Arc<Handler>,
    peer: Arc<Peer>,
    net: super::NetLimits,
    req: Request<Incoming>,
) -> Result<HttpResponse<Full<Bytes>>, Dropped> {
    let method = req.method().as_str().to_string();
    let path = req.uri().path().to_string();
    let content_type = req
        .headers()
        .get(hyper::header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .map(str::to_string);
    // What the HTTP layer refuses is recorded too (nothing received is lost), then answered per HTTP.
    let refuse = |status: StatusCode, body: Bytes, rule: &'static str, fr: String, en: String| {
        let http = HttpRequest {
            method: method.clone(),
            path: path.clone(),
            content_type: content_type.clone(),
            body,
        };
        let (h, p) = (handler.clone(), peer.clone());
        async move {
            let text = format!("{en}\n");
            let _ = tokio::task::spawn_blocking(move || h.http_refused(&http, &p, rule, &fr, &en))
                .await;
            Ok(plain(status, &text))
        }
    };
    let known = [
        super::REPOSITORY_PATH,
        super::REGISTRY_PATH,
        super::PATIENTS_PATH,
    ]
    .contains(&path.as_str());
    if method != "POST" || !known {
        // Read what the peer sent (bounded) so that it is recorded with the refusal.
        let body = Limited::new(req.into_body(), net.max_body_bytes);
        let body = match tokio::time::timeout(net.body_timeout, body.collect()).await {
            Ok(Ok(b)) => b.to_bytes(),
            _ => Bytes::new(),
        };
        return if method != "POST" {
            refuse(
                StatusCode::METHOD_NOT_ALLOWED,
                body,
                "DMP-SOAP-010",
                format!("Méthode HTTP {method} : le DMP attend des requêtes SOAP 1.2 en POST sur /dmp/repository, /dmp/registry ou /dmp/patients"),
                format!("HTTP method {method}: the DMP expects SOAP 1.2 requests POSTed to /dmp/repository, /dmp/registry or /dmp/patients"),
            )
            .await
        } else {
            refuse(
                StatusCode::NOT_FOUND,
                body,
                "DMP-TX-010",
                format!("Service inconnu {path} : /dmp/repository (ITI-41, ITI-43), /dmp/registry (ITI-18, ITI-57) ou /dmp/patients (TD0.2)"),
                format!("Unknown service {path}: /dmp/repository (ITI-41, ITI-43), /dmp/registry (ITI-18, ITI-57) or /dmp/patients (TD0.2)"),
            )
            .await
        };
    }
    // A declared length beyond the limit is refused before reading anything.
    let declared = req
        .headers()
        .get(hyper::header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<u64>().ok());
    let limit = net.max_body_bytes;
    if declared.is_some_and(|l| l > limit as u64) {
        let l = declared.unwrap_or(0);
        return refuse(
            StatusCode::PAYLOAD_TOO_LARGE,
            Bytes::new(),
            "DMP-SOAP-010",
            format!("Corps annoncé de {l} octets, au-delà de la limite du simulateur ({limit} octets) : non lu"),
            format!("Announced body of {l} bytes, over the simulator's limit ({limit} bytes): not read"),
        )
        .await;
    }
    let body = Limited::new(req.into_body(), net.max_body_bytes);
    let body = match tokio::time::timeout(net.body_timeout, body.collect()).await {
        Err(_) => {
            let t = net.body_timeout.as_secs();
            return refuse(
                StatusCode::REQUEST_TIMEOUT,
                Bytes::new(),
                "DMP-SOAP-010",
                format!("Corps de requête non reçu en {t} s (en-tête enregistré seul)"),
                format!("Request body not received within {t} s (head recorded alone)"),
            )
            .await;
        }
        Ok(Err(e))
            if e.downcast_ref::<http_body_util::LengthLimitError>()
                .is_some() =>
        {
            return refuse(
                StatusCode::PAYLOAD_TOO_LARGE,
                Bytes::new(),
                "DMP-SOAP-010",
                format!("Corps de requête au-delà de la limite du simulateur ({limit} octets, en-tête enregistré seul)"),
                format!("Request body over the simulator's limit ({limit} bytes, head recorded alone)"),
            )
            .await;
        }
        Ok(Err(_)) => return Err(Dropped("body read error")),
        Ok(Ok(b)) => b.to_bytes(),
    };
    let http = HttpRequest {
        method: "POST".into(),
        path,
        content_type,
        body,
    };
    let h = handler.clone();
    let outcome = tokio::task::spawn_blocking(move || h.process(&http, &peer))
        .await
        .map_err(|_| Dropped("handler task failed"))?;
    match outcome {
        Outcome::Drop => Err(Dropped("fault injection: connection dropped")),
        Outcome::Respond(r, delay) => {
            if let Some(d) = delay {
                tokio::time::sleep(d).await;
            }
            let mut resp = HttpResponse::new(Full::new(Bytes::from(r.body)));
            *resp.status_mut() =
                StatusCode::from_u16(r.status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
            if !r.content_type.is_empty() {
                if let Ok(v) = hyper::header::HeaderValue::from_str(&r.content_type) {
                    resp.headers_mut().insert(hyper::header::CONTENT_TYPE, v);
                }
            }
            Ok(resp)
        }
    }
}

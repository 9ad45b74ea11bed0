//! Binding an emulator to loopback and running it in the background.
//!
//! Emulators always listen on 127.0.0.1 (never on another interface), on a chosen port or on
//! port 0 for tests, over plain HTTP or self-signed HTTPS.

use std::io;
use std::net::TcpListener;
use std::path::PathBuf;

use actix_http::{Request, Response};
use actix_web::body::MessageBody;
use actix_web::dev::{AppConfig, ServerHandle, Service, ServiceFactory};
use actix_web::{Error, HttpServer};

use super::tls::SelfSigned;

/// Where and how to listen.
#[derive(Debug, Clone, Default)]
pub struct ServerOptions {
    /// TCP port on 127.0.0.1; 0 picks a free one.
    pub port: u16,
    /// Serve HTTPS with a self-signed certificate written into this directory.
    pub tls_dir: Option<PathBuf>,
}

/// A listener bound on loopback, not yet serving.
pub struct BoundListener {
    listener: TcpListener,
    port: u16,
    tls: Option<SelfSigned>,
}

impl BoundListener {
    /// Binds 127.0.0.1 on the requested port; generates the certificate when TLS is asked for.
    pub fn bind(options: &ServerOptions, name: &str) -> io::Result<Self> {
        let listener = TcpListener::bind(("127.0.0.1", options.port))?;
        let port = listener.local_addr()?.port();
        let tls = match &options.tls_dir {
            Some(dir) => Some(SelfSigned::generate(dir, name)?),
            None => None,
        };
        Ok(Self {
            listener,
            port,
            tls,
        })
    }

    /// The port actually bound.
    pub fn port(&self) -> u16 {
        self.port
    }

    /// `http://127.0.0.1:<port>` or `https://127.0.0.1:<port>`.
    pub fn base_url(&self) -> String {
        let scheme = if self.tls.is_some() { "https" } else { "http" };
        format!("{scheme}://127.0.0.1:{}", self.port)
    }

    /// The PEM certificate clients should trust, when serving HTTPS.
    pub fn cert_path(&self) -> Option<PathBuf> {
        self.tls.as_ref().map(|t| t.cert_path.clone())
    }

    /// Starts serving `server` on this listener in the background.
    pub fn serve<F, I, S, B>(self, server: HttpServer<F, I, S, B>) -> io::Result<RunningServer>
    where
        F: Fn() -> I + Send + Clone + 'static,
        I: actix_service::IntoServiceFactory<S, Request>,
        S: ServiceFactory<Request, Config = AppConfig> + 'static,
        S::Error: Into<Error> + 'static,
        S::InitError: std::fmt::Debug,
        S::Response: Into<Response<B>> + 'static,
        <S::Service as Service<Request>>::Future: 'static,
        S::Service: 'static,
        B: MessageBody + 'static,
    {
        let base_url = self.base_url();
        let cert_path = self.cert_path();
        let server = server.workers(2).disable_signals().shutdown_timeout(1);
        let server = match self.tls {
            Some(tls) => server.listen_rustls_0_23(self.listener, tls.server_config)?,
            None => server.listen(self.listener)?,
        }
        .run();
        let handle = server.handle();
        let task = tokio::spawn(server);
        Ok(RunningServer {
            base_url,
            port: self.port,
            cert_path,
            handle,
            task,
        })
    }
}

/// A server running in the background; stop it with [`RunningServer::stop`].
pub struct RunningServer {
    /// Where it answers.
    pub base_url: String,
    /// Its port.
    pub port: u16,
    /// The certificate to trust, when serving HTTPS.
    pub cert_path: Option<PathBuf>,
    handle: ServerHandle,
    task: tokio::task::JoinHandle<io::Result<()>>,
}

impl RunningServer {
    /// Stops accepting, finishes in-flight requests (1 s grace) and waits for the server.
    pub async fn stop(self) {
        self.handle.stop(true).await;
        let _ = self.task.await;
    }

    /// Waits until the server stops by itself.
    pub async fn wait(self) -> io::Result<()> {
        self.task.await.map_err(io::Error::other)?
    }
}

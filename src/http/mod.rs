//! The HTTP API server (SPEC §4): `serve` sets up the listener, signals and
//! the shared [`App`]; [`server`] runs the connections; [`routes`] answers.
//!
//! Nothing below `http` knows about HTTP: the routes ask the
//! [`crate::cache::Cache`] for a generation and send its bytes.

pub mod request;
pub mod response;
pub mod routes;
pub mod server;

use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, RwLock};
use std::time::{Duration, Instant};

use crate::cache::{Cache, Paths};
use crate::clock::format_http_date;
use crate::config::{self, Config, Secret};
use crate::log;

/// The settings a running server can change on SIGHUP.
#[derive(Clone, Debug)]
pub struct Settings {
    pub auth: Option<Secret>,
    pub debug: bool,
    pub config_path: PathBuf,
    pub paths: Paths,
    pub listen: std::net::SocketAddr,
    pub threads: usize,
    /// Thresholds for the dashboard's colours.
    pub alarms: Arc<crate::alarm::Settings>,
    /// Different for every loading of the configuration: cached pages
    /// name the settings they were rendered with.
    pub epoch: u64,
}

impl Settings {
    fn of(config: &Config) -> Settings {
        static EPOCH: AtomicU64 = AtomicU64::new(0);
        Settings {
            alarms: Arc::new(config.alarms.clone()),
            epoch: EPOCH.fetch_add(1, Ordering::Relaxed),
            auth: config.auth.clone(),
            debug: config.debug,
            config_path: config.path.clone(),
            paths: Paths::of(config),
            listen: config.listen,
            threads: config.threads,
        }
    }
}

/// Status codes counted for `dhcpstats_requests_total`.
const COUNTED: [u16; 12] = [200, 304, 400, 401, 404, 405, 408, 413, 431, 500, 503, 0];

/// State shared by the poll loop and the workers.
pub struct App {
    settings: RwLock<Arc<Settings>>,
    pub cache: Cache,
    started: Instant,
    requests: [AtomicU64; 12],
    /// Responses abandoned because the client did not take them in time.
    cut: AtomicU64,
}

impl App {
    pub fn new(config: &Config, now: Option<i64>) -> App {
        App {
            settings: RwLock::new(Arc::new(Settings::of(config))),
            cache: Cache::new(Paths::of(config), now, Box::new(|m: &str| log::info(m))),
            started: Instant::now(),
            requests: Default::default(),
            cut: AtomicU64::new(0),
        }
    }

    pub fn settings(&self) -> Arc<Settings> {
        Arc::clone(&self.settings.read().unwrap_or_else(|p| p.into_inner()))
    }

    pub fn uptime(&self) -> Duration {
        self.started.elapsed()
    }

    pub fn date(&self) -> String {
        format_http_date(self.cache.now())
    }

    /// Counts an answer by status (other codes under "0").
    pub fn count(&self, status: u16) {
        let i = COUNTED
            .iter()
            .position(|c| *c == status)
            .unwrap_or(COUNTED.len() - 1);
        if let Some(n) = self.requests.get(i) {
            n.fetch_add(1, Ordering::Relaxed);
        }
    }

    /// Counts a response abandoned because the client did not take it
    /// within the deadline.
    pub fn count_cut(&self) {
        self.cut.fetch_add(1, Ordering::Relaxed);
    }

    pub fn responses_cut(&self) -> u64 {
        self.cut.load(Ordering::Relaxed)
    }

    /// (status, answers) for every status answered at least once.
    pub fn request_counts(&self) -> Vec<(u16, u64)> {
        COUNTED
            .iter()
            .zip(&self.requests)
            .map(|(c, n)| (*c, n.load(Ordering::Relaxed)))
            .filter(|(_, n)| *n > 0)
            .collect()
    }

    /// SIGHUP: read the configuration file again; keep the old one if the
    /// new one is broken.
    pub fn reload(&self) {
        let old = self.settings();
        match config::load(&old.config_path) {
            Ok(new) => {
                for w in &new.warnings {
                    log::warn(w);
                }
                let settings = Settings::of(&new);
                if settings.listen != old.listen || settings.threads != old.threads {
                    log::warn("listen and threads changes take effect after a restart");
                }
                self.cache.set_paths(settings.paths.clone());
                *self.settings.write().unwrap_or_else(|p| p.into_inner()) = Arc::new(settings);
                log::info(&format!("reloaded {}", old.config_path.display()));
            }
            Err(e) => log::error(&format!(
                "reload failed, keeping the running configuration: {e}"
            )),
        }
    }
}

/// `dhcpstats serve`: runs until SIGTERM/SIGINT; returns the exit code.
pub fn serve(config: Config, now: Option<i64>) -> i32 {
    let listener = match std::net::TcpListener::bind(config.listen) {
        Ok(l) => l,
        Err(e) => {
            log::error(&format!("cannot listen on {}: {e}", config.listen));
            return 2;
        }
    };
    let addr = listener
        .local_addr()
        .map_or_else(|_| config.listen.to_string(), |a| a.to_string());
    if let Err(e) = listener.set_nonblocking(true) {
        log::error(&format!("cannot use the listening socket: {e}"));
        return 2;
    }
    log::info(&format!(
        "dhcpstats {} listening on http://{addr} ({} workers, configuration {})",
        crate::VERSION,
        config.threads,
        config.path.display()
    ));
    for w in &config.warnings {
        log::warn(w);
    }

    let terminate = Arc::new(AtomicBool::new(false));
    let reload = Arc::new(AtomicBool::new(false));
    for sig in [signal_hook::consts::SIGTERM, signal_hook::consts::SIGINT] {
        // The second signal ends the process at once; the first asks for a
        // graceful stop.
        let registered =
            signal_hook::flag::register_conditional_shutdown(sig, 1, Arc::clone(&terminate))
                .and_then(|_| signal_hook::flag::register(sig, Arc::clone(&terminate)));
        if let Err(e) = registered {
            log::error(&format!("cannot handle signal {sig}: {e}"));
            return 2;
        }
    }
    if let Err(e) = signal_hook::flag::register(signal_hook::consts::SIGHUP, Arc::clone(&reload)) {
        log::error(&format!("cannot handle SIGHUP: {e}"));
        return 2;
    }

    let threads = config.threads;
    let app = Arc::new(App::new(&config, now));
    // Read the files now: the first request is then fast, and problems
    // show in the log at start.
    match app.cache.get() {
        Ok(g) => {
            let d = &g.info.diagnostics;
            let (e, w) = (
                d.count(crate::diag::Severity::Error),
                d.count(crate::diag::Severity::Warning),
            );
            if e + w > 0 {
                log::warn(&format!(
                    "the input files have {e} error(s) and {w} warning(s); see /status or run `dhcpstats check`"
                ));
            }
        }
        Err(e) => log::error(&format!(
            "no data yet ({}); answering 503 until the files can be read",
            e.0
        )),
    }
    let limits = server::Limits::for_threads(threads);
    match server::run(
        app,
        listener,
        threads,
        limits,
        server::Flags { terminate, reload },
    ) {
        Ok(()) => {
            log::info("stopped");
            0
        }
        Err(e) => {
            log::error(&format!("server failed: {e}"));
            1
        }
    }
}

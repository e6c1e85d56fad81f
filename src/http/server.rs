//! The connection engine: a poll loop per core (at most four) owns the
//! sockets it accepted; a fixed pool of workers computes answers that need
//! files read.
//!
//! Why this shape: a client that connects and sends nothing, or trickles
//! one byte a second, must not hold a worker. Here it holds only a slot in
//! the poll loop, bounded by a deadline for the whole request head
//! (`head_timeout`, not reset by trickled bytes) and by `max_connections`;
//! when the slots are full, the connection idle or stuck longest is closed
//! to make room. A worker is involved only once a complete, valid head
//! has arrived and the answer needs files read (cached answers come from
//! the loop itself), and the loop writes the answer, without blocking, so
//! a slow reader does not hold a worker either.
//!
//! Back-pressure: requests go to the workers through a bounded queue; when
//! it is full the loop answers 503 at once instead of queueing without
//! bound. Accept errors (EMFILE, …) are logged and accepting pauses
//! briefly; the loop never ends because of a client.
//!
//! Per connection: `Reading` (bytes accumulate until a head is complete)
//! → `Busy` (a worker has the request) → `Writing` (head and body go out
//! as the socket takes them) → `Reading` again for keep-alive, with any
//! pipelined bytes already buffered parsed first, in order.

use std::collections::VecDeque;
use std::io::{ErrorKind, Read, Write};
use std::net::SocketAddr;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc::{self, Receiver, SyncSender, TrySendError};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use mio::net::{TcpListener, TcpStream};
use mio::{Events, Interest, Poll, Token, Waker};

use super::request::{Head, MAX_HEAD, Method, Request, parse_head};
use super::response::Response;
use super::{App, routes};
use crate::log;

/// Limits of the engine; [`Limits::for_threads`] gives the production values.
#[derive(Clone, Debug)]
pub struct Limits {
    /// Time allowed from the first byte of a request head (or from the
    /// connection) until the head is complete.
    pub head_timeout: Duration,
    /// Time an idle keep-alive connection is kept.
    pub idle_timeout: Duration,
    /// Time a response may go without any byte being taken by the client.
    pub write_timeout: Duration,
    /// The whole response must be taken within `write_timeout` plus its
    /// length at this rate (bytes per second): a client that reads a
    /// byte now and then cannot keep a large body (and the generation it
    /// belongs to) in memory for longer than that.
    pub min_send_rate: u64,
    pub max_connections: usize,
    pub max_requests_per_connection: u32,
    /// Requests waiting for a worker beyond which the answer is 503.
    pub queue: usize,
    /// How long shutdown waits for requests in flight.
    pub shutdown_grace: Duration,
    /// Fault injection for tests: each poll loop's first `fail_polls`
    /// waits fail as if the poller had an error. Always 0 in production.
    pub fail_polls: u32,
}

impl Limits {
    pub fn for_threads(threads: usize) -> Limits {
        Limits {
            head_timeout: Duration::from_secs(10),
            idle_timeout: Duration::from_secs(15),
            write_timeout: Duration::from_secs(30),
            min_send_rate: 256 * 1024,
            max_connections: default_max_connections(),
            max_requests_per_connection: 1000,
            queue: threads.max(1) * 64,
            shutdown_grace: Duration::from_secs(10),
            fail_polls: 0,
        }
    }
}

/// Leaves room under the open-file limit for the listener, the files we
/// read and the poller; Linux exposes the limit in /proc.
fn default_max_connections() -> usize {
    let soft = std::fs::read_to_string("/proc/self/limits")
        .ok()
        .and_then(|text| {
            text.lines()
                .find(|l| l.starts_with("Max open files"))
                .and_then(|l| l.split_whitespace().nth(3))
                .and_then(|v| v.parse::<usize>().ok())
        });
    match soft {
        Some(n) => n.saturating_sub(64).clamp(16, 4096),
        None => 512,
    }
}

/// Consecutive poll failures after which a loop builds a new poller.
const POLL_FAILURES_BEFORE_REBUILD: u32 = 3;

const LISTENER: Token = Token(0);
const WAKER: Token = Token(1);
const FIRST_CONN: usize = 2;
const READ_CHUNK: usize = 16 * 1024;
/// Bytes buffered per connection: one head plus pipelined requests.
const MAX_BUFFERED: usize = MAX_HEAD * 2;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Phase {
    Reading,
    Busy,
    Writing,
}

struct Conn {
    id: u64,
    stream: TcpStream,
    peer: SocketAddr,
    phase: Phase,
    inbuf: Vec<u8>,
    head_out: Vec<u8>,
    body_out: Option<Arc<Vec<u8>>>,
    written: usize,
    deadline: Instant,
    /// While writing: when the whole response must be out.
    response_deadline: Instant,
    /// When the current head started (first byte), for its deadline.
    head_started: Option<Instant>,
    last_activity: Instant,
    served: u32,
    close_after: bool,
    peer_closed: bool,
    /// For the access log: request line, start.
    log_line: Option<(String, Instant, u16, usize)>,
}

struct Job {
    lane: usize,
    token: usize,
    conn_id: u64,
    request: Request,
}

struct Done {
    token: usize,
    conn_id: u64,
    request: Request,
    response: Response,
}

/// Signals the loop watches.
pub struct Flags {
    pub terminate: Arc<AtomicBool>,
    pub reload: Arc<AtomicBool>,
}

/// Runs until `flags.terminate` is set and in-flight requests are done.
pub fn run(
    app: Arc<App>,
    listener: std::net::TcpListener,
    threads: usize,
    limits: Limits,
    flags: Flags,
) -> std::io::Result<()> {
    // One poll loop per core (at most four): each owns the connections it
    // accepted. They share the listener, the workers and the cache.
    let loops = std::thread::available_parallelism()
        .map_or(1, |n| n.get())
        .clamp(1, 4);
    let per_loop = Limits {
        max_connections: (limits.max_connections / loops).max(8),
        ..limits.clone()
    };
    let (job_tx, job_rx) = mpsc::sync_channel::<Job>(limits.queue);
    let job_rx = Arc::new(Mutex::new(job_rx));
    let mut lanes = Vec::with_capacity(loops);
    let mut setups = Vec::with_capacity(loops);
    for _ in 0..loops {
        let poll = Poll::new()?;
        let waker = Arc::new(Waker::new(poll.registry(), WAKER)?);
        let mut l = TcpListener::from_std(listener.try_clone()?);
        poll.registry()
            .register(&mut l, LISTENER, Interest::READABLE)?;
        let (done_tx, done_rx) = mpsc::channel::<Done>();
        lanes.push(Lane {
            done: done_tx,
            waker: Mutex::new(waker),
        });
        setups.push((poll, l, done_rx));
    }
    drop(listener);
    let lanes = Arc::new(lanes);
    let mut workers = Vec::new();
    for i in 0..threads.max(1) {
        let (app, rx, lanes) = (Arc::clone(&app), Arc::clone(&job_rx), Arc::clone(&lanes));
        workers.push(
            std::thread::Builder::new()
                .name(format!("dhcpstats-worker-{i}"))
                .spawn(move || worker(&app, &rx, &lanes))?,
        );
    }
    let flags = Arc::new(flags);
    let mut handles = Vec::new();
    let mut first = None;
    for (lane, (poll, l, done_rx)) in setups.into_iter().enumerate() {
        let engine = Engine {
            app: Arc::clone(&app),
            limits: per_loop.clone(),
            lane,
            conns: Vec::new(),
            free: Vec::new(),
            open: 0,
            next_id: 1,
            jobs: Some(job_tx.clone()),
            accept_paused_until: None,
            last_accept_error: None,
            pending: VecDeque::new(),
            scratch: vec![0; READ_CHUNK],
        };
        if lane == 0 {
            first = Some((engine, poll, l, done_rx));
        } else {
            let (flags, lanes) = (Arc::clone(&flags), Arc::clone(&lanes));
            handles.push(
                std::thread::Builder::new()
                    .name(format!("dhcpstats-loop-{lane}"))
                    .spawn(move || poll_loop(engine, poll, l, &done_rx, &flags, &lanes))?,
            );
        }
    }
    // Closing the queue (every engine's sender dropped) ends the workers
    // once they finish their job.
    drop(job_tx);
    let mut result = Ok(());
    if let Some((engine, poll, l, done_rx)) = first {
        result = poll_loop(engine, poll, l, &done_rx, &flags, &lanes);
    }
    drop(lanes);
    for h in handles {
        match h.join() {
            Ok(r) => result = result.and(r),
            Err(_) => result = result.and(Err(std::io::Error::other("a poll loop panicked"))),
        }
    }
    for w in workers {
        let _ = w.join();
    }
    result
}

/// Where a worker sends an answer back: the loop that owns the connection.
struct Lane {
    done: mpsc::Sender<Done>,
    /// Replaced when the loop rebuilds its poller (see `poll_loop`).
    waker: Mutex<Arc<Waker>>,
}

impl Lane {
    fn wake(&self) {
        let waker = Arc::clone(&self.waker.lock().unwrap_or_else(|p| p.into_inner()));
        let _ = waker.wake();
    }
}

/// One poll loop, until termination is asked and its connections are done.
fn poll_loop(
    mut engine: Engine,
    mut poll: Poll,
    listener: TcpListener,
    done_rx: &Receiver<Done>,
    flags: &Flags,
    lanes: &[Lane],
) -> std::io::Result<()> {
    let mut listener = Some(listener);
    let mut events = Events::with_capacity(1024);
    let mut draining_since: Option<Instant> = None;
    let mut injected_failures = engine.limits.fail_polls;
    let mut failures: u32 = 0;
    loop {
        let timeout = engine.next_timeout().min(Duration::from_millis(250));
        let polled = if injected_failures > 0 {
            injected_failures -= 1;
            Err(std::io::Error::other("injected poll failure (test)"))
        } else {
            poll.poll(&mut events, Some(timeout))
        };
        if let Err(e) = polled {
            if e.kind() == ErrorKind::Interrupted {
                continue;
            }
            // The loop never ends because its poller failed: wait a
            // moment and try again; after repeated failures, start over
            // with a new poller, the listener and every connection
            // registered anew.
            failures += 1;
            if failures == 1 {
                log::error(&format!("poll failed: {e}; retrying"));
            }
            std::thread::sleep(Duration::from_millis(50));
            if failures >= POLL_FAILURES_BEFORE_REBUILD {
                match engine.rebuild(listener.as_mut(), lanes) {
                    Ok(new_poll) => {
                        poll = new_poll;
                        log::info("poll loop restarted with a new poller");
                        failures = 0;
                    }
                    Err(e) => log::error(&format!("cannot restart the poll loop: {e}")),
                }
            }
            continue;
        }
        failures = 0;
        for ev in events.iter() {
            match ev.token() {
                LISTENER => {
                    if let Some(l) = listener.as_mut() {
                        engine.accept_all(l, &poll);
                    }
                }
                WAKER => {}
                Token(t) => engine.on_ready(t, &poll, ev.is_readable(), ev.is_writable()),
            }
        }
        while let Ok(done) = done_rx.try_recv() {
            engine.finish(done, &poll);
        }
        engine.drain_pending(&poll);
        if engine
            .accept_paused_until
            .is_some_and(|t| Instant::now() >= t)
        {
            engine.accept_paused_until = None;
            if let Some(l) = listener.as_mut() {
                engine.accept_all(l, &poll);
            }
        }
        engine.expire(&poll);

        // Exactly one loop sees the flag set and reloads.
        if flags.reload.swap(false, Ordering::SeqCst) {
            engine.app.reload();
        }
        if flags.terminate.load(Ordering::SeqCst) && draining_since.is_none() {
            draining_since = Some(Instant::now());
            if let Some(mut l) = listener.take() {
                let _ = poll.registry().deregister(&mut l);
            }
            engine.close_idle(&poll);
            if engine.lane == 0 {
                log::info("stopping: no new connections; finishing requests in flight");
            }
        }
        if let Some(since) = draining_since {
            engine.close_idle(&poll);
            if engine.open == 0 || since.elapsed() > engine.limits.shutdown_grace {
                break;
            }
        }
    }
    engine.jobs = None;
    Ok(())
}

fn worker(app: &App, jobs: &Mutex<Receiver<Job>>, lanes: &[Lane]) {
    loop {
        let job = {
            let rx = jobs.lock().unwrap_or_else(|p| p.into_inner());
            rx.recv()
        };
        let Ok(job) = job else { return };
        // A bug must cost one answer, not the worker.
        let response = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
            routes::handle(app, &job.request)
        }))
        .unwrap_or_else(|_| {
            log::error("internal error while answering a request (a bug); answered 500");
            Response::message(500, "internal error")
        });
        let Some(lane) = lanes.get(job.lane) else {
            continue;
        };
        let sent = lane.done.send(Done {
            token: job.token,
            conn_id: job.conn_id,
            request: job.request,
            response,
        });
        if sent.is_ok() {
            lane.wake();
        }
    }
}

struct Engine {
    app: Arc<App>,
    limits: Limits,
    /// Which poll loop this is (answers from workers come back to it).
    lane: usize,
    conns: Vec<Option<Conn>>,
    free: Vec<usize>,
    open: usize,
    next_id: u64,
    jobs: Option<SyncSender<Job>>,
    accept_paused_until: Option<Instant>,
    last_accept_error: Option<Instant>,
    /// Connections back to reading after an answer, to be read and
    /// served by the loop. A queue, not a call: answering the next
    /// buffered request from inside the previous answer would recurse as
    /// deep as a client queues requests.
    pending: VecDeque<usize>,
    /// The read buffer (on the heap: the loop's stack stays small).
    scratch: Vec<u8>,
}

impl Engine {
    /// A new poller with the listener, a new waker (given to the workers
    /// through `lanes`) and every open connection registered; connections
    /// are then served as if their sockets had just become ready.
    fn rebuild(
        &mut self,
        listener: Option<&mut TcpListener>,
        lanes: &[Lane],
    ) -> std::io::Result<Poll> {
        let poll = Poll::new()?;
        let waker = Arc::new(Waker::new(poll.registry(), WAKER)?);
        if let Some(l) = listener {
            poll.registry().register(l, LISTENER, Interest::READABLE)?;
        }
        if let Some(lane) = lanes.get(self.lane) {
            *lane.waker.lock().unwrap_or_else(|p| p.into_inner()) = waker;
        }
        let mut lost = Vec::new();
        for (i, slot) in self.conns.iter_mut().enumerate() {
            if let Some(c) = slot {
                let registered = poll.registry().register(
                    &mut c.stream,
                    Token(i + FIRST_CONN),
                    Interest::READABLE | Interest::WRITABLE,
                );
                if registered.is_err() {
                    lost.push(i);
                }
            }
        }
        for i in lost {
            self.close(i, &poll);
        }
        for i in 0..self.conns.len() {
            match self.conns.get(i).and_then(Option::as_ref).map(|c| c.phase) {
                Some(Phase::Reading) => self.pending.push_back(i),
                Some(Phase::Writing) => self.write(i, &poll),
                _ => {}
            }
        }
        Ok(poll)
    }

    /// Serves the connections that finished an answer, round-robin, until
    /// none has a complete request buffered.
    fn drain_pending(&mut self, poll: &Poll) {
        while let Some(token) = self.pending.pop_front() {
            self.read(token, poll);
        }
    }

    fn next_timeout(&self) -> Duration {
        let now = Instant::now();
        self.conns
            .iter()
            .flatten()
            .filter(|c| c.phase != Phase::Busy)
            .map(|c| c.deadline.saturating_duration_since(now))
            .min()
            .unwrap_or(Duration::from_secs(1))
    }

    fn accept_all(&mut self, listener: &mut TcpListener, poll: &Poll) {
        loop {
            match listener.accept() {
                Ok((stream, peer)) => self.admit(stream, peer, poll),
                Err(e) if e.kind() == ErrorKind::WouldBlock => return,
                Err(e) if e.kind() == ErrorKind::Interrupted => continue,
                Err(e) => {
                    // Out of descriptors or memory: shed idle connections,
                    // wait a moment, and try again; never stop serving.
                    let quiet = self
                        .last_accept_error
                        .is_some_and(|t| t.elapsed() < Duration::from_secs(10));
                    if !quiet {
                        log::error(&format!(
                            "accept failed: {e}; closing idle connections and retrying in 100 ms"
                        ));
                        self.last_accept_error = Some(Instant::now());
                    }
                    self.evict_one(poll);
                    self.accept_paused_until = Some(Instant::now() + Duration::from_millis(100));
                    return;
                }
            }
        }
    }

    fn admit(&mut self, mut stream: TcpStream, peer: SocketAddr, poll: &Poll) {
        if self.open >= self.limits.max_connections && !self.evict_one(poll) {
            // Everyone is busy: say so at once rather than queue.
            let r = Response::message(503, "server overloaded; try again");
            let mut bytes = r.head(false, false, &self.app.date());
            bytes.extend_from_slice(&r.body);
            let _ = stream.write(&bytes);
            self.app.count(503);
            return;
        }
        let _ = stream.set_nodelay(true);
        let token = self.free.pop().unwrap_or_else(|| {
            self.conns.push(None);
            self.conns.len() - 1
        });
        if poll
            .registry()
            .register(
                &mut stream,
                Token(token + FIRST_CONN),
                Interest::READABLE | Interest::WRITABLE,
            )
            .is_err()
        {
            self.free.push(token);
            return;
        }
        let now = Instant::now();
        let id = self.next_id;
        self.next_id += 1;
        if let Some(slot) = self.conns.get_mut(token) {
            *slot = Some(Conn {
                id,
                stream,
                peer,
                phase: Phase::Reading,
                inbuf: Vec::new(),
                head_out: Vec::new(),
                body_out: None,
                written: 0,
                deadline: now + self.limits.head_timeout,
                response_deadline: now,
                head_started: Some(now),
                last_activity: now,
                served: 0,
                close_after: false,
                peer_closed: false,
                log_line: None,
            });
            self.open += 1;
        }
        self.read(token, poll);
    }

    /// Closes the connection that waits longest without a request in
    /// flight (idle keep-alive, or a head that is not coming). Returns
    /// false if every connection is busy.
    fn evict_one(&mut self, poll: &Poll) -> bool {
        let victim = self
            .conns
            .iter()
            .enumerate()
            .filter_map(|(i, c)| c.as_ref().map(|c| (i, c)))
            .filter(|(_, c)| c.phase == Phase::Reading)
            .min_by_key(|(_, c)| c.last_activity)
            .map(|(i, _)| i);
        match victim {
            Some(i) => {
                self.close(i, poll);
                true
            }
            None => false,
        }
    }

    fn close(&mut self, token: usize, poll: &Poll) {
        if let Some(slot) = self.conns.get_mut(token) {
            if let Some(mut c) = slot.take() {
                let _ = poll.registry().deregister(&mut c.stream);
                self.free.push(token);
                self.open = self.open.saturating_sub(1);
            }
        }
    }

    fn on_ready(&mut self, t: usize, poll: &Poll, readable: bool, writable: bool) {
        let Some(token) = t.checked_sub(FIRST_CONN) else {
            return;
        };
        let phase = match self.conns.get(token).and_then(Option::as_ref) {
            Some(c) => c.phase,
            None => return,
        };
        match phase {
            Phase::Reading if readable => self.read(token, poll),
            Phase::Writing if writable => self.write(token, poll),
            // Bytes arriving while a request is being answered are read
            // when the connection is back to reading.
            _ => {}
        }
    }

    /// Reads what the socket has (up to the buffer limit), then handles
    /// complete heads.
    fn read(&mut self, token: usize, poll: &Poll) {
        let mut failed = false;
        let mut chunk = std::mem::take(&mut self.scratch);
        chunk.resize(READ_CHUNK, 0);
        if let Some(c) = self.conns.get_mut(token).and_then(Option::as_mut) {
            while c.inbuf.len() < MAX_BUFFERED && !c.peer_closed {
                let room = (MAX_BUFFERED - c.inbuf.len()).min(READ_CHUNK);
                match c.stream.read(chunk.get_mut(..room).unwrap_or_default()) {
                    Ok(0) => c.peer_closed = true,
                    Ok(n) => {
                        c.inbuf
                            .extend_from_slice(chunk.get(..n).unwrap_or_default());
                        c.last_activity = Instant::now();
                        if c.head_started.is_none() {
                            c.head_started = Some(Instant::now());
                            c.deadline = Instant::now() + self.limits.head_timeout;
                        }
                    }
                    Err(e) if e.kind() == ErrorKind::WouldBlock => break,
                    Err(e) if e.kind() == ErrorKind::Interrupted => continue,
                    Err(_) => {
                        failed = true;
                        break;
                    }
                }
            }
        }
        self.scratch = chunk;
        if failed {
            self.close(token, poll);
            return;
        }
        self.process(token, poll);
    }

    /// Parses the next head in the buffer and dispatches it.
    fn process(&mut self, token: usize, poll: &Poll) {
        enum Action {
            Wait,
            Close,
            Reject(Response, String),
            Dispatch(Request, String, u64),
        }
        let action = {
            let Some(c) = self.conns.get_mut(token).and_then(Option::as_mut) else {
                return;
            };
            if c.phase != Phase::Reading {
                return;
            }
            if c.inbuf.is_empty() {
                if c.peer_closed {
                    Action::Close
                } else {
                    Action::Wait
                }
            } else {
                match parse_head(&c.inbuf) {
                    Head::Partial if c.peer_closed => Action::Close,
                    Head::Partial => Action::Wait,
                    Head::Rejected(r) => {
                        let mut resp = Response::message(r.status, r.message);
                        resp.close = true;
                        let line = first_line(&c.inbuf);
                        c.inbuf.clear();
                        Action::Reject(resp, line)
                    }
                    Head::Complete(request, len) => {
                        c.inbuf.drain(..len.min(c.inbuf.len()));
                        c.served += 1;
                        c.head_started = if c.inbuf.is_empty() {
                            None
                        } else {
                            Some(Instant::now())
                        };
                        let line = format!(
                            "{} {} HTTP/1.{}",
                            request.method_text,
                            request.target,
                            u8::from(!request.http10)
                        );
                        c.phase = Phase::Busy;
                        c.log_line = Some((line.clone(), Instant::now(), 0, 0));
                        Action::Dispatch(request, line, c.id)
                    }
                }
            }
        };
        match action {
            Action::Wait => {}
            Action::Close => self.close(token, poll),
            Action::Reject(resp, line) => self.respond(token, None, resp, line, poll),
            Action::Dispatch(request, line, conn_id) => {
                // Most answers need only cached bytes: give them at once,
                // without waking a worker.
                let inline = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
                    routes::answer(&self.app, &request, routes::Place::Loop)
                }));
                match inline {
                    Ok(Some(response)) => {
                        self.respond(token, Some(request), response, line, poll);
                        return;
                    }
                    Ok(None) => {}
                    Err(_) => {
                        log::error(
                            "internal error while answering a request (a bug); answered 500",
                        );
                        self.respond(
                            token,
                            Some(request),
                            Response::message(500, "internal error"),
                            line,
                            poll,
                        );
                        return;
                    }
                }
                let job = Job {
                    lane: self.lane,
                    token,
                    conn_id,
                    request,
                };
                let sent = match &self.jobs {
                    Some(jobs) => jobs.try_send(job),
                    None => Err(TrySendError::Disconnected(job)),
                };
                if let Err(TrySendError::Full(job) | TrySendError::Disconnected(job)) = sent {
                    let mut r = Response::message(503, "server overloaded; try again");
                    r.close = true;
                    self.respond(token, Some(job.request), r, line, poll);
                }
            }
        }
    }

    fn finish(&mut self, done: Done, poll: &Poll) {
        let same = self
            .conns
            .get(done.token)
            .and_then(Option::as_ref)
            .is_some_and(|c| c.id == done.conn_id);
        if !same {
            return; // the connection went away meanwhile
        }
        let line = self
            .conns
            .get(done.token)
            .and_then(Option::as_ref)
            .and_then(|c| c.log_line.as_ref().map(|l| l.0.clone()))
            .unwrap_or_default();
        self.respond(done.token, Some(done.request), done.response, line, poll);
    }

    /// Starts writing an answer; `request` is `None` for a head that could
    /// not be parsed (the connection then closes).
    fn respond(
        &mut self,
        token: usize,
        request: Option<Request>,
        response: Response,
        line: String,
        poll: &Poll,
    ) {
        self.app.count(response.status);
        let date = self.app.date();
        let max_requests = self.limits.max_requests_per_connection;
        let write_timeout = self.limits.write_timeout;
        let min_send_rate = self.limits.min_send_rate;
        let Some(c) = self.conns.get_mut(token).and_then(Option::as_mut) else {
            return;
        };
        let wants_keep_alive = request.as_ref().is_some_and(|r| r.keep_alive);
        let keep_alive =
            wants_keep_alive && !response.close && !c.peer_closed && c.served < max_requests;
        let http10 = request.as_ref().is_some_and(|r| r.http10);
        let head_only =
            request.as_ref().is_some_and(|r| r.method == Method::Head) || response.status == 304;
        c.head_out = response.head(keep_alive, http10, &date);
        c.body_out = if head_only {
            None
        } else {
            Some(Arc::clone(&response.body))
        };
        c.written = 0;
        c.close_after = !keep_alive;
        c.phase = Phase::Writing;
        let total = (c.head_out.len() + c.body_out.as_ref().map_or(0, |b| b.len())) as u64;
        let transfer = Duration::from_secs(total / min_send_rate.max(1));
        c.response_deadline = Instant::now() + write_timeout + transfer;
        c.deadline = (Instant::now() + write_timeout).min(c.response_deadline);
        let started = c.log_line.as_ref().map_or_else(Instant::now, |l| l.1);
        c.log_line = Some((line, started, response.status, response.body.len()));
        self.write(token, poll);
    }

    fn write(&mut self, token: usize, poll: &Poll) {
        enum Outcome {
            Blocked,
            Failed,
            Sent,
        }
        let write_timeout = self.limits.write_timeout;
        let outcome = {
            let Some(c) = self.conns.get_mut(token).and_then(Option::as_mut) else {
                return;
            };
            loop {
                let head_len = c.head_out.len();
                let pending: &[u8] = if c.written < head_len {
                    c.head_out.get(c.written..).unwrap_or_default()
                } else {
                    match &c.body_out {
                        Some(b) => b.get(c.written - head_len..).unwrap_or_default(),
                        None => &[],
                    }
                };
                if pending.is_empty() {
                    break Outcome::Sent;
                }
                match c.stream.write(pending) {
                    Ok(0) => break Outcome::Failed,
                    Ok(n) => {
                        c.written += n;
                        // Progress buys time, but never past the deadline
                        // of the whole response.
                        c.deadline = (Instant::now() + write_timeout).min(c.response_deadline);
                    }
                    Err(e) if e.kind() == ErrorKind::WouldBlock => break Outcome::Blocked,
                    Err(e) if e.kind() == ErrorKind::Interrupted => continue,
                    Err(_) => break Outcome::Failed,
                }
            }
        };
        match outcome {
            Outcome::Blocked => {}
            Outcome::Failed => self.close(token, poll),
            Outcome::Sent => self.sent(token, poll),
        }
    }

    /// An answer went out completely: log it, then close or go back to
    /// reading the next request.
    fn sent(&mut self, token: usize, poll: &Poll) {
        let debug = self.app.settings().debug;
        let (head_timeout, idle_timeout) = (self.limits.head_timeout, self.limits.idle_timeout);
        let close = {
            let Some(c) = self.conns.get_mut(token).and_then(Option::as_mut) else {
                return;
            };
            if let Some((line, started, status, len)) = c.log_line.take() {
                if debug {
                    log::info(&format!(
                        "{} \"{}\" {status} {len} {:.2}ms",
                        c.peer,
                        line.escape_debug(),
                        started.elapsed().as_secs_f64() * 1000.0
                    ));
                }
            }
            if c.close_after {
                let _ = c.stream.flush();
                let _ = c.stream.shutdown(std::net::Shutdown::Write);
                true
            } else {
                c.phase = Phase::Reading;
                c.head_out = Vec::new();
                c.body_out = None;
                c.last_activity = Instant::now();
                c.deadline = match c.head_started {
                    Some(t) => t + head_timeout,
                    None => Instant::now() + idle_timeout,
                };
                false
            }
        };
        if close {
            self.close(token, poll);
        } else {
            // Pipelined requests already buffered, then whatever the socket
            // received while we were busy (its readiness was used up):
            // queued for the loop, see `pending`.
            self.pending.push_back(token);
        }
    }

    /// Closes connections whose deadline passed: a head that did not
    /// arrive in time gets a 408, an idle keep-alive connection is just
    /// closed, a client that stopped reading is dropped.
    fn expire(&mut self, poll: &Poll) {
        let now = Instant::now();
        let expired: Vec<(usize, Phase, bool)> = self
            .conns
            .iter()
            .enumerate()
            .filter_map(|(i, c)| c.as_ref().map(|c| (i, c)))
            .filter(|(_, c)| c.phase != Phase::Busy && c.deadline <= now)
            .map(|(i, c)| (i, c.phase, !c.inbuf.is_empty()))
            .collect();
        for (token, phase, partial_head) in expired {
            if phase == Phase::Reading && partial_head {
                let mut r = Response::message(408, "request head not received in time");
                r.close = true;
                let line = self
                    .conns
                    .get(token)
                    .and_then(Option::as_ref)
                    .map(|c| first_line(&c.inbuf))
                    .unwrap_or_default();
                if let Some(c) = self.conns.get_mut(token).and_then(Option::as_mut) {
                    c.inbuf.clear();
                }
                self.respond(token, None, r, line, poll);
                // If the client does not read the 408 either, drop it now.
                if self
                    .conns
                    .get(token)
                    .and_then(Option::as_ref)
                    .is_some_and(|c| c.phase == Phase::Writing)
                {
                    self.close(token, poll);
                }
            } else {
                if phase == Phase::Writing {
                    // A client that did not take its answer in time.
                    self.app.count_cut();
                }
                self.close(token, poll);
            }
        }
    }

    /// During shutdown: closes every connection without work in progress.
    fn close_idle(&mut self, poll: &Poll) {
        let idle: VecDeque<usize> = self
            .conns
            .iter()
            .enumerate()
            .filter_map(|(i, c)| c.as_ref().map(|c| (i, c)))
            .filter(|(_, c)| c.phase == Phase::Reading)
            .map(|(i, _)| i)
            .collect();
        for token in idle {
            self.close(token, poll);
        }
        for c in self.conns.iter_mut().flatten() {
            c.close_after = true;
        }
    }
}

/// The request line of a buffer, for logs (never the headers: they may
/// hold the API key).
fn first_line(buf: &[u8]) -> String {
    let end = buf
        .iter()
        .position(|&b| b == b'\r' || b == b'\n')
        .unwrap_or(buf.len())
        .min(200);
    String::from_utf8_lossy(buf.get(..end).unwrap_or_default()).into_owned()
}

#[cfg(test)]
mod tests {
    //! The engine with limits no production server has: a short response
    //! deadline, and pollers that fail.

    use super::*;
    use std::net::TcpStream;
    use std::path::PathBuf;

    /// A temporary directory with a lease file of `leases` active leases
    /// (about 160 bytes each in a full `/subnets`) and its configuration.
    struct Site(PathBuf);

    impl Site {
        fn new(tag: &str, leases: u32) -> Site {
            let dir = std::env::temp_dir().join(format!("dhcpstats-{tag}-{}", std::process::id()));
            let _ = std::fs::remove_dir_all(&dir);
            std::fs::create_dir_all(&dir).expect("temp dir");
            std::fs::write(
                dir.join("dhcpd.conf"),
                "subnet 10.0.0.0 netmask 255.0.0.0 { range 10.0.0.1 10.255.255.254; }\n",
            )
            .expect("write conf");
            let mut text = String::new();
            for i in 0..leases {
                text.push_str(&format!(
                    "lease 10.{}.{}.{} {{\n  starts 4 2026/11/26 01:00:00;\n  ends never;\n  binding state active;\n  hardware ethernet 02:00:00:{:02x}:{:02x}:{:02x};\n  client-hostname \"host-{i}\";\n}}\n",
                    (i >> 16) & 255, (i >> 8) & 255, i & 255, (i >> 16) & 255, (i >> 8) & 255, i & 255
                ));
            }
            std::fs::write(dir.join("dhcpd.leases"), text).expect("write leases");
            Site(dir)
        }

        fn app(&self) -> Arc<App> {
            let yml = format!(
                "dhcpstats:\n  listen: 127.0.0.1:0\n  subnet_file: {}\n  leases_file: {}\n",
                self.0.join("dhcpd.conf").display(),
                self.0.join("dhcpd.leases").display()
            );
            let config = crate::config::parse(&self.0.join("dhcpstats.yml"), yml.as_bytes())
                .expect("a valid configuration");
            Arc::new(App::new(&config, Some(1_795_000_000)))
        }
    }

    impl Drop for Site {
        fn drop(&mut self) {
            let _ = std::fs::remove_dir_all(&self.0);
        }
    }

    /// Runs the engine on a thread; returns its address and the flag
    /// that stops it.
    fn start(app: &Arc<App>, limits: Limits) -> (std::net::SocketAddr, Arc<AtomicBool>) {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
        listener.set_nonblocking(true).expect("nonblocking");
        let addr = listener.local_addr().expect("address");
        let terminate = Arc::new(AtomicBool::new(false));
        let flags = Flags {
            terminate: Arc::clone(&terminate),
            reload: Arc::new(AtomicBool::new(false)),
        };
        let app = Arc::clone(app);
        std::thread::spawn(move || run(app, listener, 2, limits, flags));
        (addr, terminate)
    }

    fn get(addr: std::net::SocketAddr, path: &str) -> Option<String> {
        let mut s = TcpStream::connect(addr).ok()?;
        s.set_read_timeout(Some(Duration::from_secs(10))).ok()?;
        s.write_all(format!("GET {path} HTTP/1.1\r\nConnection: close\r\n\r\n").as_bytes())
            .ok()?;
        let mut out = Vec::new();
        s.read_to_end(&mut out).ok()?;
        Some(String::from_utf8_lossy(&out).into_owned())
    }

    #[test]
    fn a_client_reading_a_trickle_is_cut_at_the_response_deadline() {
        let site = Site::new("trickle", 150_000);
        let app = site.app();
        let limits = Limits {
            write_timeout: Duration::from_secs(1),
            min_send_rate: u64::MAX,
            ..Limits::for_threads(2)
        };
        let (addr, terminate) = start(&app, limits);
        // Render once, so the slow request is answered from bytes at once.
        let full = get(addr, "/subnets").expect("an answer");
        assert!(full.len() > 16 << 20, "a body larger than socket buffers");

        let mut s = TcpStream::connect(addr).expect("connect");
        s.write_all(b"GET /subnets HTTP/1.1\r\n\r\n").expect("send");
        s.set_read_timeout(Some(Duration::from_millis(100)))
            .expect("timeout");
        // Take 64 KiB every 10 ms: progress well within every write
        // timeout, yet seconds for the whole body. Without a deadline for
        // the whole response, each chunk taken buys another write timeout
        // and the body is sent to the end.
        let started = Instant::now();
        let mut chunk = vec![0u8; 64 * 1024];
        let mut taken = 0;
        while app.responses_cut() == 0 && started.elapsed() < Duration::from_secs(30) {
            match s.read(&mut chunk) {
                Ok(0) => break,
                Ok(n) => taken += n,
                Err(_) => {}
            }
            std::thread::sleep(Duration::from_millis(10));
        }
        assert!(
            taken < full.len(),
            "the whole body was sent ({taken} bytes)"
        );
        assert_eq!(app.responses_cut(), 1, "the trickling client was cut");
        terminate.store(true, Ordering::SeqCst);
    }

    #[test]
    fn failing_pollers_restart_instead_of_leaving_connections_dead() {
        let site = Site::new("pollfail", 3);
        let app = site.app();
        // Two failures are retried on the same poller; five make each loop
        // build a new one.
        for fail_polls in [2, 5] {
            let limits = Limits {
                fail_polls,
                ..Limits::for_threads(2)
            };
            let (addr, terminate) = start(&app, limits);
            for _ in 0..4 {
                let reply = get(addr, "/subnets?summary").unwrap_or_default();
                assert!(
                    reply.starts_with("HTTP/1.1 200 OK"),
                    "{fail_polls} failed polls: {reply}"
                );
                // A request that needs a worker: its answer comes back to
                // the loop through the (possibly new) waker.
                let reply = get(addr, "/subnets/10.0.0.0/8?summary").unwrap_or_default();
                assert!(reply.starts_with("HTTP/1.1 200 OK"), "{reply}");
            }
            terminate.store(true, Ordering::SeqCst);
        }
    }
}

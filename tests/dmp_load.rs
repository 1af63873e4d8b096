//! The DMP load generator (issue 4 goal: ≥ 1,000 ITI-41 deposits/s): deposits of a ~50 KB CDA each, full
//! validation, over mutual TLS with HTTP/1.1 keep-alive, from many concurrent connections (one client
//! thread each). Prints deposits/s, p50, p99 and the number of answers that are not `Success` (must be 0).
//!
//! The client runs on the same machine as the server: its TLS and HTTP work takes CPU from the server, so
//! the figure is a lower bound of what the server alone sustains.
//!
//! Run (release build, not part of the default run):
//! `cargo test --release --test tests dmp_load -- --ignored --nocapture`
//! with `DMP_LOAD_SECS` (default 10), `DMP_LOAD_CLIENTS` (concurrent connections, default 32) and
//! `DMP_LOAD_MAX` (deposits prepared, default 1,500 a second of run).

use std::sync::{Arc, Barrier};
use std::time::{Duration, Instant};

use dui_conform::sim::dmp;

use crate::dmp::{variant, Client, Sim, MTOM_CT};

fn env(name: &str, default: u64) -> u64 {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

/// CPU time (ms) used so far, as (server: tokio's threads, still alive; whole process, exited threads
/// included), from `/proc/self/task/*/stat` and `/proc/self/stat` (Linux; zeros elsewhere). The client
/// is the difference.
fn cpu_ms() -> (f64, f64) {
    let tick_ms = 10.0; // USER_HZ = 100 on Linux.
                        // (comm, utime + stime in ticks) of a stat line.
    fn parse(stat: &str) -> Option<(&str, f64)> {
        let (open, close) = (stat.find('(')?, stat.rfind(')')?);
        let f: Vec<&str> = stat.get(close + 2..)?.split(' ').collect();
        let ticks = [11, 12]
            .iter()
            .filter_map(|&i| f.get(i).and_then(|v| v.parse::<f64>().ok()))
            .sum();
        Some((stat.get(open + 1..close)?, ticks))
    }
    let total = std::fs::read_to_string("/proc/self/stat")
        .ok()
        .and_then(|s| parse(&s).map(|(_, t)| t))
        .unwrap_or(0.0);
    let mut server = 0.0;
    if let Ok(rd) = std::fs::read_dir("/proc/self/task") {
        for t in rd.flatten() {
            if let Ok(stat) = std::fs::read_to_string(t.path().join("stat")) {
                if let Some((comm, ticks)) = parse(&stat) {
                    if comm.starts_with("tokio") {
                        server += ticks;
                    }
                }
            }
        }
    }
    (server * tick_ms, total * tick_ms)
}

/// What one client thread saw.
struct Seen {
    latencies: Vec<Duration>,
    refused: Vec<String>,
}

#[test]
#[ignore]
fn dmp_load_iti41_50kb_deposits_over_mutual_tls() {
    let secs = env("DMP_LOAD_SECS", 10);
    let clients = env("DMP_LOAD_CLIENTS", 32).max(1);
    let max = env("DMP_LOAD_MAX", secs * 1500).max(clients);
    let per = max / clients;
    let sim = Sim::start(false);
    let cfg = sim.pki.client_config().expect("client config");
    let addr = sim.addr();
    // As a DUI does before feeding a patient's DMP (DMP-TX-015): the existence test, once.
    let r = Client::connect(addr, cfg.clone())
        .expect("connect")
        .post(
            dmp::PATIENTS_PATH,
            "application/soap+xml; charset=utf-8",
            &crate::dmp::td02("TEST_EXST"),
        )
        .expect("td02");
    assert!(r.text().contains("PRPA_IN201308UV02"), "{}", r.text());
    // Every thread prepares its requests (distinct uniqueIds, fresh MessageID and assertion ID), then
    // connects; the clock starts when all are ready.
    let ready = Arc::new(Barrier::new(clients as usize + 1));
    let start = Arc::new(std::sync::OnceLock::<Instant>::new());
    let handles: Vec<_> = (0..clients)
        .map(|c| {
            let cfg = cfg.clone();
            let ready = ready.clone();
            let start = start.clone();
            std::thread::spawn(move || {
                let bodies: Vec<Vec<u8>> = (0..per)
                    .map(|i| variant(1_000_000 + c * 100_000 + i, 50_000).0)
                    .collect();
                let mut client = Client::connect(addr, cfg).expect("connect");
                ready.wait();
                let t0 = *start.get_or_init(Instant::now);
                let deadline = t0 + Duration::from_secs(secs);
                let mut seen = Seen {
                    latencies: Vec::with_capacity(bodies.len()),
                    refused: Vec::new(),
                };
                for b in &bodies {
                    if Instant::now() >= deadline {
                        break;
                    }
                    let t = Instant::now();
                    match client.post(dmp::REPOSITORY_PATH, MTOM_CT, b) {
                        Ok(r)
                            if r.status == 200
                                && r.text().contains("ResponseStatusType:Success") => {}
                        Ok(r) => seen
                            .refused
                            .push(format!("HTTP {}: {}", r.status, r.text())),
                        Err(e) => {
                            seen.refused.push(format!("I/O: {e}"));
                            break;
                        }
                    }
                    seen.latencies.push(t.elapsed());
                }
                seen
            })
        })
        .collect();
    ready.wait();
    let t0 = *start.get_or_init(Instant::now);
    let (server0, total0) = cpu_ms();
    let seen: Vec<Seen> = handles
        .into_iter()
        .map(|h| h.join().expect("client thread"))
        .collect();
    let elapsed = t0.elapsed();
    let (server1, total1) = cpu_ms();
    let mut lat: Vec<Duration> = seen.iter().flat_map(|s| s.latencies.clone()).collect();
    let refused: Vec<&String> = seen.iter().flat_map(|s| &s.refused).collect();
    lat.sort();
    let n = lat.len();
    assert!(n > 0, "no deposit answered");
    let q = |p: f64| lat[((n as f64 * p) as usize).min(n - 1)];
    let ok = n - refused.len().min(n);
    eprintln!(
        "DMP load: {n} ITI-41 deposits (~50 KB CDA, full validation) in {elapsed:.2?} over {clients} \
         keep-alive mTLS connections: {:.0} deposits/s, p50 {:.1?}, p99 {:.1?}, max {:.1?}; \
         non-Success answers: {}{}",
        ok as f64 / elapsed.as_secs_f64(),
        q(0.50),
        q(0.99),
        lat[n - 1],
        refused.len(),
        if n as u64 >= per * clients {
            " (all prepared requests sent: raise DMP_LOAD_MAX for a longer run)"
        } else {
            ""
        }
    );
    // CPU per deposit: what the throughput would be with the 2 cores to ourselves (the machine is shared).
    let server_ms = (server1 - server0) / n as f64;
    let client_ms = ((total1 - total0) - (server1 - server0)).max(0.0) / n as f64;
    eprintln!(
        "DMP load: CPU per deposit: server {server_ms:.2} ms, client {client_ms:.2} ms (user + system); 2 dedicated cores would sustain about {:.0} deposits/s (server and client) or {:.0} \
         (server alone)",
        2000.0 / (server_ms + client_ms).max(0.001),
        2000.0 / server_ms.max(0.001)
    );
    assert!(
        refused.is_empty(),
        "{} non-Success answers, first: {}",
        refused.len(),
        refused[0].chars().take(2000).collect::<String>()
    );
    // Every deposit is registered and the evidence store is intact.
    let deposits = sim
        .running()
        .handler
        .registry
        .lock()
        .expect("lock")
        .deposits();
    assert_eq!(
        deposits as usize, ok,
        "registry deposits vs Success answers"
    );
    let state = sim.state.clone();
    let _dir = sim.stop();
    let report = dui_conform::evidence::verify(&state).expect("verify");
    assert!(!report.is_damaged(), "{}", report.render());
}

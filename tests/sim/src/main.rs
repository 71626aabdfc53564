//! `crmwire-sim`: run the Vtiger 8.x (+ Perfex) simulator on 127.0.0.1. See tests/sim/README.md.

use crmwire_sim::{Config, Profile};
use std::io::Write;

const USAGE: &str = "usage: crmwire-sim [--port N] [--profile vtiger-8.4|vtiger-8.3|patched]
  [--username U] [--access-key K] [--session-idle-secs N] [--seed-records N] [--seed U64]
  [--cors] [--empty] [--perfex-token T] [--perfex-won-defects] [--service-ms N] [--cpus K]
  [--max-body-bytes N] [--upload-max-bytes N]";

fn main() {
    let mut cfg = Config::default();
    let mut port: u16 = 0;
    let mut args = std::env::args().skip(1);
    let fail = |m: &str| -> ! {
        eprintln!("crmwire-sim: {m}\n{USAGE}");
        std::process::exit(2)
    };
    while let Some(a) = args.next() {
        let mut val = |name: &str| {
            args.next()
                .unwrap_or_else(|| fail(&format!("{name} needs a value")))
        };
        match a.as_str() {
            "--port" => port = val("--port").parse().unwrap_or_else(|_| fail("bad --port")),
            "--profile" => {
                let v = val("--profile");
                cfg.profile =
                    Profile::parse(&v).unwrap_or_else(|| fail(&format!("unknown profile {v}")))
            }
            "--username" => cfg.username = val("--username"),
            "--access-key" => cfg.access_key = val("--access-key"),
            "--session-idle-secs" => {
                cfg.session_idle_secs = val("--session-idle-secs")
                    .parse()
                    .unwrap_or_else(|_| fail("bad --session-idle-secs"))
            }
            "--seed-records" => {
                cfg.seed_records = val("--seed-records")
                    .parse()
                    .unwrap_or_else(|_| fail("bad --seed-records"))
            }
            "--seed" => cfg.seed = val("--seed").parse().unwrap_or_else(|_| fail("bad --seed")),
            "--service-ms" => {
                cfg.service_ms = val("--service-ms")
                    .parse()
                    .unwrap_or_else(|_| fail("bad --service-ms"))
            }
            "--cpus" => cfg.cpus = val("--cpus").parse().unwrap_or_else(|_| fail("bad --cpus")),
            "--max-body-bytes" => {
                cfg.max_body_bytes = val("--max-body-bytes")
                    .parse()
                    .unwrap_or_else(|_| fail("bad --max-body-bytes"))
            }
            "--upload-max-bytes" => {
                cfg.upload_max_bytes = val("--upload-max-bytes")
                    .parse()
                    .unwrap_or_else(|_| fail("bad --upload-max-bytes"))
            }
            "--cors" => cfg.cors = true,
            "--empty" => cfg.empty = true,
            "--perfex-token" => cfg.perfex_token = val("--perfex-token"),
            "--perfex-won-defects" => cfg.perfex_won_defects = true,
            "-h" | "--help" => {
                println!("{USAGE}");
                return;
            }
            other => fail(&format!("unknown argument {other}")),
        }
    }
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("tokio runtime");
    rt.block_on(async move {
        let listener = crmwire_sim::bind(port)
            .await
            .unwrap_or_else(|e| fail(&format!("cannot bind 127.0.0.1:{port}: {e}")));
        let addr = listener.local_addr().expect("local addr");
        let app = crmwire_sim::App::new(cfg.clone());
        {
            let mut out = std::io::stdout().lock();
            let _ = writeln!(out, "listening on http://{addr}");
            let _ = writeln!(out, "username {}", cfg.username);
            let _ = writeln!(out, "access-key {}", cfg.access_key);
            let _ = writeln!(out, "perfex-token {}", cfg.perfex_token);
            let _ = writeln!(out, "profile {}", cfg.profile.name());
            let _ = out.flush();
        }
        crmwire_sim::serve(listener, app, shutdown()).await;
    });
}

async fn shutdown() {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{signal, SignalKind};
        let mut term = signal(SignalKind::terminate()).expect("SIGTERM handler");
        tokio::select! {
            _ = tokio::signal::ctrl_c() => {}
            _ = term.recv() => {}
        }
    }
    #[cfg(not(unix))]
    {
        let _ = tokio::signal::ctrl_c().await;
    }
}

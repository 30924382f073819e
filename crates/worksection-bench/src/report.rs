//! What a run found: the figures (as JSON with `--json`), the issue's
//! targets met or missed, the hard invariants `--quick` enforces, and the
//! table printed at the end of a run.

use serde::Serialize;

use crate::measure::{Coalescing, HotPath, LargeRun, Load, Session, Start, ToolRow};

#[derive(Debug, Clone, Serialize)]
pub struct Machine {
    pub cores: usize,
    pub cpu: String,
    pub memory_mb: u64,
    /// `/proc/loadavg` when the run started: other work shares the cores.
    pub load_average: String,
}

impl Machine {
    pub fn read() -> Self {
        let cpuinfo = std::fs::read_to_string("/proc/cpuinfo").unwrap_or_default();
        let cpu = cpuinfo
            .lines()
            .find_map(|l| l.strip_prefix("model name"))
            .and_then(|rest| rest.split_once(':'))
            .map(|(_, name)| name.trim().to_owned())
            .unwrap_or_else(|| "unknown".to_owned());
        let meminfo = std::fs::read_to_string("/proc/meminfo").unwrap_or_default();
        let memory_mb = meminfo
            .lines()
            .find_map(|l| l.strip_prefix("MemTotal:"))
            .and_then(|rest| rest.split_whitespace().next())
            .and_then(|kb| kb.parse::<u64>().ok())
            .map_or(0, |kb| kb / 1024);
        let load_average = std::fs::read_to_string("/proc/loadavg")
            .map(|s| s.split_whitespace().take(3).collect::<Vec<_>>().join(" "))
            .unwrap_or_default();
        Self {
            cores: std::thread::available_parallelism().map_or(0, usize::from),
            cpu,
            memory_mb,
            load_average,
        }
    }
}

/// Median of a list of figures (0 when empty).
pub fn median(mut values: Vec<f64>) -> f64 {
    if values.is_empty() {
        return 0.0;
    }
    values.sort_by(f64::total_cmp);
    values[values.len() / 2]
}

#[derive(Debug, Clone, Serialize)]
pub struct Startup {
    pub samples: usize,
    pub to_ready_p50_ms: f64,
    pub to_ready_max_ms: f64,
    pub to_initialized_p50_ms: f64,
    pub idle_rss_p50_kb: u64,
    pub demo: Vec<Start>,
    /// The desktop app's starts to serving, in ms (with `--desktop-bin`).
    pub desktop_to_serving_ms: Vec<f64>,
}

impl Startup {
    pub fn from(starts: &[Start], demo: Vec<Start>, desktop: Vec<f64>) -> Self {
        let ready: Vec<f64> = starts.iter().map(|s| s.to_ready_ms).collect();
        Self {
            samples: starts.len(),
            to_ready_p50_ms: median(ready.clone()),
            to_ready_max_ms: ready.iter().copied().fold(0.0, f64::max),
            to_initialized_p50_ms: median(starts.iter().map(|s| s.to_initialized_ms).collect()),
            idle_rss_p50_kb: median(starts.iter().map(|s| s.idle_rss_kb as f64).collect()) as u64,
            demo,
            desktop_to_serving_ms: desktop,
        }
    }
}

#[derive(Debug, Clone, Serialize)]
pub struct Target {
    pub target: &'static str,
    pub figure: String,
    /// `None`: not measurable yet.
    pub met: Option<bool>,
}

/// The 10,000-task call's ceilings (issue 21): on a release build, the
/// targets (peak RSS, and the server's CPU time on the call); on a debug
/// build (CI's smoke run), whose time says nothing, the memory it keeps
/// under.
const LARGE_PEAK_MB_RELEASE: f64 = 60.0;
const LARGE_CPU_MS_RELEASE: f64 = 150.0;
const LARGE_PEAK_MB_DEBUG: f64 = 100.0;

#[derive(Debug, Clone, Serialize)]
pub struct Report {
    pub mode: &'static str,
    pub machine: Machine,
    /// The server binary measured, and whether it is a release build.
    pub server_binary: String,
    pub release_build: bool,
    pub rps: f64,
    pub tools: Vec<ToolRow>,
    pub coalescing: Coalescing,
    pub session: Session,
    pub hot_path: HotPath,
    pub large: Vec<LargeRun>,
    pub startup: Startup,
    pub throttled_total: u64,
    pub targets: Vec<Target>,
    /// How many hard invariants were checked, and those broken.
    pub checks: usize,
    pub violations: Vec<String>,
}

impl Report {
    fn tools_list_rps(&self, clients: usize) -> Option<f64> {
        self.hot_path
            .throughput
            .iter()
            .find(|t| t.load == Load::ToolsList && t.clients == clients)
            .map(|t| t.per_second)
    }

    /// The targets against the figures.
    pub fn evaluate(&mut self) {
        let mb = |kb: u64| kb as f64 / 1024.0;
        let over: Vec<&str> = self
            .tools
            .iter()
            .filter(|r| !r.within_ceiling())
            .map(|r| r.tool)
            .collect();
        let warm: Vec<String> = self
            .tools
            .iter()
            .filter(|r| r.warm > 0)
            .map(|r| format!("{} ({})", r.tool, r.warm))
            .collect();
        let s = &self.session;
        let large_peak = median(self.large.iter().map(|r| mb(r.peak_rss_kb)).collect());
        let large_server = median(self.large.iter().map(|r| r.server_ms).collect());
        let large_cpu = median(self.large.iter().map(|r| r.server_cpu_ms).collect());
        let lat = &self.hot_path.latency;
        let list8 = self.tools_list_rps(8);
        self.targets = vec![
            Target {
                target: "every tool at or under its TOOLS.md ceiling",
                figure: if over.is_empty() {
                    format!("{} of {} tools", self.tools.len(), self.tools.len())
                } else {
                    format!("over: {}", over.join(", "))
                },
                met: Some(over.is_empty()),
            },
            Target {
                target: "repeated identical call within the TTL: 0 upstream",
                figure: if warm.is_empty() {
                    "0 for every tool".to_owned()
                } else {
                    format!(
                        "non-zero: {} (health_check probes by design)",
                        warm.join(", ")
                    )
                },
                met: Some(self.tools.iter().all(ToolRow::warm_ok)),
            },
            Target {
                target: "10 concurrent identical calls: 1 upstream",
                figure: format!(
                    "{} clients, {} upstream",
                    self.coalescing.clients, self.coalescing.upstream
                ),
                met: Some(self.coalescing.upstream == 1),
            },
            Target {
                target: "session: at most half the naive upstream requests",
                figure: format!(
                    "{} calls: {} upstream vs {} naive ({:.0}%), {:.1} s",
                    s.calls,
                    s.upstream,
                    s.naive,
                    100.0 * s.upstream as f64 / s.naive.max(1) as f64,
                    s.wall_s
                ),
                met: Some(s.upstream * 2 <= s.naive),
            },
            Target {
                target: "session: the model reads at most 35 KB of answers",
                figure: format!(
                    "{:.1} KB of text in {} calls ({} pages)",
                    s.text_bytes as f64 / 1024.0,
                    s.calls,
                    s.steps.iter().map(|x| x.pages).sum::<usize>()
                ),
                met: Some(s.text_bytes <= 35 * 1024),
            },
            Target {
                target: "what the model reads of tools/list <= 24,000 bytes",
                figure: format!(
                    "{} bytes ({} the whole list)",
                    s.tools_list_model_bytes, s.tools_list_bytes
                ),
                met: Some(s.tools_list_model_bytes <= 24_000),
            },
            Target {
                target: "the largest first page on the large dataset <= 25,000 tokens",
                figure: self
                    .large
                    .iter()
                    .map(|r| r.answer_bytes.max(r.costs_first_page_bytes))
                    .max()
                    .map_or("not measured".to_owned(), |b| {
                        format!(
                            "{:.1} KB of text (get_all_tasks or get_costs)",
                            b as f64 / 1024.0
                        )
                    }),
                // 25,000 tokens are at least 62,500 bytes of ASCII text by
                // the server's estimator (0.4 tokens a byte).
                met: self
                    .large
                    .iter()
                    .map(|r| r.answer_bytes.max(r.costs_first_page_bytes))
                    .max()
                    .map(|b| b <= 62_500),
            },
            Target {
                target: "session: 0 throttled",
                figure: format!("{} throttled", s.throttled),
                met: Some(s.throttled == 0),
            },
            Target {
                target: "cached call p50 < 2 ms",
                figure: format!("{:.2} ms", lat.p50_ms),
                met: Some(lat.p50_ms < 2.0),
            },
            Target {
                target: "cached call p99 < 10 ms",
                figure: format!("{:.2} ms", lat.p99_ms),
                met: Some(lat.p99_ms < 10.0),
            },
            Target {
                target: "tools/list > 3,000 requests/s with 8 clients",
                figure: list8.map_or("not measured".to_owned(), |r| format!("{r:.0}/s")),
                met: list8.map(|r| r > 3000.0),
            },
            Target {
                target: "idle RSS < 20 MB",
                figure: format!("{:.1} MB", mb(self.startup.idle_rss_p50_kb)),
                met: Some(mb(self.startup.idle_rss_p50_kb) < 20.0),
            },
            Target {
                target: "peak RSS <= 60 MB on the 10,000-task call (release build)",
                figure: format!("{large_peak:.1} MB"),
                met: self
                    .release_build
                    .then_some(large_peak <= LARGE_PEAK_MB_RELEASE),
            },
            Target {
                target: "<= 150 ms of server CPU on the 10,000-task call (release build)",
                figure: format!(
                    "CPU {large_cpu:.0} ms ({large_server:.0} ms beyond the upstream wait)"
                ),
                met: self
                    .release_build
                    .then_some(large_cpu <= LARGE_CPU_MS_RELEASE),
            },
            Target {
                target: "headless start to ready < 200 ms",
                figure: format!(
                    "{:.0} ms (p50 of {})",
                    self.startup.to_ready_p50_ms, self.startup.samples
                ),
                met: Some(self.startup.to_ready_p50_ms < 200.0),
            },
            match self.startup.desktop_to_serving_ms.as_slice() {
                [] => Target {
                    target: "desktop app to serving < 1.5 s",
                    figure: "not measured: run with --desktop-bin under a display".to_owned(),
                    met: None,
                },
                runs => {
                    let p50 = median(runs.to_vec());
                    Target {
                        target: "desktop app to serving < 1.5 s",
                        figure: format!("{p50:.0} ms (p50 of {}, on the demo account)", runs.len()),
                        met: Some(p50 < 1500.0),
                    }
                }
            },
        ];
    }

    /// The invariants that do not depend on the machine's speed.
    pub fn check_invariants(&mut self) {
        let mut v = Vec::new();
        // Three per tool (answers, ceiling, warm), then coalescing, the
        // cached hot path and throttling.
        self.checks = 3 * self.tools.len() + 3;
        for r in &self.tools {
            if let Some(e) = &r.error {
                v.push(format!("{} failed: {e}", r.tool));
            }
            if !r.within_ceiling() {
                v.push(format!(
                    "{} made {} upstream requests cold, over its ceiling of {} ({})",
                    r.tool, r.cold, r.ceiling, r.upstream
                ));
            }
            if !r.warm_ok() {
                v.push(format!(
                    "{} made {} upstream requests when repeated within the TTL",
                    r.tool, r.warm
                ));
            }
        }
        if self.coalescing.upstream != 1 {
            v.push(format!(
                "{} concurrent identical {} calls made {} upstream requests, not 1",
                self.coalescing.clients, self.coalescing.tool, self.coalescing.upstream
            ));
        }
        if self.hot_path.upstream != 0 {
            v.push(format!(
                "cached calls made {} upstream requests",
                self.hot_path.upstream
            ));
        }
        // The 10,000-task call (issue 21): its CPU time (the server's own
        // work, which other work on the machine moves little, unlike its
        // wall time) and its peak memory, against the release targets; a
        // debug build is held to the memory it has kept under since.
        let mb = |kb: u64| kb as f64 / 1024.0;
        let peak = median(self.large.iter().map(|r| mb(r.peak_rss_kb)).collect());
        let cpu = median(self.large.iter().map(|r| r.server_cpu_ms).collect());
        if !self.large.is_empty() {
            self.checks += 1;
            let ceiling = if self.release_build {
                LARGE_PEAK_MB_RELEASE
            } else {
                LARGE_PEAK_MB_DEBUG
            };
            if peak > ceiling {
                v.push(format!(
                    "the 10,000-task call peaked at {peak:.1} MB, over {ceiling} MB"
                ));
            }
            if self.release_build {
                self.checks += 1;
                if cpu > LARGE_CPU_MS_RELEASE {
                    v.push(format!(
                        "the 10,000-task call took {cpu:.0} ms of server CPU, over {LARGE_CPU_MS_RELEASE} ms"
                    ));
                }
            }
        }
        if self.throttled_total != 0 {
            v.push(format!(
                "the simulator throttled {} requests",
                self.throttled_total
            ));
        }
        self.violations = v;
    }

    pub fn print(&self) {
        let m = &self.machine;
        println!();
        println!(
            "worksection-bench ({} mode): {} cores, {}, {} MB RAM, load {} at start; server {} build; {} upstream requests/s",
            self.mode,
            m.cores,
            m.cpu,
            m.memory_mb,
            m.load_average,
            if self.release_build {
                "release"
            } else {
                "debug"
            },
            self.rps
        );
        println!();
        println!(
            "{:<28} {:>7} {:>5} {:>5} {:>9} {:>8}  upstream cost (TOOLS.md)",
            "tool", "ceiling", "cold", "warm", "cold ms", "warm ms"
        );
        for r in &self.tools {
            let flag = if r.error.is_some() {
                " ERROR"
            } else if !r.within_ceiling() {
                " OVER"
            } else {
                ""
            };
            println!(
                "{:<28} {:>7} {:>5} {:>5} {:>9.1} {:>8.2}  {}{flag}",
                r.tool, r.ceiling, r.cold, r.warm, r.cold_ms, r.warm_ms, r.upstream
            );
        }
        println!();
        println!("session ({} calls):", self.session.calls);
        println!(
            "  {:<28} {:>5} {:>8} {:>9} {:>9} {:>5}",
            "tool", "naive", "upstream", "ms", "text B", "pages"
        );
        for s in &self.session.steps {
            println!(
                "  {:<28} {:>5} {:>8} {:>9.1} {:>9} {:>5}",
                s.tool, s.naive, s.upstream, s.ms, s.text_bytes, s.pages
            );
        }
        println!(
            "  text read: {} bytes; tools/list: {} bytes the model reads, {} in all",
            self.session.text_bytes,
            self.session.tools_list_model_bytes,
            self.session.tools_list_bytes
        );
        println!();
        let h = &self.hot_path;
        println!(
            "cached {} over HTTP: p50 {:.3} ms, p90 {:.3} ms, p99 {:.3} ms, max {:.3} ms ({} calls)",
            h.latency.tool,
            h.latency.p50_ms,
            h.latency.p90_ms,
            h.latency.p99_ms,
            h.latency.max_ms,
            h.latency.samples
        );
        for t in &h.throughput {
            let what = match t.load {
                Load::ToolsList => "tools/list",
                Load::CachedCall => "cached call",
            };
            println!(
                "  {what:<12} {:>2} clients: {:>7.0} requests/s ({} in {:.2} s); server CPU {:.0} µs/request, so at most {:.0}/s on all cores",
                t.clients,
                t.per_second,
                t.requests,
                t.seconds,
                t.server_cpu_us_per_request,
                t.server_capacity_per_second
            );
        }
        println!();
        for (i, r) in self.large.iter().enumerate() {
            println!(
                "large get_all_tasks run {}: call {:.0} ms = upstream {:.0} ms ({} tasks, {:.1} MB) + server {:.0} ms (CPU {:.0} ms); warm {:.0} ms; RSS idle {:.1} MB, peak {:.1} MB; {} of {} returned ({}), {:.2} MB answer",
                i + 1,
                r.call_ms,
                r.upstream_ms,
                r.upstream_tasks,
                r.upstream_bytes as f64 / 1048576.0,
                r.server_ms,
                r.server_cpu_ms,
                r.warm_ms,
                r.idle_rss_kb as f64 / 1024.0,
                r.peak_rss_kb as f64 / 1024.0,
                r.returned_count,
                r.total_count,
                r.truncation_reason,
                r.answer_bytes as f64 / 1048576.0
            );
        }
        let st = &self.startup;
        println!(
            "start-up (OAuth sign-in from the token file, {} starts): to ready p50 {:.0} ms (max {:.0}), to initialized p50 {:.0} ms; idle RSS p50 {:.1} MB",
            st.samples,
            st.to_ready_p50_ms,
            st.to_ready_max_ms,
            st.to_initialized_p50_ms,
            st.idle_rss_p50_kb as f64 / 1024.0
        );
        if !st.demo.is_empty() {
            println!(
                "start-up of serve --demo ({} starts): to ready p50 {:.0} ms; idle RSS p50 {:.1} MB",
                st.demo.len(),
                median(st.demo.iter().map(|s| s.to_ready_ms).collect()),
                median(st.demo.iter().map(|s| s.idle_rss_kb as f64).collect()) / 1024.0
            );
        }
        println!();
        println!("{:<52} {:<8} figure", "target", "met");
        for t in &self.targets {
            let met = match t.met {
                Some(true) => "yes",
                Some(false) => "NO",
                None => "n/a",
            };
            println!("{:<52} {:<8} {}", t.target, met, t.figure);
        }
        if !self.violations.is_empty() {
            println!();
            println!("broken invariants:");
            for v in &self.violations {
                println!("  - {v}");
            }
        }
        // The plain closing line test runners print, so CI logs read the
        // same as the other suites.
        println!();
        println!(
            "invariants: {} passed, {} failed",
            self.checks.saturating_sub(self.violations.len()),
            self.violations.len()
        );
    }
}

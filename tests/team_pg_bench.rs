//! The queue benchmarks of `benches/store.rs` on a PostgreSQL queue, as a test binary
//! (issue 19): `benches/pg_bench.sh` runs it against the queue it filled when a
//! release build of the criterion benches is out of reach on a loaded machine (the
//! test profile is already built). Times the store calls in this process — the
//! client's share in a debug build, the server's in full — median of repeated runs.
//!
//!   FIRSTLINE_BENCH_URL=postgres://… cargo test --test team_pg_bench -- --ignored --nocapture

use std::time::{Duration, Instant};

use firstline::model::{Direction, NewCustomer, NewMessage, NewTicket};
use firstline::store::{SearchQuery, SortOrder, Store, TicketFilter, View};

/// One operation's figures: wall median and slowest, and CPU per call — this
/// thread's, and the server backends' (from /proc), which the machine's load does
/// not inflate the way it does wall time.
struct Figures {
    median: Duration,
    max: Duration,
    client_cpu: Duration,
    server_cpu: Duration,
}

fn thread_cpu() -> Duration {
    let mut ts = libc::timespec {
        tv_sec: 0,
        tv_nsec: 0,
    };
    // SAFETY: a valid timespec to write into.
    unsafe { libc::clock_gettime(libc::CLOCK_THREAD_CPUTIME_ID, &mut ts) };
    Duration::new(ts.tv_sec as u64, ts.tv_nsec as u32)
}

/// CPU time (user + system) of the server processes `pids`, from /proc.
fn server_cpu(pids: &[i32]) -> Duration {
    // SAFETY: sysconf has no preconditions.
    let ticks = unsafe { libc::sysconf(libc::_SC_CLK_TCK) }.max(1) as f64;
    let total: u64 = pids
        .iter()
        .filter_map(|pid| std::fs::read_to_string(format!("/proc/{pid}/stat")).ok())
        .filter_map(|stat| {
            let rest = stat.rsplit_once(')')?.1.to_string();
            let fields: Vec<&str> = rest.split_whitespace().collect();
            Some(fields.get(11)?.parse::<u64>().ok()? + fields.get(12)?.parse::<u64>().ok()?)
        })
        .sum();
    Duration::from_secs_f64(total as f64 / ticks)
}

/// The figures of `runs` timed calls, after two untimed ones.
fn time(runs: usize, backends: &[i32], mut f: impl FnMut()) -> Figures {
    f();
    f();
    let (cpu0, server0) = (thread_cpu(), server_cpu(backends));
    let mut took: Vec<Duration> = (0..runs)
        .map(|_| {
            let start = Instant::now();
            f();
            start.elapsed()
        })
        .collect();
    let (cpu1, server1) = (thread_cpu(), server_cpu(backends));
    took.sort();
    Figures {
        median: took[runs / 2],
        max: took[runs - 1],
        client_cpu: (cpu1 - cpu0) / runs as u32,
        server_cpu: server1.saturating_sub(server0) / runs as u32,
    }
}

fn long_thread(store: &mut Store) -> i64 {
    let long = SearchQuery::parse("subject:\"very long thread\"").unwrap();
    if let Some(hit) = store.search(&long, 1).unwrap().first() {
        return hit.summary.ticket.id;
    }
    let ticket = NewTicket {
        subject: "A very long thread".into(),
        customer: NewCustomer {
            email: Some("long@example.com".into()),
            ..Default::default()
        },
        channel: Default::default(),
        priority: Default::default(),
        status: Default::default(),
        tags: vec![],
        first_message: NewMessage {
            body: "start".into(),
            ..Default::default()
        },
    };
    let rest: Vec<NewMessage> = (0..199)
        .map(|i| NewMessage {
            direction: if i % 2 == 0 {
                Direction::Outbound
            } else {
                Direction::Inbound
            },
            body: format!("message {i} with a few lines of text\nand another line\n"),
            ..Default::default()
        })
        .collect();
    store.create_threads(&[(ticket, rest)]).unwrap()[0]
}

#[test]
#[ignore = "a benchmark: needs FIRSTLINE_BENCH_URL (benches/pg_bench.sh)"]
fn pg_queue_benchmarks() {
    let url = std::env::var("FIRSTLINE_BENCH_URL").expect("FIRSTLINE_BENCH_URL");
    let mut store = Store::open_url(&url).unwrap();
    let long = long_thread(&mut store);
    let total = store.count_tickets(&TicketFilter::default()).unwrap() as usize;
    // The store's own connection is the database's only other client backend.
    let mut side = postgres::Client::connect(&url, postgres::NoTls).unwrap();
    let backends: Vec<i32> = side
        .query(
            "SELECT pid FROM pg_stat_activity WHERE datname = current_database()
               AND pid <> pg_backend_pid() AND backend_type = 'client backend'",
            &[],
        )
        .unwrap()
        .iter()
        .map(|r| r.get(0))
        .collect();
    let mut rows: Vec<(String, Figures)> = Vec::new();
    let mut measure = |name: &str, runs: usize, f: &mut dyn FnMut()| {
        rows.push((name.to_string(), time(runs, &backends, f)));
    };
    let needs_reply = TicketFilter {
        view: Some(View::NeedsReply),
        limit: Some(50),
        ..Default::default()
    };
    let all = TicketFilter {
        view: Some(View::All),
        sort: SortOrder::Updated,
        limit: Some(50),
        ..Default::default()
    };
    let deep = TicketFilter {
        offset: total * 9 / 10,
        ..all.clone()
    };
    let count = TicketFilter {
        view: Some(View::NeedsReply),
        ..Default::default()
    };
    measure("inbox first page, Needs reply", 50, &mut || {
        store.list_tickets(&needs_reply).unwrap();
    });
    measure("inbox first page, All by last update", 30, &mut || {
        store.list_tickets(&all).unwrap();
    });
    measure("inbox page 90% down All", 10, &mut || {
        store.list_tickets(&deep).unwrap();
    });
    measure("count of Needs reply", 30, &mut || {
        store.count_tickets(&count).unwrap();
    });
    measure("open a 200-message thread", 30, &mut || {
        store.ticket_detail(long).unwrap();
    });
    for (name, q) in [
        ("search: common word (order)", "order"),
        ("search: rare word", "firstlinenowhere"),
        ("search: phrase", "\"refund payment\""),
        ("search: prefix (pay*)", "pay*"),
        ("search: with status: filter", "refund status:open"),
        ("search: Cyrillic word", "повернення"),
        ("search: Cyrillic prefix", "замовл*"),
        ("search by relevance, common word", "order sort:relevance"),
    ] {
        let query = SearchQuery::parse(q).unwrap();
        measure(name, 20, &mut || {
            store.search(&query, 50).unwrap();
        });
    }
    // The console asks for up to 500 rows (`tui::worker::SEARCH_LIMIT`), the CLI
    // for a total as well (`search_counted`).
    let common = SearchQuery::parse("order").unwrap();
    measure("search: common word, console's 500 rows", 10, &mut || {
        store.search(&common, 500).unwrap();
    });
    measure("search: common word with its total (CLI)", 10, &mut || {
        store.search_counted(&common, 50).unwrap();
    });
    println!("{total} tickets; server backends {backends:?}");
    println!("| what | wall median | wall max | CPU: client (debug) + server |");
    for (name, f) in rows {
        let ms = |d: Duration| d.as_secs_f64() * 1e3;
        println!(
            "| {name} | {:.2} ms | {:.2} ms | {:.2} + {:.1} ms |",
            ms(f.median),
            ms(f.max),
            ms(f.client_cpu),
            ms(f.server_cpu)
        );
    }
}

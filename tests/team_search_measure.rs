//! Which PostgreSQL text search answers like SQLite (issue 19, README "Team mode"):
//! every search query of the conformance suite's search cases, on the same tickets,
//! asked of SQLite (the reference) and of PostgreSQL with each candidate
//! configuration — `simple` (in use), `english`, `russian`, a Hunspell Ukrainian
//! dictionary (Debian `hunspell-uk`) — and of `pg_trgm` substring matching for the
//! one-word queries. Prints the table README quotes; fails if `simple`, the
//! configuration in use, ever answers differently from SQLite.
//!
//! Its own test binary: the configuration switch (`measure_with`) is process-wide.
//! Speed at 100k / 1M messages is `benches/pg_bench.sh`'s part.

#[path = "support/pg.rs"]
mod pg;

use firstline::model::{Channel, NewCustomer, NewMessage, NewTicket, Priority, Status};
use firstline::store::postgres::search::{measure_with, TextConfig};
use firstline::store::{SearchQuery, Store};

/// The conformance suite's search tickets: (email, subject, body).
const TICKETS: [(&str, &str, &str); 6] = [
    ("bob@example.com", "Refund please", "I was charged twice"),
    ("eve@example.com", "Login", "password reset link expired"),
    (
        "olena@example.com",
        "Оплата не пройшла",
        "Картку відхилено двічі, прошу повернути кошти",
    ),
    ("ivan@example.com", "Счёт", "Не пришёл счёт за подписку"),
    ("a@example.com", "Café", "naïve question about ĉapelo"),
    ("b@example.com", "Łódź", "йод і їжак"),
];

/// Every query of the suite's search cases (tests/support/conformance.rs), and a
/// partial word (`charg`) a substring matcher would find.
const QUERIES: [&str; 48] = [
    "charged",
    "CHARGED",
    "\"reset link\"",
    "\"link reset\"",
    "pass*",
    "subject:refund",
    "eve",
    "charged OR expired",
    "twice -refund",
    "charge",
    "expire",
    "charg*",
    "charg",
    "was",
    "\"i was\"",
    "оплата",
    "ОПЛАТА",
    "\"повернути кошти\"",
    "відхил*",
    "оплат*",
    "подписк*",
    "счет",
    "пришел",
    "посилка",
    "оплати",
    "оплату",
    "картка",
    "повернув",
    "подписка",
    "счета",
    "картк*",
    "не",
    "за",
    "кошти",
    "двічі",
    "подписку",
    "счёт",
    "cafe",
    "CAFÉ",
    "naive",
    "capelo",
    "łodz",
    "lodz",
    "йод",
    "иод",
    "іжак",
    "x\0y",
    "-x\0y",
];

fn fill(store: &mut Store) {
    for (email, subject, body) in TICKETS {
        store
            .create_ticket(&NewTicket {
                subject: subject.into(),
                customer: NewCustomer {
                    email: Some(email.into()),
                    ..Default::default()
                },
                channel: Channel::Email,
                priority: Priority::Normal,
                status: Status::New,
                tags: vec![],
                first_message: NewMessage {
                    body: body.into(),
                    author: email.into(),
                    ..Default::default()
                },
            })
            .unwrap();
    }
}

/// The subjects a query finds, sorted; an error in words.
fn answer(store: &Store, query: &str) -> Result<Vec<String>, String> {
    let parsed = SearchQuery::parse(query).map_err(|e| e.to_string())?;
    let mut subjects: Vec<String> = store
        .search(&parsed, 50)
        .map_err(|e| e.to_string())?
        .into_iter()
        .map(|h| h.summary.ticket.subject)
        .collect();
    subjects.sort();
    Ok(subjects)
}

/// `pg_trgm`'s answer to a one-word query: tickets whose folded subject, body or
/// address contains the word as a substring (`ILIKE '%word%'` over a trigram
/// index); `None` for queries it has no way to express the same (phrases, OR, -).
fn trigram_answer(client: &mut postgres::Client, query: &str) -> Option<Vec<String>> {
    let word = query.trim_end_matches('*');
    if word.contains([' ', '"', '-', ':', '\0']) {
        return None;
    }
    let rows = client
        .query(
            "SELECT DISTINCT t.subject FROM tickets t JOIN messages m ON m.ticket_id = t.id
             JOIN customers c ON c.id = t.customer_id
             JOIN customer_addresses a ON a.customer_id = c.id
             WHERE unaccent(t.subject || ' ' || m.body || ' ' || a.value)
                   ILIKE '%' || unaccent($1) || '%'
             ORDER BY 1",
            &[&word],
        )
        .ok()?;
    Some(rows.iter().map(|r| r.get(0)).collect())
}

/// Creates `firstline_uk` in the database: Hunspell Ukrainian, then `simple` for
/// what the dictionary does not know. `Err` says why it cannot be had.
fn create_ukrainian(client: &mut postgres::Client) -> Result<(), String> {
    client
        .batch_execute(
            "CREATE TEXT SEARCH DICTIONARY uk_hunspell
                 (TEMPLATE = ispell, DictFile = uk_ua, AffFile = uk_ua);
             CREATE TEXT SEARCH CONFIGURATION firstline_uk (COPY = simple);
             ALTER TEXT SEARCH CONFIGURATION firstline_uk
                 ALTER MAPPING FOR word, hword, hword_part, asciiword, asciihword
                 WITH uk_hunspell, simple;",
        )
        .map_err(|e| {
            format!(
                "{e} (the dictionary comes from Debian's hunspell-uk: apt-get install -y hunspell-uk)"
            )
        })
}

#[test]
fn search_configurations_measured_against_sqlite() {
    let mut reference = Store::open_in_memory().unwrap();
    fill(&mut reference);
    let expected: Vec<Result<Vec<String>, String>> =
        QUERIES.iter().map(|q| answer(&reference, q)).collect();

    let mut lines = vec![format!(
        "{:<22} {:>9}  differs on",
        "configuration", "equal"
    )];
    for config in TextConfig::ALL {
        let db = pg::fresh_db();
        let mut client = db.connect();
        if config == TextConfig::UkrainianHunspell {
            if let Err(why) = create_ukrainian(&mut client) {
                lines.push(format!("{:<22} unavailable: {why}", config.name()));
                continue;
            }
        }
        measure_with(config);
        let mut store = Store::open_url(&db.url()).unwrap();
        fill(&mut store);
        let mut differs = Vec::new();
        for (query, want) in QUERIES.iter().zip(&expected) {
            let got = answer(&store, query);
            if &got != want {
                differs.push(format!("{query:?}: {got:?} (SQLite {want:?})"));
            }
        }
        lines.push(format!(
            "{:<22} {:>4} of {}  {}",
            config.name(),
            QUERIES.len() - differs.len(),
            QUERIES.len(),
            differs.join("; ")
        ));
        measure_with(TextConfig::Simple);
        if config == TextConfig::Simple {
            assert!(
                differs.is_empty(),
                "simple, the configuration in use, must answer like SQLite: {differs:?}"
            );
        }
    }

    // pg_trgm: substring matching, for the queries it can express at all.
    let db = pg::fresh_db();
    let mut client = db.connect();
    client
        .batch_execute(
            "CREATE EXTENSION IF NOT EXISTS pg_trgm; CREATE EXTENSION IF NOT EXISTS unaccent;",
        )
        .unwrap();
    let mut store = Store::open_url(&db.url()).unwrap();
    fill(&mut store);
    let (mut asked, mut differs) = (0, Vec::new());
    for (query, want) in QUERIES.iter().zip(&expected) {
        let Some(got) = trigram_answer(&mut client, query) else {
            continue;
        };
        asked += 1;
        if Ok(&got) != want.as_ref() {
            differs.push(format!("{query:?}: {got:?} (SQLite {want:?})"));
        }
    }
    lines.push(format!(
        "{:<22} {:>4} of {}  (one-word queries only) {}",
        "pg_trgm ILIKE",
        asked - differs.len(),
        asked,
        differs.join("; ")
    ));
    println!("{}", lines.join("\n"));
}

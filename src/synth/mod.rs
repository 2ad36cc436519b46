//! Synthetic queues for benchmarks and load tests: mixed languages and channels,
//! realistic thread lengths and body sizes, reproducible from a seed. Never used on a
//! user's real queue (the CLI refuses a database that already has tickets).

use chrono::{Duration, Utc};

use crate::model::{Channel, Direction, NewCustomer, NewMessage, NewTicket, Priority, Status};
use crate::store::{Result, Store};

pub mod maildir;

/// A small, fast, reproducible generator (SplitMix64). Statistical quality is plenty
/// for picking words; not for anything secret.
pub struct Rng(u64);

impl Rng {
    /// A generator that yields the same sequence for the same seed.
    pub fn new(seed: u64) -> Rng {
        Rng(seed)
    }

    /// The next 64 random bits.
    pub fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }

    /// A number in `0..n` (n > 0).
    pub fn below(&mut self, n: usize) -> usize {
        (self.next_u64() % n.max(1) as u64) as usize
    }

    /// One element of a non-empty slice.
    pub fn pick<'a, T>(&mut self, items: &'a [T]) -> &'a T {
        &items[self.below(items.len())]
    }
}

const EN: &[&str] = &[
    "order",
    "refund",
    "payment",
    "invoice",
    "account",
    "password",
    "login",
    "error",
    "page",
    "delivery",
    "tracking",
    "card",
    "charged",
    "twice",
    "subscription",
    "cancel",
    "please",
    "help",
    "thanks",
    "website",
    "slow",
    "checkout",
    "coupon",
    "discount",
    "email",
    "address",
    "shipping",
    "broken",
    "update",
    "export",
    "report",
    "partner",
    "payout",
    "bank",
    "transfer",
    "today",
    "yesterday",
    "still",
    "waiting",
    "support",
    "issue",
    "problem",
    "urgent",
    "customer",
    "product",
];
const UK: &[&str] = &[
    "замовлення",
    "оплата",
    "повернення",
    "рахунок",
    "пароль",
    "кабінет",
    "помилка",
    "сторінка",
    "доставка",
    "картка",
    "списали",
    "двічі",
    "підписка",
    "скасувати",
    "будь",
    "ласка",
    "допоможіть",
    "дякую",
    "сайт",
    "повільно",
    "кошик",
    "знижка",
    "пошта",
    "адреса",
    "відправлення",
    "зламалося",
    "оновлення",
    "звіт",
    "партнер",
    "виплата",
    "банк",
    "переказ",
    "сьогодні",
    "вчора",
    "досі",
    "чекаю",
    "підтримка",
    "проблема",
    "терміново",
    "клієнт",
    "товар",
    "вітаю",
    "добрий",
    "день",
];
const RU: &[&str] = &[
    "заказ",
    "оплата",
    "возврат",
    "счёт",
    "пароль",
    "кабинет",
    "ошибка",
    "страница",
    "доставка",
    "карта",
    "списали",
    "дважды",
    "подписка",
    "отменить",
    "пожалуйста",
    "помогите",
    "спасибо",
    "сайт",
    "медленно",
    "корзина",
    "скидка",
    "почта",
    "адрес",
    "отправка",
    "сломалось",
    "обновление",
    "отчёт",
    "партнёр",
    "выплата",
    "банк",
    "перевод",
    "сегодня",
    "вчера",
    "всё",
    "ещё",
    "жду",
    "поддержка",
    "проблема",
    "срочно",
    "клиент",
    "товар",
    "здравствуйте",
    "добрый",
];
const FIRST: &[&str] = &[
    "Ann",
    "Bob",
    "Sarah",
    "Marco",
    "James",
    "Олена",
    "Тарас",
    "Ігор",
    "Оксана",
    "Дмитрий",
    "Анна",
    "Сергей",
    "Мария",
    "Lena",
    "Petro",
];
const LAST: &[&str] = &[
    "Smith",
    "Rossi",
    "Коваль",
    "Мельник",
    "Бондаренко",
    "Петрова",
    "Соколов",
    "Ivanova",
    "Shevchenko",
];

/// How big a synthetic queue to make.
#[derive(Debug, Clone, Copy)]
pub struct Shape {
    pub tickets: usize,
    /// Total messages across all tickets (at least one per ticket).
    pub messages: usize,
    pub seed: u64,
}

fn sentence(rng: &mut Rng, words: &[&str], len: usize) -> String {
    let mut out = String::new();
    for i in 0..len {
        if i > 0 {
            out.push(' ');
        }
        out.push_str(rng.pick::<&str>(words));
    }
    out
}

/// A body of realistic length: most messages are a few lines, a few are long.
fn body(rng: &mut Rng, words: &[&str]) -> String {
    let words_in_body = match rng.below(100) {
        0..=59 => 15 + rng.below(40),
        60..=94 => 55 + rng.below(150),
        _ => 200 + rng.below(800),
    };
    let mut text = String::new();
    let mut left = words_in_body;
    while left > 0 {
        let n = left.min(8 + rng.below(10));
        text.push_str(&sentence(rng, words, n));
        text.push_str(".\n");
        left -= n;
    }
    text
}

/// Fills `store` with a queue of the given shape, committing every `batch` tickets.
/// Returns (tickets, messages) written.
pub fn generate(
    store: &mut Store,
    shape: Shape,
    mut progress: impl FnMut(usize),
) -> Result<(usize, usize)> {
    let mut rng = Rng::new(shape.seed);
    let extra = shape.messages.saturating_sub(shape.tickets);
    let now = Utc::now();
    let customers = (shape.tickets / 3).max(1);
    let mut written = (0, 0);
    let mut batch = Vec::new();
    let mut extra_left = extra;
    for i in 0..shape.tickets {
        let tickets_left = shape.tickets - i;
        // Thread lengths skew short with a long tail, averaging out to the target.
        let mean = extra_left as f64 / tickets_left as f64;
        let replies = if extra_left == 0 {
            0
        } else {
            let r = (rng.below(1000) as f64 + 0.5) / 1000.0;
            ((-r.ln()) * mean).round().min(extra_left as f64).min(500.0) as usize
        };
        extra_left -= replies;
        let replies_planned = replies;
        let lang = rng.below(3);
        let words = [EN, UK, RU][lang];
        let cust = rng.below(customers);
        let name = format!("{} {}", rng.pick(FIRST), rng.pick(LAST));
        let start = now - Duration::minutes(rng.below(60 * 24 * 365 * 2) as i64);
        let channel = *rng.pick(&[
            Channel::Email,
            Channel::Email,
            Channel::Chat,
            Channel::Web,
            Channel::Phone,
        ]);
        // An archive is mostly done: a few percent of tickets wait on us at any time.
        let status = match rng.below(100) {
            0..=59 => Status::Closed,
            60..=89 => Status::Solved,
            90..=94 => Status::Pending,
            95..=97 => Status::Open,
            _ => Status::New,
        };
        // Replies alternate ours/theirs, so an odd count ends with our answer: what a
        // pending or resolved ticket needs. A new ticket has no answer yet.
        let replies = match status {
            Status::New => 0,
            Status::Pending | Status::Solved | Status::Closed if replies % 2 == 0 => {
                if extra_left > 0 {
                    replies + 1
                } else {
                    replies.saturating_sub(1)
                }
            }
            _ => replies,
        };
        extra_left = extra_left + replies_planned - replies;
        let first = NewMessage {
            direction: Direction::Inbound,
            author: name.clone(),
            body: body(&mut rng, words),
            sent_at: Some(start),
            message_id: Some(format!("<synth-{}-{i}-0@firstline.invalid>", shape.seed)),
            ..Default::default()
        };
        let mut rest = Vec::with_capacity(replies);
        for k in 0..replies {
            let direction = if k % 2 == 0 {
                Direction::Outbound
            } else {
                Direction::Inbound
            };
            rest.push(NewMessage {
                direction,
                author: if direction == Direction::Inbound {
                    name.clone()
                } else {
                    "agent".into()
                },
                body: body(&mut rng, words),
                sent_at: Some(start + Duration::minutes(30 * (k as i64 + 1))),
                message_id: Some(format!(
                    "<synth-{}-{i}-{}@firstline.invalid>",
                    shape.seed,
                    k + 1
                )),
                ..Default::default()
            });
        }
        let subject_len = 3 + rng.below(5);
        let ticket = NewTicket {
            subject: sentence(&mut rng, words, subject_len),
            customer: NewCustomer {
                name,
                email: Some(format!("customer{cust}@example.com")),
                ..Default::default()
            },
            channel,
            priority: *rng.pick(&[
                Priority::Low,
                Priority::Normal,
                Priority::Normal,
                Priority::High,
                Priority::Urgent,
            ]),
            status,
            tags: vec![rng
                .pick(&["billing", "access", "bug", "how-to", "delivery"])
                .to_string()],
            first_message: first,
        };
        written.1 += 1 + rest.len();
        batch.push((ticket, rest));
        if batch.len() >= 500 {
            written.0 += store.create_threads(&batch)?.len();
            batch.clear();
            progress(written.1);
        }
    }
    written.0 += store.create_threads(&batch)?.len();
    progress(written.1);
    Ok(written)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn same_seed_same_queue_and_exact_counts() {
        let mut a = Store::open_in_memory().unwrap();
        let (t, m) = generate(
            &mut a,
            Shape {
                tickets: 40,
                messages: 130,
                seed: 7,
            },
            |_| {},
        )
        .unwrap();
        assert_eq!(t, 40);
        assert!((40..=130).contains(&m), "{m}");
        let h = a.as_sqlite().unwrap().health().unwrap();
        assert_eq!(h.tickets, 40);
        assert_eq!(h.messages as usize, m);
        let mut b = Store::open_in_memory().unwrap();
        generate(
            &mut b,
            Shape {
                tickets: 40,
                messages: 130,
                seed: 7,
            },
            |_| {},
        )
        .unwrap();
        let subjects = |s: &Store| {
            s.tickets()
                .unwrap()
                .into_iter()
                .map(|t| t.subject)
                .collect::<Vec<_>>()
        };
        assert_eq!(subjects(&a), subjects(&b));
    }
}

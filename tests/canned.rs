//! Canned responses: rendering, picking, shortcuts, composing, exchange files, the
//! starter library against the demo queue, and suggestions.

mod support;

use chrono::{TimeZone, Utc};
use firstline::canned::{self, RenderContext};
use firstline::config::AgentConfig;
use firstline::model::{Channel, Customer, Formality, Language, Priority, Status, Ticket};

fn agent() -> AgentConfig {
    AgentConfig {
        name: "Олександр Гончаренко".into(),
        email: "alex@shop.example".into(),
        signature: "Олександр Гончаренко\nShopDesk".into(),
        company: "ShopDesk".into(),
    }
}

fn customer(name: &str, language: Language, formality: Formality) -> Customer {
    Customer {
        id: 7,
        name: name.into(),
        emails: vec!["someone@example.com".into()],
        handles: vec![],
        phone: None,
        language,
        formality,
        notes: String::new(),
        created_at: Utc.with_ymd_and_hms(2026, 1, 1, 0, 0, 0).unwrap(),
    }
}

fn ticket() -> Ticket {
    let at = Utc.with_ymd_and_hms(2026, 11, 20, 9, 0, 0).unwrap();
    Ticket {
        id: 48,
        subject: "Не можу увійти".into(),
        status: Status::Open,
        priority: Priority::Normal,
        channel: Channel::Email,
        tags: vec![],
        assignee: None,
        customer_id: 7,
        created_at: at,
        updated_at: at,
        first_response_at: None,
        resolved_at: None,
        snoozed_until: None,
        escalation: None,
        awaiting_reply_since: None,
        unread: false,
        version: 1,
    }
}

fn friday_morning() -> chrono::DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 11, 27, 9, 30, 0).unwrap()
}

#[test]
fn renders_every_field() {
    let agent = agent();
    let c = customer("Олена Коваль", Language::Uk, Formality::Formal);
    let t = ticket();
    let ctx = RenderContext {
        customer: Some(&c),
        ticket: Some(&t),
        agent: &agent,
        now: friday_morning(),
    };
    let body = "{{ customer.first_name }}|{{ customer.name }}|{{ ticket.id }}|{{ ticket.subject }}|\
                {{ agent.name }}|{{ agent.signature }}|{{ agent.company }}|{{ now | date(\"%d.%m.%Y\") }}|\
                {{ now | add_days(1) | date(\"%d.%m\") }}|{{ now | add_workdays(1) | date(\"%A\") }}";
    let r = canned::render(body, &ctx);
    assert_eq!(
        r.text,
        "Олена|Олена Коваль|48|Не можу увійти|Олександр Гончаренко|Олександр Гончаренко\nShopDesk|ShopDesk|27.11.2026|28.11|Monday"
    );
    assert!(r.unfilled.is_empty());
}

#[test]
fn missing_field_becomes_a_marked_placeholder() {
    let agent = AgentConfig {
        name: "Alex".into(),
        ..agent()
    };
    let c = customer("info@shop.example", Language::En, Formality::Unknown);
    let ctx = RenderContext {
        customer: Some(&c),
        ticket: None,
        agent: &agent,
        now: friday_morning(),
    };
    let r = canned::render(
        "Hi {{ customer.first_name }}, about #{{ ticket.id }}.\n— {{ agent.name }}",
        &ctx,
    );
    assert_eq!(
        r.text,
        "Hi [customer.first_name], about #[ticket.id].\n— Alex"
    );
    let marked: Vec<&str> = r.unfilled.iter().map(|x| &r.text[x.clone()]).collect();
    assert_eq!(marked, ["[customer.first_name]", "[ticket.id]"]);
    let err = canned::render_checked("Hi {{ customer.first_name }}", &ctx).unwrap_err();
    assert!(err.to_string().contains("customer.first_name"), "{err}");
}

#[test]
fn default_fills_a_missing_field() {
    let agent = agent();
    let ctx = RenderContext {
        customer: None,
        ticket: None,
        agent: &agent,
        now: friday_morning(),
    };
    let r = canned::render("Hi {{ customer.first_name | default(\"there\") }}!", &ctx);
    assert_eq!(r.text, "Hi there!");
    assert!(r.unfilled.is_empty());
}

#[test]
fn formality_and_language_branches_in_cyrillic() {
    let agent = agent();
    let body = "{% if language == \"uk\" %}{% if formal %}Добрий день, {{ customer.first_name | vocative }}! Чи можете Ви{% else %}Привіт, {{ customer.first_name | vocative }}! Можеш{% endif %} надіслати скриншот?{% else %}Здравствуйте!{% endif %}";
    let formal = customer("Тарас Мельник", Language::Uk, Formality::Formal);
    let informal = customer("Тарас Мельник", Language::Uk, Formality::Informal);
    let russian = customer("Анна Петрова", Language::Ru, Formality::Formal);
    let text = |c: &Customer| {
        canned::render(
            body,
            &RenderContext {
                customer: Some(c),
                ticket: None,
                agent: &agent,
                now: friday_morning(),
            },
        )
        .text
    };
    assert_eq!(
        text(&formal),
        "Добрий день, Тарасе! Чи можете Ви надіслати скриншот?"
    );
    assert_eq!(text(&informal), "Привіт, Тарасе! Можеш надіслати скриншот?");
    assert_eq!(text(&russian), "Здравствуйте!");
}

#[test]
fn broken_template_is_shown_as_written_and_reported() {
    let agent = agent();
    let ctx = RenderContext {
        customer: None,
        ticket: None,
        agent: &agent,
        now: friday_morning(),
    };
    let r = canned::render("Hi {% if %}", &ctx);
    assert_eq!(r.text, "Hi {% if %}");
    assert_eq!(r.unfilled, vec![3..11]);
    assert!(canned::check("Hi {% if %}").is_err());
    assert!(canned::check("{{ now | date(\"%d.%m\") }}").is_ok());
}

// ---- the starter library against the demo queue ----

use firstline::model::{CannedResponse, NewCanned};
use firstline::store::{Store, TicketFilter, View};

fn demo_store() -> Store {
    let mut store = Store::open_in_memory().unwrap();
    firstline::demo::seed(&mut store).unwrap();
    canned::ensure_starter(&mut store).unwrap();
    store
}

fn by_slug<'a>(items: &'a [CannedResponse], slug: &str) -> &'a CannedResponse {
    items
        .iter()
        .find(|c| c.slug == slug)
        .unwrap_or_else(|| panic!("no {slug}"))
}

#[test]
fn starter_library_covers_every_topic_in_every_language_and_register() {
    let items = canned::starter_items().unwrap();
    let topics = [
        "ack",
        "details",
        "known-issue",
        "solved",
        "delay",
        "escalated",
        "payout",
        "refund",
        "access",
        "outage",
        "feature",
        "calm",
        "close",
        "sorry",
    ];
    for topic in topics {
        for variant in ["en", "uk-formal", "uk-informal", "ru-formal", "ru-informal"] {
            let slug = format!("{topic}-{variant}");
            assert!(items.iter().any(|i| i.slug == slug), "missing {slug}");
        }
    }
    for item in &items {
        assert!(
            !item.body.contains("Support"),
            "{} signs as Support",
            item.slug
        );
    }
}

#[test]
fn every_starter_template_renders_for_every_demo_customer() {
    let store = demo_store();
    let items = store.canned_list().unwrap();
    assert!(items.len() >= 70, "{} canned responses", items.len());
    let tickets = store
        .list_tickets(&TicketFilter {
            view: Some(View::All),
            ..Default::default()
        })
        .unwrap();
    assert!(tickets.len() >= 6);
    let agents = [
        agent(),
        AgentConfig {
            signature: String::new(),
            company: String::new(),
            ..agent()
        },
    ];
    let mut rendered = 0;
    for summary in &tickets {
        let customer = store.customer(summary.ticket.customer_id).unwrap();
        for agent in &agents {
            let ctx = RenderContext {
                customer: Some(&customer),
                ticket: Some(&summary.ticket),
                agent,
                now: friday_morning(),
            };
            for item in &items {
                let r = canned::render(&canned::full_template(&items, item), &ctx);
                assert!(
                    r.unfilled.is_empty(),
                    "{} for {}: {:?}\n{}",
                    item.slug,
                    customer.name,
                    r.unfilled,
                    r.text
                );
                assert!(
                    !r.text.contains("{{") && !r.text.contains("{%"),
                    "{}",
                    item.slug
                );
                rendered += 1;
            }
        }
    }
    assert!(rendered >= 6 * 70 * 2);
}

#[test]
fn a_full_ukrainian_reply_greets_in_the_vocative_and_signs_with_a_real_name() {
    let store = demo_store();
    let items = store.canned_list().unwrap();
    let agent = AgentConfig {
        signature: String::new(),
        ..agent()
    };
    let olena = customer("Олена Коваль", Language::Uk, Formality::Formal);
    let t = ticket();
    let ctx = RenderContext {
        customer: Some(&olena),
        ticket: Some(&t),
        agent: &agent,
        now: friday_morning(),
    };
    let formal = canned::render(
        &canned::full_template(&items, by_slug(&items, "access-uk-formal")),
        &ctx,
    );
    assert!(
        formal
            .text
            .starts_with("Добрий день, Олено!\n\nЗараз допоможу"),
        "{}",
        formal.text
    );
    assert!(
        formal.text.ends_with("З повагою,\nОлександр Гончаренко"),
        "{}",
        formal.text
    );
    let informal = canned::render(
        &canned::full_template(&items, by_slug(&items, "ack-uk-informal")),
        &ctx,
    );
    assert!(
        informal.text.starts_with("Привіт, Олено!"),
        "{}",
        informal.text
    );
    assert!(
        informal.text.contains("не пізніше 30.11"),
        "next working day after Friday: {}",
        informal.text
    );
    assert!(informal.text.contains("#48"));
}

#[test]
fn starter_update_keeps_user_edits() {
    let mut store = demo_store();
    let refund = store.canned_by_slug("refund-en").unwrap().unwrap();
    let mut mine = refund.to_new();
    mine.body = "Refunded. {{ agent.name }}".into();
    store.canned_update(refund.id, &mine).unwrap();
    store
        .set_meta("canned_starter_hash", "an older library")
        .unwrap();
    let sync = canned::ensure_starter(&mut store).unwrap();
    assert_eq!(sync.added, 0);
    assert!(sync.kept >= 1);
    assert_eq!(
        store.canned_get(refund.id).unwrap().body,
        "Refunded. {{ agent.name }}"
    );
    assert_eq!(
        canned::ensure_starter(&mut store).unwrap(),
        Default::default(),
        "no-op when unchanged"
    );
}

// ---- picker ----

fn item(
    id: i64,
    slug: &str,
    title: &str,
    shortcut: &str,
    language: Language,
    body: &str,
) -> CannedResponse {
    CannedResponse {
        id,
        slug: slug.into(),
        title: title.into(),
        shortcut: Some(shortcut.into()),
        language,
        formality: Formality::Unknown,
        tags: vec![],
        keywords: vec![],
        body: body.into(),
        times_used: 0,
        times_unmodified: 0,
        last_used_at: None,
    }
}

fn picker_items() -> Vec<CannedResponse> {
    vec![
        item(
            1,
            "access-en",
            "Password reset",
            "access",
            Language::En,
            "A reset link is on its way.",
        ),
        item(
            2,
            "refund-en",
            "Refund issued",
            "refund",
            Language::En,
            "I've issued your refund today.",
        ),
        item(
            3,
            "refund-uk",
            "Повернення коштів",
            "refund",
            Language::Uk,
            "Повернення оформлено.",
        ),
        item(
            4,
            "payout-en",
            "Billing delay",
            "payout",
            Language::En,
            "Your refund or payout is delayed.",
        ),
        item(
            5,
            "access-uk",
            "Відновлення пароля",
            "access",
            Language::Uk,
            "Посилання для зміни пароля вже надіслано.",
        ),
    ]
}

fn ranked_slugs(items: &[CannedResponse], query: &str, language: Language) -> Vec<String> {
    canned::rank(items, query, language)
        .into_iter()
        .map(|i| items[i].slug.clone())
        .collect()
}

#[test]
fn picker_ranks_shortcut_then_title_then_body_in_the_tickets_language_first() {
    let items = picker_items();
    assert_eq!(
        ranked_slugs(&items, "refund", Language::En),
        ["refund-en", "payout-en", "refund-uk"]
    );
    assert_eq!(
        ranked_slugs(&items, "refund", Language::Uk),
        ["refund-uk", "refund-en", "payout-en"]
    );
    assert_eq!(ranked_slugs(&items, "парол", Language::Uk), ["access-uk"]);
    assert_eq!(ranked_slugs(&items, "pswd", Language::En), ["access-en"]);
    let all = ranked_slugs(&items, "", Language::Uk);
    assert_eq!(all.len(), 5);
    assert!(all[..2].iter().all(|s| s.ends_with("-uk")), "{all:?}");
}

#[test]
fn picker_on_the_starter_library_puts_the_customers_register_first() {
    let items = canned::starter_items().unwrap();
    let items: Vec<CannedResponse> = items
        .into_iter()
        .enumerate()
        .map(|(i, n)| CannedResponse {
            id: i as i64,
            ..from_new(n)
        })
        .collect();
    let order = canned::rank_for(&items, "refund", Language::Ru, Formality::Informal);
    assert_eq!(items[order[0]].slug, "refund-ru-informal");
    assert_eq!(items[order[1]].slug, "refund-ru-formal");
    let order = canned::rank(&items, ";;down", Language::En);
    assert_eq!(items[order[0]].slug, "outage-en");
}

fn from_new(n: NewCanned) -> CannedResponse {
    CannedResponse::unsaved(n)
}

// ---- shortcuts and snippets ----

#[test]
fn shortcut_expands_to_the_customers_language_and_register() {
    let store = demo_store();
    let items = store.canned_list().unwrap();
    let text = "Дякую за терпіння.\n;;refund";
    let (range, first) = canned::expand_shortcut(text, &items).unwrap();
    assert_eq!(&text[range.clone()], ";;refund");
    assert_eq!(first.shortcut.as_deref(), Some("refund"));
    let (range2, chosen) =
        canned::expand_shortcut_for(text, &items, Language::Uk, Formality::Informal).unwrap();
    assert_eq!(range2, range);
    assert_eq!(chosen.slug, "refund-uk-informal");
    assert!(canned::expand_shortcut("see ;;nosuchthing", &items).is_none());
    assert!(canned::expand_shortcut("no shortcut here", &items).is_none());
}

#[test]
fn snippets_combine_into_one_letter_and_insert_at_the_cursor() {
    assert_eq!(
        canned::compose("Hi Ann,", "\nBody.\n", "  "),
        "Hi Ann,\n\nBody."
    );
    assert_eq!(
        canned::compose("Hi Ann,", "Body.", "Best,\nAlex"),
        "Hi Ann,\n\nBody.\n\nBest,\nAlex"
    );
    let store = demo_store();
    let items = store.canned_list().unwrap();
    let sarah = customer("Sarah Mitchell", Language::En, Formality::Unknown);
    let agent = AgentConfig {
        name: "Alex Morgan".into(),
        signature: String::new(),
        ..agent()
    };
    let ctx = RenderContext {
        customer: Some(&sarah),
        ticket: None,
        agent: &agent,
        now: friday_morning(),
    };
    let refund = by_slug(&items, "refund-en");
    let letter = canned::render(&canned::full_template(&items, refund), &ctx);
    assert!(
        letter
            .text
            .starts_with("Hi Sarah,\n\nI've issued your refund today."),
        "{}",
        letter.text
    );
    assert!(letter.text.contains("by December 7,"), "{}", letter.text);
    assert!(
        letter.text.ends_with("Best regards,\nAlex Morgan"),
        "{}",
        letter.text
    );
    // A snippet dropped at the cursor keeps its unfilled marker, shifted into place.
    let reference = canned::render(
        &canned::full_template(&items, by_slug(&items, "ticket-ref-en")),
        &ctx,
    );
    assert_eq!(
        reference.unfilled.len(),
        1,
        "no ticket: the number is left to fill"
    );
    let cursor = letter.text.find("\n\nBest regards").unwrap();
    let combined = reference.insert_into(&letter.text, cursor, &letter.unfilled);
    assert_eq!(&combined.text[combined.unfilled[0].clone()], "[ticket.id]");
    assert!(
        combined
            .text
            .contains("myself.Your ticket number is #[ticket.id]; mention it")
            && combined
                .text
                .ends_with("another address.\n\nBest regards,\nAlex Morgan"),
        "{}",
        combined.text
    );
}

// ---- export and import ----

#[test]
fn export_then_import_round_trips_the_library() {
    let mut store = demo_store();
    store
        .canned_add(&NewCanned {
            slug: "custom-uk".into(),
            title: "Моя відповідь: \"лапки\" і '''потрійні'''".into(),
            shortcut: Some("моя".into()),
            language: Language::Uk,
            formality: Formality::Informal,
            tags: vec!["custom".into()],
            keywords: vec!["рядок з пробілами".into()],
            body: "Привіт!\n\n\"\"\" три лапки \\ і бекслеш {{ agent.name }}\n".into(),
        })
        .unwrap();
    let original = store.canned_list().unwrap();
    let text = canned::to_toml(&original).unwrap();
    let parsed = canned::from_toml(&text, "export.toml").unwrap();
    let mut fresh = Store::open_in_memory().unwrap();
    let report = canned::import(&mut fresh, &parsed).unwrap();
    assert_eq!(report.added, original.len());
    let back = fresh.canned_list().unwrap();
    let fields = |v: &[CannedResponse]| v.iter().map(CannedResponse::to_new).collect::<Vec<_>>();
    assert_eq!(fields(&back), fields(&original));
    let again = canned::import(&mut fresh, &parsed).unwrap();
    assert_eq!(
        (again.added, again.updated),
        (0, 0),
        "importing twice changes nothing"
    );
}

#[test]
fn import_refuses_a_broken_template_naming_it() {
    let text =
        "[[reply]]\nslug = \"bad\"\ntitle = \"Bad\"\nlanguage = \"en\"\nbody = \"Hi {% if %}\"\n";
    let err = canned::from_toml(text, "mine.toml")
        .unwrap_err()
        .to_string();
    assert!(err.contains("mine.toml") && err.contains("'bad'"), "{err}");
}

// ---- suggestions ----

/// Customer messages with the reply a support person would pick, in three languages.
const LABELLED: &[(&str, Language, &str)] = &[
    ("I was charged twice for my order #48213 yesterday. Can you please refund the duplicate charge?", Language::En, "refund"),
    ("I can't log in to my account, and the password reset email never arrives.", Language::En, "access"),
    ("Your website has been down for an hour, customers get a 502 error!", Language::En, "down"),
    ("My partner payout for October still hasn't arrived. Is there a problem with my payment details?", Language::En, "payout"),
    ("Would it be possible to export my orders to a CSV file? I do my accounting in a spreadsheet.", Language::En, "feature"),
    ("It's Friday. Any news? I'm still waiting for an update.", Language::En, "delay"),
    ("This is ridiculous and unacceptable. Worst service ever, I'll leave a review everywhere.", Language::En, "calm"),
    ("Добрий день! Не можу увійти в особистий кабінет: пишу пароль, а сайт каже, що він неправильний.", Language::Uk, "access"),
    ("Сайт не відкривається вже годину, показує помилку 502.", Language::Uk, "down"),
    ("Привіт! Чи можна додати експорт замовлень в Excel? Було б дуже зручно.", Language::Uk, "feature"),
    ("Коли надійде моя партнерська виплата за жовтень? Зазвичай вона приходить до 10 числа.", Language::Uk, "payout"),
    ("Хочу повернути гроші за замовлення, товар не підійшов.", Language::Uk, "refund"),
    ("Після оновлення кнопка «Оплатити» не натискається, сторінка зависає.", Language::Uk, "known"),
    ("Є новини по моєму питанню? Досі чекаю відповіді.", Language::Uk, "delay"),
    ("Сайт не открывается уже второй час!!! Ошибка 502 на главной, админка тоже не грузится.", Language::Ru, "down"),
    ("Здравствуйте! Не могу войти в личный кабинет, письмо для восстановления пароля не приходит.", Language::Ru, "access"),
    ("Верните деньги, с карты списали дважды за один заказ.", Language::Ru, "refund"),
    ("Партнёрская выплата за октябрь так и не пришла, что с ней?", Language::Ru, "payout"),
    ("Было бы удобно, если бы можно было выгружать заказы в CSV. Добавите такую функцию?", Language::Ru, "feature"),
    ("Вы прислали не тот товар: я заказывала синий, а пришёл красный.", Language::Ru, "sorry"),
    ("Безобразие! Сколько можно, опять ничего не работает, напишу отзыв везде.", Language::Ru, "calm"),
];

#[test]
fn suggestions_put_the_right_reply_first_for_labelled_messages() {
    let store = demo_store();
    let mut misses = Vec::new();
    for (message, language, expected) in LABELLED {
        let got = canned::suggest(&store, message, *language, Formality::Formal).unwrap();
        assert!(got.len() <= canned::SUGGESTIONS);
        assert!(
            got.iter().all(|c| c.language == *language),
            "{message}: wrong language"
        );
        let first = got
            .first()
            .and_then(|c| c.shortcut.clone())
            .unwrap_or_default();
        if first != *expected {
            let shown: Vec<_> = got.iter().map(|c| c.slug.clone()).collect();
            misses.push(format!("{message}\n  expected {expected}, got {shown:?}"));
        }
    }
    assert!(
        misses.is_empty(),
        "{} of {} wrong:\n{}",
        misses.len(),
        LABELLED.len(),
        misses.join("\n")
    );
}

#[test]
fn suggestions_follow_the_customers_register() {
    let store = demo_store();
    let msg = "Не можу увійти, пароль не підходить";
    let formal = canned::suggest(&store, msg, Language::Uk, Formality::Unknown).unwrap();
    assert_eq!(formal[0].slug, "access-uk-formal");
    let informal = canned::suggest(&store, msg, Language::Uk, Formality::Informal).unwrap();
    assert_eq!(informal[0].slug, "access-uk-informal");
    let shortcuts: Vec<_> = informal.iter().map(|c| c.shortcut.clone()).collect();
    let mut unique = shortcuts.clone();
    unique.sort();
    unique.dedup();
    assert_eq!(
        shortcuts.len(),
        unique.len(),
        "one reply per topic: {shortcuts:?}"
    );
}

#[test]
fn suggestions_learn_from_which_reply_answered_which_message() {
    use firstline::model::{
        Channel, Direction, NewCustomer, NewMessage, NewTicket, Priority, Status,
    };
    let mut store = demo_store();
    // Words no starter reply knows: only history can connect them to "payout".
    let question =
        "Where are my affiliate earnings from the Black Friday campaign? Nothing in my wallet yet.";
    let before = canned::suggest(&store, question, Language::En, Formality::Unknown).unwrap();
    let ticket = store
        .create_ticket(&NewTicket {
            subject: "Black Friday earnings".into(),
            customer: NewCustomer {
                name: "Ada".into(),
                email: Some("ada@example.com".into()),
                ..Default::default()
            },
            channel: Channel::Email,
            priority: Priority::Normal,
            status: Status::New,
            tags: vec![],
            first_message: NewMessage {
                body: "Black Friday campaign earnings missing from my wallet".into(),
                ..Default::default()
            },
        })
        .unwrap();
    let reply = store
        .add_message(
            ticket,
            &NewMessage {
                direction: Direction::Outbound,
                body: "…".into(),
                ..Default::default()
            },
        )
        .unwrap();
    let payout = store.canned_by_slug("payout-en").unwrap().unwrap();
    store.canned_record_sent(reply, payout.id, false).unwrap();
    assert_eq!(
        store.canned_origin(reply).unwrap(),
        Some((payout.id, false))
    );
    let used = store.canned_get(payout.id).unwrap();
    assert_eq!((used.times_used, used.times_unmodified), (1, 1));
    assert!(used.last_used_at.is_some());
    let after = canned::suggest(&store, question, Language::En, Formality::Unknown).unwrap();
    assert_eq!(
        after[0].slug,
        "payout-en",
        "before: {:?}",
        before.iter().map(|c| &c.slug).collect::<Vec<_>>()
    );
}

// ---- command line ----

fn firstline(db: &std::path::Path) -> assert_cmd::Command {
    assert_cmd::Command::from_std(support::cli(db, &db.with_extension("toml")))
}

#[test]
fn cli_lists_exports_and_imports_into_a_new_database() {
    let dir = tempfile::tempdir().unwrap();
    let first = dir.path().join("first.db");
    firstline(&first).arg("demo").assert().success();
    let out = firstline(&first)
        .args(["canned", "list", "--json"])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let listed: Vec<CannedResponse> = serde_json::from_slice(&out.stdout).unwrap();
    assert!(listed.len() >= 70);
    firstline(&first)
        .args([
            "canned",
            "add",
            "--title",
            "Відправлено",
            "--lang",
            "uk",
            "--formality",
            "informal",
            "--shortcut",
            "sent",
        ])
        .write_stdin("Твоє замовлення #{{ ticket.id }} уже в дорозі!")
        .assert()
        .success();
    let file = dir.path().join("replies.toml");
    firstline(&first)
        .args(["canned", "export", "--output"])
        .arg(&file)
        .assert()
        .success();
    firstline(&first)
        .args(["canned", "rm", "sent-uk-informal"])
        .assert()
        .success();
    let second = dir.path().join("second.db");
    firstline(&second)
        .args(["--no-demo", "canned", "import"])
        .arg(&file)
        .assert()
        .success()
        .stdout(predicates::str::contains("1 added"));
    let out = firstline(&second)
        .args(["canned", "show", "sent-uk-informal"])
        .output()
        .unwrap();
    assert!(String::from_utf8_lossy(&out.stdout).contains("уже в дорозі"));
    firstline(&second)
        .args(["canned", "show", "nothing-like-this"])
        .assert()
        .code(1);
}

#[test]
fn missing_value_through_a_filter_is_still_marked() {
    let agent = agent();
    let ctx = RenderContext {
        customer: None,
        ticket: None,
        agent: &agent,
        now: friday_morning(),
    };
    let r = canned::render(
        "Привіт, {{ customer.first_name | vocative }}! Тікет {{ ticket.id }}.",
        &ctx,
    );
    assert_eq!(r.text, "Привіт, [customer.first_name]! Тікет [ticket.id].");
    assert_eq!(r.unfilled.len(), 2);
}

#[test]
fn duplicate_and_edit_document_round_trip() {
    let mut store = demo_store();
    let refund = store.canned_by_slug("refund-uk-formal").unwrap().unwrap();
    let copy = canned::duplicate(&mut store, refund.id).unwrap();
    let copied = store.canned_get(copy).unwrap();
    assert_eq!(copied.slug, "refund-uk-formal-copy");
    assert_eq!(copied.body, refund.body);
    store.canned_delete(copy).unwrap();
    let again = canned::duplicate(&mut store, refund.id).unwrap();
    assert_eq!(
        store.canned_get(again).unwrap().slug,
        "refund-uk-formal-copy-2"
    );
    let doc = canned::edit_document(&refund).unwrap();
    assert_eq!(canned::parse_edit_document(&doc).unwrap(), refund.to_new());
    assert!(!canned::was_edited("Hi,\nthanks", "Hi,  \nthanks\n"));
    assert!(canned::was_edited("Hi,\nthanks", "Hi,\nthank you"));
}

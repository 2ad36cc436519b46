//! Canned responses: rendering, picking, shortcuts, composing, exchange files, the
//! starter library against the demo queue, and suggestions.

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

//! How long one check of a 2 KB reply takes: the tone checker runs on every keystroke
//! in the composer, so the budget is 1 ms. Run with `cargo bench --bench tone`.

use criterion::{criterion_group, criterion_main, Criterion};
use firstline::model::Language;
use firstline::tone::{Checker, ToneContext};
use std::hint::black_box;

/// A realistic reply of about 2 KB: greeting, several paragraphs with an order number,
/// a link, a time promise, a list of steps, a signature.
fn reply(lang: Language) -> String {
    let body = match lang {
        Language::Uk => "Добрий день, Ірино!\n\nДякую, що написали, і перепрошую за затримку. Я перевірила замовлення №10234: посилка вже у відділенні Нової пошти, ТТН 20450123456789. Сьогодні до 18:00 вам прийде SMS з кодом отримання.\n\nЩоб змінити адресу наступних доставок:\n1. Увійдіть в особистий кабінет.\n2. Відкрийте «Профіль» → «Адреси».\n3. Натисніть «Редагувати» і збережіть нову адресу.\n\nЯкщо до вечора повідомлення не буде, я сама зв'яжуся з перевізником і напишу вам. Детальніше про доставку: https://example.com/help/delivery\n\n",
        Language::Ru => "Здравствуйте, Елена!\n\nСпасибо, что написали, и извините за задержку. Я проверила заказ 77120: посылка задержалась на сортировочном складе и сегодня утром выехала к вам. Курьер привезёт её завтра до 14:00.\n\nЧтобы изменить адрес следующих доставок:\n1. Войдите в личный кабинет.\n2. Откройте «Профиль» → «Адреса».\n3. Нажмите «Редактировать» и сохраните новый адрес.\n\nЕсли что-то пойдёт не так, я сама свяжусь со службой доставки и напишу вам. Подробнее: https://example.com/help/delivery\n\n",
        _ => "Hi Mark,\n\nThanks for your patience, and sorry for the delay. I checked order #48213: it left our warehouse on Monday and the courier shows it at your local depot. It should reach you tomorrow before 6 pm.\n\nTo change the address for future deliveries:\n1. Open Settings → Account.\n2. Click \"Addresses\" and edit the default one.\n3. Save, and the next order goes there.\n\nIf it hasn't arrived by Friday, I'll chase the courier myself and write to you. More about delivery: https://example.com/help/delivery\n\n",
    };
    let mut text = String::new();
    while text.len() < 2048 {
        text.push_str(body);
    }
    let mut cut = 2048 - 20;
    while !text.is_char_boundary(cut) {
        cut -= 1;
    }
    text.truncate(cut);
    text.push_str("\nBest regards,\nOlena");
    text
}

fn bench(c: &mut Criterion) {
    let checker = Checker::builtin();
    let notes = vec!["Customer is on the legacy plan, do not offer the 20% discount.".to_string()];
    let contacts = vec![
        "j.doe@example.org".to_string(),
        "+380 67 555 12 34".to_string(),
    ];
    for (name, lang, customer) in [
        (
            "check_2kb_reply_en",
            Language::En,
            "Hi, my order #48213 hasn't arrived yet. Where is it?",
        ),
        (
            "check_2kb_reply_uk",
            Language::Uk,
            "Доброго дня! Замовлення №10234 досі не прийшло. Підкажіть, де воно?",
        ),
        (
            "check_2kb_reply_ru",
            Language::Ru,
            "Здравствуйте! Заказ 77120 до сих пор не пришёл. Подскажите, что с ним?",
        ),
    ] {
        let text = reply(lang);
        let ctx = ToneContext {
            customer_message: Some(customer),
            internal_notes: &notes,
            other_contacts: &contacts,
            agent_name: "Olena Koval",
            ..ToneContext::default()
        };
        c.bench_function(&format!("{name} ({} bytes)", text.len()), |b| {
            b.iter(|| checker.check(black_box(&text), black_box(&ctx)))
        });
        // As in the composer: every check sees a reply that changed since the last
        // one, here inside the sentence with the promised time, so nothing the checker
        // remembers per sentence is reused for it.
        let anchor = match lang {
            Language::Uk => "18:00",
            Language::Ru => "14:00",
            _ => "6 pm",
        };
        let mut n = 0u64;
        c.bench_function(&format!("{name} while typing"), |b| {
            b.iter(|| {
                n += 1;
                let typed = text.replacen(anchor, &format!("{anchor} {n}"), 1);
                checker.check(black_box(&typed), black_box(&ctx))
            })
        });
        // The same, but the customer's message differs on every check (a number
        // appended), so the customer's side is read afresh each time, as it was on
        // every keystroke before it was kept per message: the cache's share.
        c.bench_function(
            &format!("{name} while typing, customer read each time"),
            |b| {
                b.iter(|| {
                    n += 1;
                    let typed = text.replacen(anchor, &format!("{anchor} {n}"), 1);
                    let message = format!("{customer} {n}");
                    let ctx = ToneContext {
                        customer_message: Some(&message),
                        ..ctx
                    };
                    checker.check(black_box(&typed), black_box(&ctx))
                })
            },
        );
    }
}

criterion_group!(benches, bench);
criterion_main!(benches);

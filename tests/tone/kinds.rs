//! False flags and misses by kind (issue 20, the sixth session): each test holds a
//! kind of reply in new words — not the tuning sentence it was found in — with the
//! near-miss on the other side of the line.

use super::{customer, AGENT};
use firstline::model::{Formality, Language};
use firstline::tone::{Checker, Finding, Severity, ToneContext};

fn findings(reply: &str, message: &str, name: &str, lang: Language) -> Vec<Finding> {
    let cust = customer(name, lang, Formality::Unknown);
    let ctx = ToneContext {
        customer_message: Some(message),
        customer: Some(&cust),
        agent_name: AGENT,
        ..ToneContext::default()
    };
    Checker::builtin()
        .with_learned(None)
        .check(reply, &ctx)
        .findings
}

fn severity_of(reply: &str, message: &str, lang: Language, rule: &str) -> Option<Severity> {
    findings(reply, message, "Ірина Коваль", lang)
        .iter()
        .filter(|f| f.rule == rule)
        .map(|f| f.severity)
        .min()
}

fn warns(reply: &str, message: &str, lang: Language, rule: &str) -> bool {
    severity_of(reply, message, lang, rule).is_some_and(|s| s <= Severity::Warn)
}

/// "Ти сам винен", «Сам виноват», "that's on you": the fault put on the customer in
/// plain words, with or without the pronoun.
#[test]
fn blaming_the_customer_in_plain_words_is_caught() {
    let uk = "Добрий день! Я не можу увійти в кабінет, пароль не підходить.";
    let ru = "Здравствуйте! Не могу войти в кабинет, пароль не подходит.";
    let en = "Hi, I can't log in, my password doesn't work.";
    for (reply, message, lang) in [
        ("Ти сам винен.", uk, Language::Uk),
        ("Сам винен", uk, Language::Uk),
        (
            "Самі винуваті, треба було зберегти пароль.",
            uk,
            Language::Uk,
        ),
        ("Ты сам виноват.", ru, Language::Ru),
        ("Сама виновата.", ru, Language::Ru),
        ("That's on you, you changed it yourself.", en, Language::En),
        ("You only have yourself to blame here.", en, Language::En),
    ] {
        assert!(
            warns(reply, message, lang, "respect.blame"),
            "{reply:?}: {:?}",
            findings(reply, message, "", lang)
        );
    }
    // Under a negation the customer is cleared.
    assert!(!warns(
        "Ви не винні: пароль скинула наша система, я вже надіслала новий.",
        uk,
        Language::Uk,
        "respect.blame"
    ));
}

/// «Ты что, читать не умеешь?», "Can't you read?": the customer's competence
/// questioned, whatever the skill; a plain question about a feature is not.
#[test]
fn questioning_the_customers_competence_is_condescension() {
    let ru = "Здравствуйте! Не могу найти, где поменять адрес доставки.";
    let uk = "Добрий день! Не можу знайти, де змінити адресу доставки.";
    let en = "Hi, I can't find where to change my delivery address.";
    for (reply, message, lang) in [
        ("Ты что, читать не умеешь?", ru, Language::Ru),
        ("читать не умеешь", ru, Language::Ru),
        ("Вы вообще умеете пользоваться сайтом?", ru, Language::Ru),
        ("Вы что, не видите кнопку «Изменить»?", ru, Language::Ru),
        ("Ви що, не бачите кнопку «Змінити»?", uk, Language::Uk),
        ("Користуватися сайтом не вмієте?", uk, Language::Uk),
        ("Can't you read? It's on the first page.", en, Language::En),
        ("Do you even know where Settings is?", en, Language::En),
    ] {
        assert!(
            warns(reply, message, lang, "respect.condescension"),
            "{reply:?}: {:?}",
            findings(reply, message, "", lang)
        );
    }
    for (reply, message, lang) in [
        (
            "Можете ли вы открыть «Профиль»? Там справа кнопка «Изменить адрес».",
            ru,
            Language::Ru,
        ),
        (
            "Ви вже бачите кнопку «Змінити» у профілі? Якщо ні, надішлю скріншот.",
            uk,
            Language::Uk,
        ),
        (
            "Can you see the Edit button under Profile now? If not, I'll send a screenshot.",
            en,
            Language::En,
        ),
    ] {
        assert!(
            !warns(reply, message, lang, "respect.condescension"),
            "{reply:?}: {:?}",
            findings(reply, message, "", lang)
        );
    }
}

/// "Was that call from you?" — "No, it wasn't us": answering whether a call or a
/// message came from us is no deflection; "not us" about a problem still is.
#[test]
fn not_us_answering_whether_it_was_us_is_no_deflection() {
    for (reply, message, lang) in [
        (
            "Дякую, що перепитали. Ні, це не ми: ми ніколи не просимо пароль телефоном. Номер, з якого дзвонили, я передав нашим юристам.",
            "Мені дзвонили і просили пароль від кабінету. Це справді ви?",
            Language::Uk,
        ),
        (
            "Спасибо, что уточнили. Нет, это не мы — мы не рассылаем ссылки на оплату в мессенджерах. Ссылку я передала в службу безопасности.",
            "Мне пришла ссылка на оплату заказа в мессенджер. Это от вас?",
            Language::Ru,
        ),
        (
            "Thanks for checking first. That text was not from us: we never send payment links by SMS. I've passed the number to our fraud team.",
            "I got a text with a payment link for my order. Was it from you?",
            Language::En,
        ),
    ] {
        assert!(
            !warns(reply, message, lang, "ownership.deflection"),
            "{reply:?}: {:?}",
            findings(reply, message, "", lang)
        );
    }
    assert!(warns(
        "Це не ми, це банк затримує платіж.",
        "Гроші досі не прийшли на рахунок, коли буде повернення?",
        Language::Uk,
        "ownership.deflection"
    ));
}

/// "I still haven't decided": a "still not" about the customer's own doing is no
/// complaint; "I'm still waiting" is.
#[test]
fn still_not_about_the_customers_own_pace_is_no_upset() {
    let reply = "Hi Sam, of course: I've moved your trial end to the 30th, so there's time to compare plans.";
    assert!(!warns(
        reply,
        "My trial ends tomorrow and I still haven't compared the plans. Could I have a few more days?",
        Language::En,
        "feel.upset-unacknowledged"
    ));
    assert!(warns(
        reply,
        "My trial ends tomorrow and I'm still waiting for the plans page to load. Could I have a few more days?",
        Language::En,
        "feel.upset-unacknowledged"
    ));
}

/// «бро», «братан», «друже»: a customer who addresses us as a mate writes informally,
/// so «ти» back is no mismatch; a customer with no such word still expects «Ви».
#[test]
fn a_customer_calling_us_mate_is_informal() {
    let reply = "Привет! Сервер лёг после нашего обновления, откатываем — минут через 20 поднимется, напишу тебе.";
    assert!(!warns(
        reply,
        "бро, когда сервер почините? уже полчаса лежит",
        Language::Ru,
        "feel.formality-mismatch"
    ));
    assert!(warns(
        reply,
        "Когда сервер почините? Уже полчаса лежит.",
        Language::Ru,
        "feel.formality-mismatch"
    ));
    let uk = "Привіт! Сервер впав після нашого оновлення, відкочуємо — за 20 хвилин підніметься, напишу тобі.";
    assert!(!warns(
        uk,
        "друже, коли сервер полагодите? вже пів години лежить",
        Language::Uk,
        "feel.formality-mismatch"
    ));
}

/// An address the customer is told to send something to, named by one word on a
/// domain that is no public mail service, is the organisation's inbox (a hint); on a
/// public mail service, or named like a person, it may be a person's (a block).
/// A phone given with the hours to call it is a line offered, not a pasted contact.
#[test]
fn an_inbox_to_send_to_and_a_line_with_hours_are_only_pointed_out() {
    let message = "Добрий день! Як передати вам скан договору?";
    let inbox = "Добрий день! Скан можна надіслати на docs@notary.example.com, ми перевіримо його за годину.";
    assert_eq!(
        severity_of(inbox, message, Language::Uk, "house.unknown-contact"),
        Some(Severity::Hint)
    );
    for private in [
        "Добрий день! Скан можна надіслати на petro@gmail.com, ми перевіримо його за годину.",
        "Добрий день! Скан можна надіслати на petro.ivanenko@notary.example.com, ми перевіримо його за годину.",
    ] {
        assert_eq!(
            severity_of(private, message, Language::Uk, "house.unknown-contact"),
            Some(Severity::Block),
            "{private}"
        );
    }
    let message = "Здравствуйте! Кто поможет занести шкаф на пятый этаж?";
    let line = "Здравствуйте! Грузчики будут в четверг. Бригадир Олег, телефон +7 912 345 67 89, с 9 до 18 — звоните ему напрямую.";
    assert_eq!(
        severity_of(line, message, Language::Ru, "house.unknown-contact"),
        Some(Severity::Hint)
    );
    let pasted = "Здравствуйте! Грузчики будут в четверг. Телефон прошлого заказчика +7 912 345 67 89 — он тоже заказывал подъём.";
    assert_eq!(
        severity_of(pasted, message, Language::Ru, "house.unknown-contact"),
        Some(Severity::Block)
    );
}

/// «моя» is spelt alike in Ukrainian and Russian: a slangy Russian message whose only
/// listed word is «моя» must not be taken for Ukrainian, so a Russian reply to it is no
/// language mismatch.
#[test]
fn a_word_spelt_alike_in_both_languages_tells_neither() {
    let reply = "Привет! Патч сломал сохранения у части игроков, мы его откатили — перезайди, коллекция вернётся.";
    let message = "бро, после патча пропала моя коллекция скинов, глянь плз";
    let found = findings(reply, message, "", Language::Ru);
    assert!(
        found.iter().all(|f| f.rule != "house.language-mismatch"),
        "{found:?}"
    );
}

// The seventh session: the kinds behind the polite replies of batch 8 (held-out set E
// until then) that the rules flagged, each held in new words.

/// One word the customer wrote in capitals themselves ("TOEFL", "ОСАГО") is the name
/// of what they asked about; a run of capitals is still shouting.
#[test]
fn the_customers_own_capitalised_term_is_no_shouting() {
    let en = "Does your evening TOEFL course fit around a full-time job?";
    assert!(!warns(
        "Yes: the evening TOEFL group meets twice a week after 7 pm.",
        en,
        Language::En,
        "respect.caps"
    ));
    assert!(warns(
        "The evening TOEFL group is FULLY BOOKED, as the page says.",
        en,
        Language::En,
        "respect.caps"
    ));
    // Not the customer's word: still loud.
    assert!(warns(
        "Please read the SCHEDULE before writing.",
        en,
        Language::En,
        "respect.caps"
    ));
    let ru = "Подскажите, ОСАГО можно оформить онлайн?";
    assert!(!warns(
        "Да, ОСАГО оформляется на сайте за 10 минут.",
        ru,
        Language::Ru,
        "respect.caps"
    ));
}

/// Speaking to the very feeling the customer named ("no reason to worry", «не варто
/// лякатися») hears it; a reply that ignores it does not.
#[test]
fn naming_the_customers_feeling_acknowledges_it() {
    let en = "I'm really scared my visa appointment will be lost if the documents don't arrive.";
    assert!(!warns(
        "Nothing to be scared of here: the documents left today and arrive on Tuesday, a week before your appointment.",
        en,
        Language::En,
        "feel.upset-unacknowledged"
    ));
    assert!(warns(
        "The documents left today and arrive on Tuesday.",
        en,
        Language::En,
        "feel.upset-unacknowledged"
    ));
    let uk = "Добрий день. Я дуже хвилююся, що посилка з ліками загубилася.";
    assert!(!warns(
        "Добрий день! Хвилюватися не треба: посилка вже у відділенні, забрати можна сьогодні до 20:00.",
        uk,
        Language::Uk,
        "feel.upset-unacknowledged"
    ));
    // A phrase of the list shares its words with anything: "passed away" is no
    // feeling named by a reply that has "passed" the case on.
    let loss = "My father passed away and his subscription is still being charged.";
    assert!(warns(
        "I have passed this to billing.",
        loss,
        Language::En,
        "feel.upset-unacknowledged"
    ));
}

/// A phone or an address the reply calls the agent's or the company's own ("my
/// mobile", «наш Viber») is offered, not leaked: pointed out, not blocked. A stranger's
/// mobile with no such words still blocks.
#[test]
fn a_contact_the_reply_calls_ours_is_only_pointed_out() {
    let uk = "Добрий день! Коли привезуть шафу?";
    let rule = "house.unknown-contact";
    for reply in [
        "Шафу привеземо в четвер. Якщо щось зміниться, мій робочий номер: 050 123 45 67.",
        "Шафу привеземо в четвер. Фото можна надіслати на наш Viber 093 765 43 21.",
    ] {
        assert_eq!(
            severity_of(reply, uk, Language::Uk, rule),
            Some(Severity::Hint),
            "{reply}"
        );
    }
    assert_eq!(
        severity_of(
            "Шафу привеземо в четвер. Водій: 050 123 45 67.",
            uk,
            Language::Uk,
            rule
        ),
        Some(Severity::Block)
    );
    let en = "Hi, when will the wardrobe be delivered?";
    assert_eq!(
        severity_of(
            "It arrives on Thursday. If anything changes, call my direct line: 07700 900123.",
            en,
            Language::En,
            rule
        ),
        Some(Severity::Hint)
    );
}

/// «писали нібито від вас… Це правда ваші?», "a text supposedly from your bank": the
/// customer asks whether a contact claiming to be us was us; «це були не ми» answers.
#[test]
fn not_us_answering_a_contact_that_claimed_to_be_us_is_no_deflection() {
    let rule = "ownership.deflection";
    let uk = "Мені прийшла SMS нібито від вашого магазину з посиланням на оплату. Це правда ваші?";
    assert!(!warns(
        "Ні, це не ми. Ми не надсилаємо посилань на оплату в SMS, не переходьте за ним.",
        uk,
        Language::Uk,
        rule
    ));
    let ru = "Мне звонили якобы от вашей службы доставки и просили код из СМС.";
    assert!(!warns(
        "Это были не мы: мы никогда не просим коды. Не сообщайте его никому.",
        ru,
        Language::Ru,
        rule
    ));
    // A complaint about our courier is no such question: "not us" still deflects.
    let complaint = "Ваш кур'єр розбив мені вазу при доставці!";
    assert!(warns(
        "Це не до нас, звертайтеся до служби доставки.",
        complaint,
        Language::Uk,
        rule
    ));
}

/// An insult stem that was only a prefix of neutral words: «недоумение»
/// (bewilderment), «дебелий» (stout). The insults themselves still block.
#[test]
fn neutral_words_sharing_an_insult_prefix_are_no_insult() {
    let ru = "Почему списали деньги дважды?";
    let rule = "respect.insult";
    assert_eq!(
        severity_of(
            "Понимаю ваше недоумение: второе списание — это блокировка, она снимется завтра.",
            ru,
            Language::Ru,
            rule
        ),
        None
    );
    assert_eq!(
        severity_of("Вы недоумок.", ru, Language::Ru, rule),
        Some(Severity::Block)
    );
    assert_eq!(
        severity_of("Ну и дебил.", ru, Language::Ru, rule),
        Some(Severity::Block)
    );
    let uk = "Чи витримає полиця 40 кг?";
    assert_eq!(
        severity_of(
            "Так, полиця дебела, дубова, витримає і 60 кг.",
            uk,
            Language::Uk,
            rule
        ),
        None
    );
}

/// A customer typing Russian in Latin letters for want of a keyboard is answered in
/// Russian without a language mismatch; an English customer still gets one.
#[test]
fn russian_typed_in_latin_letters_is_answered_in_russian() {
    let rule = "house.language-mismatch";
    for translit in [
        "privet, zakazal kurtku razmer L, prishla M. mozhno pomenyat? chek est",
        "zdravstvuyte! oplatil podpisku, a dostupa net. chto delat?",
    ] {
        assert!(!warns(
            "Здравствуйте! Да, всё решим: напишите номер заказа, и я сегодня же всё проверю.",
            translit,
            Language::Ru,
            rule
        ));
    }
    assert!(warns(
        "Здравствуйте! Курьер приедет завтра с 10:00 до 14:00, заказ оплачен.",
        "Hi, when will the courier come? The order is already paid.",
        Language::Ru,
        rule
    ));
}

/// «Тож до п'ятниці Ви її отримаєте»: the shape "that's for someone else" («це до
/// банку», «то уже не до нас») with a day or a time in the someone's place is a time
/// frame, not the problem sent elsewhere (a new-user trial: a promise of delivery by
/// Friday was flagged as deflection). Someone after "до" still is.
#[test]
fn a_time_after_its_for_is_a_time_frame_not_deflection() {
    let uk = "Коли буде моя посилка? Замовлення 5521.";
    let ru = "Когда будет моя посылка? Заказ 5521.";
    for (reply, message, lang) in [
        (
            "Добрий день! Посилку передали перевізнику сьогодні, тож до п'ятниці Ви її отримаєте.",
            uk,
            Language::Uk,
        ),
        (
            "Посилку вже відправили, то до 18:00 завтра буде у Вас.",
            uk,
            Language::Uk,
        ),
        (
            "Посылку передали сегодня, так что к пятнице она будет у Вас.",
            ru,
            Language::Ru,
        ),
    ] {
        assert!(
            !warns(reply, message, lang, "ownership.deflection"),
            "{reply:?}: {:?}",
            findings(reply, message, "", lang)
        );
    }
    assert!(
        warns(
            "Це вже до перевізника, ми тут ні до чого.",
            uk,
            Language::Uk,
            "ownership.deflection"
        ),
        "a party after «до» is still deflection"
    );
}

/// "Calm down", «Успокойтесь», «Заспокойтеся»: telling an upset customer to calm down
/// dismisses the feeling (a new-user trial: all three passed commandment 1). Saying the
/// feeling is understood, and what happens next, is not.
#[test]
fn telling_the_customer_to_calm_down_is_condescension() {
    let en = "I was charged twice and nobody answers!";
    let ru = "С меня списали дважды, и никто не отвечает!";
    let uk = "З мене списали двічі, і ніхто не відповідає!";
    for (reply, message, lang) in [
        ("Calm down, it's just 64 dollars.", en, Language::En),
        ("Please calm down, we will look at it.", en, Language::En),
        ("Успокойтесь, пожалуйста, всё работает.", ru, Language::Ru),
        (
            "Заспокойтеся, нічого страшного не сталося.",
            uk,
            Language::Uk,
        ),
    ] {
        assert!(
            warns(reply, message, lang, "respect.condescension"),
            "{reply:?}: {:?}",
            findings(reply, message, "", lang)
        );
    }
    for (reply, message, lang) in [
        (
            "I understand how stressful a double charge is; I have refunded the second one today.",
            en,
            Language::En,
        ),
        (
            "Понимаю, как это неприятно; второе списание я вернула сегодня.",
            ru,
            Language::Ru,
        ),
    ] {
        assert!(
            !warns(reply, message, lang, "respect.condescension"),
            "{reply:?}: {:?}",
            findings(reply, message, "", lang)
        );
    }
}

/// «Це не наша провина, ви самі не вимкнули автопродовження»: "not our fault" in the
/// word «провина», and "you yourself did not …" — blame put on the customer (a
/// new-user trial: it passed commandments 1 and 3, while the Russian was caught). Saying
/// the customer is not to blame is not.
#[test]
fn not_our_fault_you_did_not_yourself_is_blame_in_ukrainian() {
    let uk = "Чому з мене знову зняли гроші за підписку?";
    let reply = "Це не наша провина, ви самі не вимкнули автопродовження.";
    let all = findings(reply, uk, "", Language::Uk);
    assert!(
        warns(reply, uk, Language::Uk, "respect.blame")
            || warns(reply, uk, Language::Uk, "ownership.deflection"),
        "{all:?}"
    );
    assert!(warns(reply, uk, Language::Uk, "respect.blame"), "{all:?}");
    let kind =
        "Ви самі нічого не зробили неправильно: списання — наша помилка, гроші повернемо сьогодні.";
    assert!(
        !warns(kind, uk, Language::Uk, "respect.blame"),
        "{:?}",
        findings(kind, uk, "", Language::Uk)
    );
}

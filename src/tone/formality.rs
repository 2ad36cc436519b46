//! Formality: whether a Ukrainian or Russian text addresses the reader as Ви/Вы or
//! ти/ты. Pronouns, possessives and second-person verb forms (можете/можеш, напишіть/
//! напиши) are counted from the word lists in `assets/tone/`; English has no such
//! distinction and is always `Unknown`.

use super::rules::Lexicons;
use crate::model::{Formality, Language};
use std::ops::Range;

/// Detects how `text` addresses its reader. Formal and informal markers are counted;
/// the larger count wins, a tie (including none) is `Unknown`. `lang` picks the word
/// lists (pass what [`super::detect_language`] said); English and other languages
/// have no Ви/ти distinction and are always `Unknown`.
pub fn detect_formality(text: &str, lang: Language) -> Formality {
    let book = super::builtin_book();
    Markers::find(text, lang, &book.lex).formality()
}

/// The formality markers found in a text.
#[derive(Debug, Default)]
pub(crate) struct Markers {
    pub formal: Vec<Range<usize>>,
    pub informal: Vec<Range<usize>>,
}

impl Markers {
    pub(crate) fn find(text: &str, lang: Language, lex: &Lexicons) -> Markers {
        let Some((formal, informal)) = lex.formality_of(lang) else {
            return Markers::default();
        };
        Markers {
            formal: formal.find_iter(text).collect(),
            informal: informal.find_iter(text).collect(),
        }
    }

    /// How a customer addresses us. «у вас», «ваш бот» beside «підкажи», «слушай»
    /// speak to the company (plural), not to a stranger politely: when the text has
    /// informal markers, plural pronouns do not count as formal.
    pub(crate) fn customer_formality(&self, text: &str) -> Formality {
        if self.informal.is_empty() {
            return self.formality();
        }
        let plural = |r: &Range<usize>| {
            let w = text.get(r.clone()).unwrap_or("").to_lowercase();
            let w = w.trim();
            w.starts_with("ваш") || matches!(w, "вас" | "вам" | "вами" | "ви" | "вы")
        };
        let formal = self.formal.iter().filter(|r| !plural(r)).count();
        match formal.cmp(&self.informal.len()) {
            std::cmp::Ordering::Greater => Formality::Formal,
            std::cmp::Ordering::Less => Formality::Informal,
            std::cmp::Ordering::Equal => Formality::Unknown,
        }
    }

    pub(crate) fn formality(&self) -> Formality {
        match self.formal.len().cmp(&self.informal.len()) {
            std::cmp::Ordering::Greater => Formality::Formal,
            std::cmp::Ordering::Less => Formality::Informal,
            std::cmp::Ordering::Equal => Formality::Unknown,
        }
    }
}

/// Patronymic endings (Ukrainian and Russian, male and female).
const PATRONYMIC_ENDINGS: &[&str] = &[
    "ович",
    "евич",
    "йович",
    "івна",
    "ївна",
    "овна",
    "евна",
    "ична",
    "інічна",
];

/// Whether the text names someone by first name and patronymic ("Іван Петрович",
/// "Ольга Сергеевна"): a formal way to sign or address, in both languages.
pub(crate) fn has_patronymic(text: &str) -> bool {
    let words: Vec<&str> = super::text::words(text).map(|(_, w)| w).collect();
    words.windows(2).any(|pair| {
        let capital = |w: &str| w.chars().next().is_some_and(char::is_uppercase);
        let second = pair[1].to_lowercase();
        capital(pair[0])
            && capital(pair[1])
            && pair[1].chars().count() >= 6
            && PATRONYMIC_ENDINGS.iter().any(|e| second.ends_with(e))
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use Formality::*;
    use Language::*;

    #[test]
    fn name_and_patronymic_are_found() {
        assert!(has_patronymic("З повагою, Іван Петрович"));
        assert!(has_patronymic("Ольга Сергеевна Ким"));
        assert!(!has_patronymic("Иван Петров, Москва"));
        assert!(!has_patronymic("Як справи, Богдан?"));
    }

    #[test]
    fn an_informal_customer_speaking_to_the_company_as_plural_stays_informal() {
        let lex = &crate::tone::builtin_book().lex;
        for (text, lang) in [
            (
                "йо, підкажи, до котрої у вас тренування у малих у суботу?",
                Uk,
            ),
            ("слушай, а можно у вас в коворкинге переночевать?", Ru),
        ] {
            let m = Markers::find(text, lang, lex);
            assert_eq!(m.customer_formality(text), Informal, "{text}");
        }
        let formal = "Підкажіть, будь ласка, чи у вас є доставка?";
        let m = Markers::find(formal, Uk, lex);
        assert_eq!(m.customer_formality(formal), Formal);
    }

    #[test]
    fn formality_table() {
        let table: &[(&str, Language, Formality)] = &[
            (
                "Доброго дня! Чи можете Ви допомогти з замовленням?",
                Uk,
                Formal,
            ),
            ("Привіт, можеш глянути моє замовлення?", Uk, Informal),
            ("Напишіть, будь ласка, номер замовлення.", Uk, Formal),
            ("Напиши номер замовлення, будь ласка.", Uk, Informal),
            ("Дякую вам за допомогу", Uk, Formal),
            ("Дякую тобі за допомогу", Uk, Informal),
            ("Перевірте, будь ласка, ваш email.", Uk, Formal),
            ("Перевір свою пошту, там лист.", Uk, Informal),
            (
                "Здравствуйте! Подскажите, пожалуйста, где мой заказ?",
                Ru,
                Formal,
            ),
            ("Привет, подскажи, где мой заказ?", Ru, Informal),
            ("Вы не могли бы проверить оплату?", Ru, Formal),
            ("Ты можешь проверить оплату?", Ru, Informal),
            ("Проверьте ваш почтовый ящик.", Ru, Formal),
            ("Спасибо, всё пришло.", Ru, Unknown),
            ("Документы пришли на сайте вчера.", Ru, Unknown),
            // A participle is no «ты» (t4-ru-034, t5-ru-050: the reflexive imperative
            // pattern took "-ейся" after any vowel, ё standing for е too).
            ("Оплачено картой, оканчивающейся на 5678.", Ru, Unknown),
            ("Успокойся, всё будет.", Ru, Informal),
            // Street greetings and "слышь" are «ты» without the pronoun (t4-ru-092,
            // t5-ru-070: an informal reply to them was taken for over-familiar).
            ("слышь, почему я не могу зайти в аккаунт?", Ru, Informal),
            ("здарова, можно поменять кроссы 42 на 43?", Ru, Informal),
            ("Замовлення отримав, дякую.", Uk, Unknown),
            ("Could you check my order?", En, Unknown),
        ];
        for (text, lang, want) in table {
            assert_eq!(detect_formality(text, *lang), *want, "{text}");
        }
    }
}

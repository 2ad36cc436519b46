//! Property tests, bounded for CI: hostile text never escapes the sanitizer, and no
//! query string makes search fail with anything but a clear user error.

#[path = "support/controls.rs"]
mod controls;

use controls::has_terminal_controls;
use firstline::display::{fit, sanitize, sanitize_line};
use firstline::store::{SearchQuery, Store, StoreError};
use proptest::prelude::*;
use unicode_width::UnicodeWidthStr;

proptest! {
    #![proptest_config(ProptestConfig { cases: 512, ..ProptestConfig::default() })]

    #[test]
    fn sanitized_text_has_no_controls(s in any::<String>()) {
        for out in [sanitize(&s), sanitize_line(&s)] {
            prop_assert!(!has_terminal_controls(&out), "{out:?}");
        }
        prop_assert!(!sanitize_line(&s).contains('\n'));
    }

    #[test]
    fn fit_never_exceeds_width(s in "\\PC{0,40}", w in 0usize..30) {
        prop_assert!(fit(&s, w).width() <= w.max(1));
    }

    #[test]
    fn any_query_searches_or_says_why(q in any::<String>()) {
        let store = Store::open_in_memory().unwrap();
        match SearchQuery::parse(&q) {
            Ok(parsed) => { store.search(&parsed, 10).map_err(|e| TestCaseError::fail(format!("{q:?}: {e}")))?; }
            Err(e) => prop_assert!(matches!(e, StoreError::Invalid(_)), "{e}"),
        }
    }
}

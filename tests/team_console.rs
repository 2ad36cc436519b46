//! Two consoles of two agents on one PostgreSQL queue, each a real `firstline` in a
//! pseudo-terminal (issue 19): each sees where the other is ("Olena is viewing",
//! "Petro is replying"), a note written in one appears in the other without a key
//! press (the server's push), sending a reply after the other's note asks who and
//! when first, and a console that quits is no longer shown. Every wait is on the
//! screen's own text, within the support module's deadline.

mod support;

#[path = "support/pg.rs"]
mod pg;

use std::path::{Path, PathBuf};

use support::{cli, run_ok, Console};

fn agent(dir: &Path, name: &str) -> PathBuf {
    let path = dir.join(format!("{name}.toml"));
    std::fs::write(
        &path,
        format!(
            "[agent]\nname = \"{name}\"\nemail = \"help@shop.example\"\n\
             [mail]\naddresses = [\"help@shop.example\"]\n"
        ),
    )
    .unwrap();
    path
}

#[test]
fn two_consoles_on_postgresql_see_each_other_and_ask_before_a_colliding_reply() {
    let db = pg::fresh_db();
    let url = PathBuf::from(db.url());
    let dir = tempfile::tempdir().unwrap();
    let olena = agent(dir.path(), "Olena");
    let petro = agent(dir.path(), "Petro");
    run_ok(cli(&url, &olena).args([
        "--no-demo",
        "new",
        "--from",
        "Ann <ann@example.com>",
        "--subject",
        "Parcel never came",
        "--body",
        "My parcel never came. Where is it?",
    ]));

    let mut a = Console::start_args(&url, &olena, &["--no-demo"]);
    let mut b = Console::start_args(&url, &petro, &["--no-demo"]);
    a.wait_for("Parcel never came");
    b.wait_for("Parcel never came");
    // The team views sit beside the others, with a name set.
    a.wait_for("7 Mine");
    a.send("\r");
    b.send("\r");
    b.wait_for("Olena is viewing");
    a.wait_for("Petro is viewing");

    b.send("r");
    b.wait_for("Reply to");
    a.wait_for("Petro is replying");
    let draft = "Checking with the courier now.";
    b.type_text(draft);
    b.wait_for(draft);

    // Olena's note shows in Petro's console with no key pressed there.
    a.send("n");
    let note = "Called the courier: delivered to a neighbour.";
    a.type_text(note);
    a.wait_for("delivered to a");
    a.send("\x13"); // Ctrl-S
    a.wait_for("note added");
    b.wait_for("delivered to a neighbour");

    b.send("\x13"); // Ctrl-S
    let asked = b.wait_until("the collision question (or the tone check first)", |s| {
        s.contains("Olena added a note") || s.contains("Send anyway?")
    });
    if !asked.contains("Olena added a note") {
        b.send("y");
        b.wait_for("Olena added a note");
    }
    let screen = b.wait_for("send anyway?");
    assert!(screen.contains("Olena added a note just now"), "{screen}");
    b.send("n");
    let kept = b.wait_for("not sent; the draft is kept");
    assert!(kept.contains(draft), "{kept}");
    let outbound: i64 = db
        .connect()
        .query_one(
            "SELECT count(*) FROM messages WHERE direction = 'outbound'",
            &[],
        )
        .unwrap()
        .get(0);
    assert_eq!(outbound, 0, "nothing was sent");

    // Olena quits: her row goes, and Petro's header stops naming her.
    a.send("q");
    assert!(a.wait_exit().success());
    b.wait_until("Olena's presence gone", |s| !s.contains("Olena is"));
    b.send("\x1b");
    b.wait_for("r continues it");
    b.send("q");
    assert!(b.wait_exit().success());
}

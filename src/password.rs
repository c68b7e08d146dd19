//! `shop console hash-password`: an operator's password in, its argon2 hash out.

use std::io::{BufRead, IsTerminal};

use anyhow::Context;

/// Reads the password (prompting on a terminal without echo, otherwise the first line of
/// standard input) and prints its hash. Never from an argument: `ps` shows those.
pub fn print_hash() -> anyhow::Result<()> {
    let password = if std::io::stdin().is_terminal() {
        let first = rpassword::prompt_password("Password: ").context("reading the password")?;
        let again = rpassword::prompt_password("Again: ").context("reading the password")?;
        anyhow::ensure!(first == again, "the two passwords differ");
        first
    } else {
        let mut line = String::new();
        std::io::stdin()
            .lock()
            .read_line(&mut line)
            .context("reading the password from standard input")?;
        line.trim_end_matches(['\r', '\n']).to_owned()
    };
    anyhow::ensure!(
        password.chars().count() >= 12,
        "the password must have at least 12 characters"
    );
    println!("{}", shop_console::users::hash_password(&password));
    Ok(())
}

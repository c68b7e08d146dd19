//! `MailConfig` as clap parses it, and the `Mailer` it builds.

use clap::{CommandFactory, Parser};
use shop_invoice::{DEFAULT_MAIL_DIR, MailConfig, Mailer};

#[derive(Parser, Debug)]
struct Cli {
    #[command(flatten)]
    mail: MailConfig,
}

fn parse(args: &[&str]) -> Result<MailConfig, clap::Error> {
    let argv = std::iter::once("shop").chain(args.iter().copied());
    Cli::try_parse_from(argv).map(|cli| cli.mail)
}

#[test]
fn every_setting_is_read_from_its_environment_variable() {
    let command = Cli::command();
    let envs: Vec<_> = command
        .get_arguments()
        .filter_map(|arg| arg.get_env().and_then(|e| e.to_str()))
        .collect();
    assert_eq!(envs, ["SHOP_SMTP_URL", "SHOP_MAIL_FROM", "SHOP_MAIL_DIR"]);
}

#[test]
fn without_settings_mail_goes_to_files_from_the_default_sender() {
    // Skipped when the environment of the test run sets these variables itself.
    if ["SHOP_SMTP_URL", "SHOP_MAIL_FROM", "SHOP_MAIL_DIR"]
        .iter()
        .any(|v| std::env::var_os(v).is_some())
    {
        return;
    }
    let config = parse(&[]).expect("defaults parse");
    assert_eq!(config.smtp_url(), None);
    assert_eq!(
        config.mail_from.to_string(),
        "shop <invoices@shop.localhost>"
    );
    assert_eq!(config.mail_dir, std::path::Path::new(DEFAULT_MAIL_DIR));
}

#[test]
fn a_bad_sender_is_a_clap_error_naming_the_variable() {
    let error = parse(&["--mail-from", "not a mailbox"]).expect_err("refused");
    let message = error.to_string();
    assert!(message.contains("SHOP_MAIL_FROM"), "{message}");
}

#[test]
fn the_smtp_password_never_appears_in_debug_output() {
    let config = parse(&["--smtp-url", "smtps://shop:s3cret@mail.example.com"]).expect("parse");
    let debug = format!("{config:?}");
    assert!(!debug.contains("s3cret"), "{debug}");
    assert!(
        debug.contains("smtps://shop:***@mail.example.com"),
        "{debug}"
    );

    let mailer = Mailer::new(&config).expect("a valid URL");
    let debug = format!("{mailer:?}");
    assert!(!debug.contains("s3cret"), "{debug}");
}

#[test]
fn the_smtp_url_value_is_hidden_from_help() {
    let command = Cli::command();
    let smtp = command
        .get_arguments()
        .find(|arg| arg.get_id() == "smtp_url")
        .expect("smtp_url arg");
    assert!(smtp.is_hide_env_values_set());
}

#[test]
fn an_invalid_smtp_url_is_refused_naming_the_variable_without_the_password() {
    let config = parse(&["--smtp-url", "imap://shop:s3cret@mail.example.com"]).expect("parse");
    let error = Mailer::new(&config)
        .expect_err("unknown scheme")
        .to_string();
    assert!(error.contains("SHOP_SMTP_URL"), "{error}");
    assert!(
        error.contains("imap://shop:***@mail.example.com"),
        "{error}"
    );
    assert!(!error.contains("s3cret"), "{error}");
}

#[test]
fn a_blank_smtp_url_means_files() {
    let temp = tempfile::tempdir().expect("temp dir");
    let dir = temp.path().join("mail");
    let dir_arg = dir.to_str().expect("utf-8 path");
    let config = parse(&["--smtp-url", " ", "--mail-dir", dir_arg]).expect("parse");
    assert_eq!(config.smtp_url(), None);
    let mailer = Mailer::new(&config).expect("file mailer");
    assert!(format!("{mailer:?}").contains("Dir"));
    assert!(dir.is_dir());
}

//! Parsing and verification of `X-Webhook-Signature`, at fixed clocks.

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use super::*;

const NOW: u64 = 1_700_000_000;
const SECRET: &str = "whsec_current";
const OLD_SECRET: &str = "whsec_previous";
const BODY: &[u8] = br#"{"order_id": "0b9a3c1e-4f6d-4a8b-9c2d-1e2f3a4b5c6d", "status": "paid"}"#;

fn at(secs: u64) -> SystemTime {
    UNIX_EPOCH + Duration::from_secs(secs)
}

/// The hex HMAC-SHA256 of `"<t>.<body>"`, computed independently of `verify`.
fn sign(secret: &str, t: u64, body: &[u8]) -> String {
    let mut mac = HmacSha256::new_from_slice(secret.as_bytes()).unwrap();
    mac.update(format!("{t}.").as_bytes());
    mac.update(body);
    hex::encode(mac.finalize().into_bytes())
}

fn signing() -> WebhookSigning {
    WebhookSigning::parse(&format!("{OLD_SECRET}, {SECRET}")).unwrap()
}

fn verify(header: &str, body: &[u8], now: u64) -> Result<(), SignatureError> {
    signing().verify(Some(&HeaderValue::from_str(header).unwrap()), body, at(now))
}

#[track_caller]
fn assert_malformed(header: &str, why: &'static str) {
    assert_eq!(
        verify(header, BODY, NOW),
        Err(SignatureError::Malformed(why)),
        "{header:?}"
    );
}

#[test]
fn a_signature_made_with_the_secret_over_the_exact_body_is_valid() {
    let header = format!("t={NOW},v1={}", sign(SECRET, NOW, BODY));
    assert_eq!(verify(&header, BODY, NOW), Ok(()));
}

#[test]
fn it_matches_what_openssl_computes() {
    // printf '%s' "1700000000.$BODY" | openssl dgst -sha256 -hmac whsec_demo
    let signing = WebhookSigning::parse("whsec_demo").unwrap();
    let header = HeaderValue::from_static(
        "t=1700000000,v1=964159d9b35d57e0d2c89ce1d306ace1601294d6c6e5aa37abb17fbcd3bf20d3",
    );
    assert_eq!(signing.verify(Some(&header), BODY, at(NOW)), Ok(()));
}

#[test]
fn a_signature_made_with_another_secret_does_not_match() {
    let header = format!("t={NOW},v1={}", sign("whsec_someone_else", NOW, BODY));
    assert_eq!(verify(&header, BODY, NOW), Err(SignatureError::Mismatch));
}

#[test]
fn both_secrets_of_a_rotation_are_accepted() {
    for secret in [OLD_SECRET, SECRET] {
        let header = format!("t={NOW},v1={}", sign(secret, NOW, BODY));
        assert_eq!(verify(&header, BODY, NOW), Ok(()), "{secret}");
    }
}

#[test]
fn any_one_matching_v1_entry_suffices() {
    let good = sign(SECRET, NOW, BODY);
    let bad = sign("whsec_retired", NOW, BODY);
    for header in [
        format!("t={NOW},v1={bad},v1={good}"),
        format!("t={NOW},v1={good},v1={bad}"),
        format!("v1={bad}, t={NOW}, v1={good}"),
    ] {
        assert_eq!(verify(&header, BODY, NOW), Ok(()), "{header}");
    }
    let header = format!("t={NOW},v1={bad},v1={bad}");
    assert_eq!(verify(&header, BODY, NOW), Err(SignatureError::Mismatch));
}

#[test]
fn unknown_schemes_are_ignored() {
    let header = format!(
        "t={NOW},v0=not-even-hex,v1={},v2=x",
        sign(SECRET, NOW, BODY)
    );
    assert_eq!(verify(&header, BODY, NOW), Ok(()));
}

#[test]
fn uppercase_hex_is_accepted() {
    let header = format!("t={NOW},v1={}", sign(SECRET, NOW, BODY).to_uppercase());
    assert_eq!(verify(&header, BODY, NOW), Ok(()));
}

#[test]
fn a_changed_body_or_timestamp_does_not_match() {
    let signature = sign(SECRET, NOW, BODY);
    let tampered = br#"{"order_id": "0b9a3c1e-4f6d-4a8b-9c2d-1e2f3a4b5c6d", "status": "failed"}"#;
    let header = format!("t={NOW},v1={signature}");
    assert_eq!(
        verify(&header, tampered, NOW),
        Err(SignatureError::Mismatch)
    );
    assert_eq!(verify(&header, b"", NOW), Err(SignatureError::Mismatch));
    // Moving the timestamp (e.g. to refresh a replay) breaks the signature.
    let header = format!("t={},v1={signature}", NOW + 60);
    assert_eq!(verify(&header, BODY, NOW), Err(SignatureError::Mismatch));
}

#[test]
fn timestamps_up_to_five_minutes_off_either_way_are_accepted_and_no_further() {
    let tolerance = SIGNATURE_TOLERANCE.as_secs();
    assert_eq!(tolerance, 300);
    for (signed_at, expected) in [
        (NOW - tolerance, Ok(())),
        (NOW + tolerance, Ok(())),
        (
            NOW - tolerance - 1,
            Err(SignatureError::OutsideTolerance { skew_secs: 301 }),
        ),
        (
            NOW + tolerance + 1,
            Err(SignatureError::OutsideTolerance { skew_secs: -301 }),
        ),
        (
            0,
            Err(SignatureError::OutsideTolerance {
                skew_secs: NOW as i64,
            }),
        ),
    ] {
        let header = format!("t={signed_at},v1={}", sign(SECRET, signed_at, BODY));
        assert_eq!(
            verify(&header, BODY, NOW),
            expected,
            "signed at {signed_at}"
        );
    }
}

#[test]
fn a_stale_timestamp_is_reported_only_to_a_correct_signer() {
    let stale = NOW - 3600;
    let header = format!("t={stale},v1={}", sign("whsec_guess", stale, BODY));
    assert_eq!(verify(&header, BODY, NOW), Err(SignatureError::Mismatch));
}

#[test]
fn a_missing_header_is_reported_as_missing() {
    assert_eq!(
        signing().verify(None, BODY, at(NOW)),
        Err(SignatureError::Missing)
    );
}

#[test]
fn malformed_headers_say_what_is_wrong() {
    let good = sign(SECRET, NOW, BODY);
    assert_malformed("", "it is empty");
    assert_malformed("   ", "it is empty");
    assert_malformed(&format!("v1={good}"), "no t timestamp");
    assert_malformed(&format!("v1={good},v0=abc"), "no t timestamp");
    for t in ["abc", "", "-5", "+5", "1.5", "1e9", "99999999999999999999"] {
        assert_malformed(
            &format!("t={t},v1={good}"),
            "t is not a whole number of seconds",
        );
    }
    assert_malformed(&format!("t={NOW},t={NOW},v1={good}"), "t is given twice");
    for v1 in ["zz", "", "abc", &good[..62], &format!("{good}00"), "0x1234"] {
        assert_malformed(
            &format!("t={NOW},v1={v1}"),
            "a v1 signature is not 64 hex digits",
        );
    }
    assert_malformed(&format!("t={NOW}"), "no v1 signature");
    assert_malformed(&format!("t={NOW},v0={good}"), "no v1 signature");
    assert_malformed(&format!("t={NOW},{good}"), "an entry is not scheme=value");
    assert_malformed(
        &format!("t={NOW},v1={good},"),
        "an entry is not scheme=value",
    );
}

#[test]
fn a_header_that_is_not_ascii_is_malformed() {
    let header = HeaderValue::from_bytes(b"t=1700000000,v1=\xff").unwrap();
    assert_eq!(
        signing().verify(Some(&header), BODY, at(NOW)),
        Err(SignatureError::Malformed("it is not ASCII text"))
    );
}

#[test]
fn answers_name_the_problem_in_plain_words() {
    assert_eq!(
        SignatureError::Missing.to_string(),
        "missing X-Webhook-Signature"
    );
    assert_eq!(
        SignatureError::Mismatch.to_string(),
        "X-Webhook-Signature does not match"
    );
    assert_eq!(
        SignatureError::OutsideTolerance { skew_secs: 360 }.to_string(),
        "X-Webhook-Signature timestamp is outside the 5-minute tolerance"
    );
    assert_eq!(
        SignatureError::Malformed("no t timestamp").to_string(),
        "malformed X-Webhook-Signature (no t timestamp): expected t=<unix seconds>,v1=<hex HMAC-SHA256>"
    );
}

#[test]
fn secrets_are_split_on_commas_and_trimmed_and_a_blank_setting_gives_none() {
    assert_eq!(WebhookSigning::parse(" a , b ,,").unwrap().len(), 2);
    assert!(WebhookSigning::parse("").is_none());
    assert!(WebhookSigning::parse(" , ").is_none());
}

#[test]
fn debug_output_hides_the_secrets() {
    assert_eq!(format!("{:?}", signing()), "WebhookSigning(<2 redacted>)");
}

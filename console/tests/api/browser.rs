//! The console in a real headless Chromium (Debian's `chromium` and `chromium-driver`,
//! driven over WebDriver by fantoccini), one browser session through what staff do: sign
//! in, find an order by e-mail, see that a form without its CSRF token is refused, adjust
//! stock and see it on the product page, resend a dead invoice and see the mail arrive,
//! sign out. Each page is saved as a screenshot under `docs/console/` (shown in the README).
//!
//! Without chromedriver the test says so and passes, except under CI (`.ci/run` installs it).

use std::{
    path::PathBuf,
    process::{Child, Command, Stdio},
    time::{Duration, Instant},
};

use fantoccini::{Client, ClientBuilder, Locator};
use hyper_util::client::legacy::connect::HttpConnector;
use shop_proto::{inventory::v1 as inv, orders::v1 as pb};
use shop_testkit::db::Backend;

use crate::helpers::{OPERATOR, TestConsole, spawn_console};

struct Driver(Child);

impl Drop for Driver {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// chromedriver on a free port, and a headless Chromium session through it.
async fn browser() -> Option<(Driver, Client)> {
    let port = free_port();
    let driver = match Command::new("chromedriver")
        .arg(format!("--port={port}"))
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
    {
        Ok(child) => Driver(child),
        Err(e) => {
            assert!(
                std::env::var_os("CI").is_none(),
                "chromedriver is missing ({e}): apt-get install chromium chromium-driver"
            );
            eprintln!("skipped: chromedriver not found (apt-get install chromium chromium-driver)");
            return None;
        }
    };
    let mut capabilities = serde_json::Map::new();
    capabilities.insert(
        "goog:chromeOptions".into(),
        serde_json::json!({
            "args": ["--headless=new", "--no-sandbox", "--disable-dev-shm-usage",
                     "--disable-gpu", "--window-size=1200,860", "--hide-scrollbars"]
        }),
    );
    let url = format!("http://127.0.0.1:{port}");
    // chromedriver needs a moment to listen.
    for _ in 0..50 {
        let connected = ClientBuilder::new(HttpConnector::new())
            .capabilities(capabilities.clone())
            .connect(&url)
            .await;
        if let Ok(client) = connected {
            return Some((driver, client));
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("cannot start a Chromium session through chromedriver");
}

async fn screenshot(client: &Client, name: &str) {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../docs/console");
    std::fs::create_dir_all(&dir).unwrap();
    let png = client.screenshot().await.unwrap();
    std::fs::write(dir.join(format!("{name}.png")), png).unwrap();
}

/// Waits until the page has an element matching `css` (after a form post navigates).
async fn wait_for(client: &Client, css: &str) {
    client
        .wait()
        .at_most(Duration::from_secs(10))
        .for_element(Locator::Css(css))
        .await
        .unwrap_or_else(|e| panic!("no {css}: {e}"));
}

async fn source(client: &Client) -> String {
    client.source().await.unwrap()
}

async fn fill(client: &Client, css: &str, text: &str) {
    let field = client.find(Locator::Css(css)).await.unwrap();
    field.clear().await.unwrap();
    field.send_keys(text).await.unwrap();
}

/// Clicks `css` and waits for the page it leads to (every link and button here navigates:
/// there is no JavaScript), so that what follows never reads the page before.
async fn click(client: &Client, css: &str) {
    let before = client.find(Locator::Css("html")).await.unwrap();
    client
        .find(Locator::Css(css))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    // The old document's root goes stale once the new page has replaced it.
    let deadline = Instant::now() + Duration::from_secs(10);
    while before.tag_name().await.is_ok() {
        assert!(
            Instant::now() < deadline,
            "clicking {css} led to no new page"
        );
        tokio::time::sleep(Duration::from_millis(25)).await;
    }
}

/// The orders the walk-through works on: a dead invoice (grace), an order awaiting
/// payment (linus), a payment to refund (ada).
async fn arrange(app: &TestConsole) -> (inv::Product, pb::Order, pb::Order) {
    let mug = app.create_product("MUG-BLUE", "Blue mug", 10).await;
    let tea = app.create_product("TEA-EG", "Earl Grey, 100 g", 25).await;
    let dead = app.create_order(&mug.id, 2, "grace@example.com").await;
    app.smtp.reject_next(1);
    app.pay(&dead.id).await.unwrap();
    app.wait_for_job(&dead.id, pb::InvoiceJobState::Dead).await;
    let awaiting = app.create_order(&tea.id, 3, "linus@example.com").await;
    let refund = app.create_order(&tea.id, 20, "ada@example.com").await;
    app.inventory
        .clone()
        .adjust_stock(inv::AdjustStockRequest {
            product_id: tea.id.clone(),
            delta: -10,
            reason: "stocktake".into(),
            ..Default::default()
        })
        .await
        .unwrap();
    app.pay(&refund.id).await.unwrap_err();
    (mug, dead, awaiting)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn staff_work_through_the_console_in_a_real_browser() {
    let Some((_driver, client)) = browser().await else {
        return;
    };
    let app = spawn_console(Backend::Sqlite).await.unwrap();
    let (mug, dead, awaiting) = arrange(&app).await;

    // Signed out: every page leads to the sign-in form.
    client.goto(&app.url("/orders")).await.unwrap();
    assert!(client.current_url().await.unwrap().path() == "/login");
    fill(&client, "#name", OPERATOR.0).await;
    fill(&client, "#password", OPERATOR.1).await;
    screenshot(&client, "sign-in").await;
    click(&client, "button[type=submit]").await;
    wait_for(&client, "nav").await;
    assert_eq!(client.current_url().await.unwrap().path(), "/orders");

    // Find an order by the customer's e-mail.
    fill(&client, "#email", "GRACE@example.com").await;
    click(&client, "form[role=search] button").await;
    wait_for(&client, &format!("a[href='/orders/{}']", dead.id)).await;
    let page = source(&client).await;
    assert!(
        page.contains(&dead.id) && !page.contains(&awaiting.id),
        "{page}"
    );
    screenshot(&client, "orders").await;
    click(&client, &format!("a[href='/orders/{}']", dead.id)).await;
    wait_for(&client, "#invoice-state").await;
    let page = source(&client).await;
    assert!(
        page.contains(r#"<dd id="invoice-state">dead</dd>"#),
        "{page}"
    );
    screenshot(&client, "order").await;

    // Products: search, then adjust stock; a form stripped of its CSRF token is refused.
    client.goto(&app.url("/products?q=blue")).await.unwrap();
    screenshot(&client, "products").await;
    click(&client, &format!("a[href='/products/{}']", mug.id)).await;
    wait_for(&client, "#delta").await;
    fill(&client, "#delta", "5").await;
    fill(&client, "#reason", "delivery 4711").await;
    client
        .execute(
            "document.querySelector(\"form[action$='/adjust'] input[name=csrf]\").remove()",
            vec![],
        )
        .await
        .unwrap();
    click(&client, "form[action$='/adjust'] button").await;
    wait_for(&client, "p[role=alert]").await;
    assert!(source(&client).await.contains("reload the page"), "refused");
    assert_eq!(app.product(&mug.id).await.stock, 8, "nothing changed");
    client
        .goto(&app.url(&format!("/products/{}", mug.id)))
        .await
        .unwrap();
    fill(&client, "#delta", "5").await;
    fill(&client, "#reason", "delivery 4711").await;
    click(&client, "form[action$='/adjust'] button").await;
    wait_for(&client, "p.notice").await;
    let page = source(&client).await;
    assert!(page.contains(r#"<dd id="stock">13</dd>"#), "{page}");
    screenshot(&client, "product").await;

    client.goto(&app.url("/refunds")).await.unwrap();
    screenshot(&client, "refunds").await;

    // Resend the dead invoice: the mail arrives at the SMTP sink.
    client.goto(&app.url("/invoices")).await.unwrap();
    screenshot(&client, "invoices").await;
    let before = app.smtp.messages().len();
    click(
        &client,
        &format!("form[action='/orders/{}/resend'] button", dead.id),
    )
    .await;
    wait_for(&client, "p.notice").await;
    assert!(
        source(&client)
            .await
            .contains("Invoice queued to be sent again.")
    );
    let mails = app
        .smtp
        .wait_for(before + 1, Duration::from_secs(10))
        .await
        .unwrap();
    assert_eq!(mails.last().unwrap().rcpt_to, ["grace@example.com"]);

    // Sign out: back to the form, and the pages are closed again.
    click(&client, "form[action='/logout'] button").await;
    wait_for(&client, "#password").await;
    assert_eq!(client.current_url().await.unwrap().path(), "/login");
    client.goto(&app.url("/invoices")).await.unwrap();
    assert_eq!(client.current_url().await.unwrap().path(), "/login");
    client.close().await.unwrap();
}

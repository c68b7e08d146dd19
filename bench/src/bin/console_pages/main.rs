//! `console_pages`: how fast the operator console's pages answer with 10,000 orders.
//!
//! Starts inventory, orders and the console in this process over one fresh database (SQLite
//! in a temporary directory, or PostgreSQL with `--postgres`, which needs
//! `TEST_DATABASE_URL`), creates the orders through gRPC as a shop would (1,000 customers,
//! every third order paid), signs in, then requests each page `--samples` times in a row
//! and prints p50, p99 and the maximum. It also prints the query plans of the order filters
//! on SQLite, to show they use their indexes. A benchmark, not a test: it asserts nothing.
//!
//! `cargo run -p shop-bench --bin console_pages [--release] -- [--orders N] [--postgres]`

use std::{
    net::SocketAddr,
    time::{Duration, Instant},
};

use anyhow::Context;
use clap::Parser;
use sea_orm::{ConnectionTrait, DbBackend, Statement};
use shop_common::{config::GrpcUrls, grpc::Upstream};
use shop_console::{config::ConsoleConfig, startup::Console, users::Operators};
use shop_inventory::{config::InventoryConfig, startup::Inventory};
use shop_orders::{config::OrdersConfig, startup::Orders};
use shop_testkit::db::{Backend, TestDatabase};
use tokio_util::sync::CancellationToken;

mod seed;

use seed::seed;

#[derive(Debug, Parser)]
struct Args {
    /// Orders to create.
    #[arg(long, default_value_t = 10_000)]
    orders: usize,
    /// Requests per page.
    #[arg(long, default_value_t = 200)]
    samples: usize,
    /// PostgreSQL (TEST_DATABASE_URL) instead of SQLite.
    #[arg(long)]
    postgres: bool,
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let args = Args::parse();
    let backend = if args.postgres {
        Backend::Postgres
    } else {
        Backend::Sqlite
    };
    let database = TestDatabase::create(backend)
        .await
        .context("no database (PostgreSQL needs TEST_DATABASE_URL)")?;
    let shutdown = CancellationToken::new();
    let any: SocketAddr = "127.0.0.1:0".parse()?;
    let inventory = Inventory::build(
        InventoryConfig {
            addr: any,
            ..Default::default()
        },
        Default::default(),
        database.db.clone(),
    )
    .await?;
    let inventory_addr = inventory.local_addr();
    tokio::spawn(inventory.run(shutdown.child_token()));
    let orders = Orders::build(
        OrdersConfig {
            addr: any,
            ..Default::default()
        },
        Default::default(),
        upstream(inventory_addr)?,
        database.db.clone(),
    )
    .await?;
    let orders_addr = orders.local_addr();
    tokio::spawn(orders.run(shutdown.child_token()));
    let console = Console::build(
        ConsoleConfig {
            addr: any,
            ..Default::default()
        },
        upstream(inventory_addr)?,
        upstream(orders_addr)?,
        Some(Operators::single("bench", "bench password")),
    )
    .await?;
    let base = format!("http://{}", console.local_addr());
    tokio::spawn(console.run(shutdown.child_token()));

    let seeded = Instant::now();
    let sample = seed(inventory_addr, orders_addr, args.orders).await?;
    eprintln!("{} orders created in {:.1?}", args.orders, seeded.elapsed());
    if backend == Backend::Sqlite {
        print_plans(&database).await?;
    }

    let client = reqwest::Client::builder()
        .cookie_store(true)
        .redirect(reqwest::redirect::Policy::none())
        .build()?;
    sign_in(&client, &base).await?;
    let today = chrono::Utc::now().date_naive();
    let pages = [
        ("products (search)", "/products?q=sku-1".to_owned()),
        ("product", format!("/products/{}", sample.product)),
        ("orders (newest, all)", "/orders".to_owned()),
        (
            "orders (customer e-mail)",
            format!("/orders?email={}", sample.email),
        ),
        (
            "orders (status confirmed)",
            "/orders?status=confirmed".to_owned(),
        ),
        (
            "orders (created today)",
            format!("/orders?from={today}&to={today}"),
        ),
        (
            "orders (page 2)",
            format!("/orders?page={}", sample.second_page),
        ),
        ("order", format!("/orders/{}", sample.order)),
        ("payments to refund", "/refunds".to_owned()),
        ("invoices", "/invoices".to_owned()),
    ];
    println!("\n| page | p50 | p99 | max |\n|---|---|---|---|");
    for (name, path) in pages {
        let url = format!("{base}{path}");
        let mut times = Vec::with_capacity(args.samples);
        for i in 0..args.samples + 10 {
            let started = Instant::now();
            let response = client.get(&url).send().await?;
            anyhow::ensure!(
                response.status().is_success(),
                "{path}: {}",
                response.status()
            );
            response.bytes().await?;
            if i >= 10 {
                times.push(started.elapsed());
            }
        }
        times.sort();
        let at = |q: f64| times[((times.len() as f64 * q) as usize).min(times.len() - 1)];
        println!(
            "| {name} | {} | {} | {} |",
            ms(at(0.5)),
            ms(at(0.99)),
            ms(*times.last().unwrap())
        );
    }
    shutdown.cancel();
    Ok(())
}

fn ms(d: Duration) -> String {
    format!("{:.1} ms", d.as_secs_f64() * 1000.0)
}

fn upstream(addr: SocketAddr) -> anyhow::Result<Upstream> {
    Ok(Upstream::remote(
        GrpcUrls::parse(&format!("http://{addr}")).map_err(anyhow::Error::msg)?,
        Default::default(),
    ))
}

async fn sign_in(client: &reqwest::Client, base: &str) -> anyhow::Result<()> {
    let form = client
        .get(format!("{base}/login"))
        .send()
        .await?
        .text()
        .await?;
    let at = form
        .find(r#"name="csrf" value=""#)
        .context("no CSRF field")?
        + 19;
    let csrf = form[at..].split('"').next().unwrap_or_default();
    let answer = client
        .post(format!("{base}/login"))
        .form(&[
            ("name", "bench"),
            ("password", "bench password"),
            ("csrf", csrf),
        ])
        .send()
        .await?;
    anyhow::ensure!(
        answer.status().is_redirection(),
        "sign-in: {}",
        answer.status()
    );
    Ok(())
}

/// SQLite's plans for the listing queries as the orders store issues them.
async fn print_plans(database: &TestDatabase) -> anyhow::Result<()> {
    let queries = [
        (
            "customer e-mail, newest first",
            "SELECT id FROM orders WHERE lower(customer_email) = 'customer7@example.com' ORDER BY id DESC LIMIT 50",
        ),
        (
            "status, newest first",
            "SELECT id FROM orders WHERE status = 'confirmed' ORDER BY id DESC LIMIT 50",
        ),
        (
            "created range, newest first",
            "SELECT id FROM orders WHERE created_at >= '2026-01-01' AND created_at < '2027-01-01' ORDER BY id DESC LIMIT 50",
        ),
    ];
    println!("\nSQLite query plans:");
    for (what, sql) in queries {
        let rows = database
            .db
            .query_all_raw(Statement::from_string(
                DbBackend::Sqlite,
                format!("EXPLAIN QUERY PLAN {sql}"),
            ))
            .await?;
        let plan: Vec<String> = rows
            .iter()
            .filter_map(|r| r.try_get::<String>("", "detail").ok())
            .collect();
        println!("- {what}: {}", plan.join("; "));
    }
    Ok(())
}

//! Fresh PostgreSQL databases for runs: created on the server named by `--postgres-url`,
//! dropped afterwards (unless `--keep`).

use anyhow::Context;
use sea_orm::{ConnectionTrait, Database};

/// A database created for one run.
#[derive(Debug)]
pub struct ScratchDatabase {
    /// Its URL.
    pub url: String,
    /// Its name.
    pub name: String,
    admin_url: String,
}

impl ScratchDatabase {
    /// Creates `shop_bench_<random>` on the server of `admin_url`.
    pub async fn create(admin_url: &str) -> anyhow::Result<Self> {
        let name = format!(
            "shop_bench_{}",
            &uuid::Uuid::new_v4().simple().to_string()[..12]
        );
        admin(admin_url, &format!("CREATE DATABASE {name}")).await?;
        let mut url = url::Url::parse(admin_url).context("--postgres-url is not a URL")?;
        url.set_path(&name);
        Ok(Self {
            url: url.to_string(),
            name,
            admin_url: admin_url.to_owned(),
        })
    }

    /// Drops it, disconnecting whoever is still connected.
    pub async fn drop_now(self) -> anyhow::Result<()> {
        let sql = format!("DROP DATABASE IF EXISTS {} WITH (FORCE)", self.name);
        admin(&self.admin_url, &sql).await
    }
}

async fn admin(admin_url: &str, sql: &str) -> anyhow::Result<()> {
    let db = Database::connect(admin_url)
        .await
        .context("cannot connect to PostgreSQL at --postgres-url")?;
    db.execute_unprepared(sql)
        .await
        .with_context(|| format!("{sql} failed"))?;
    db.close().await.ok();
    Ok(())
}

/// Runs `CHECKPOINT`, so that every measured run starts with no dirty buffers owed by an
/// earlier one.
pub async fn checkpoint(admin_url: &str) -> anyhow::Result<()> {
    admin(admin_url, "CHECKPOINT").await
}

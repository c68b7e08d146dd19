//! Starting components, alone or together, and stopping them on SIGINT/SIGTERM.

use anyhow::Context;
use sea_orm::DatabaseConnection;
use shop_common::config::DatabaseArgs;
use shop_inventory::{config::InventoryConfig, startup::Inventory};
use shop_orders::startup::Orders;
use tokio::task::JoinSet;
use tokio_util::sync::CancellationToken;

use crate::cli::Command;

/// Runs `command` until it finishes or a shutdown signal arrives.
pub async fn run(command: Command) -> anyhow::Result<()> {
    let shutdown = shop_common::shutdown::on_signal();
    match command {
        Command::Migrate { database } => {
            open_database(&database).await?;
            tracing::info!("migrations applied");
            Ok(())
        }
        Command::Inventory {
            database,
            inventory,
        } => {
            let db = open_database(&database).await?;
            bind_inventory(inventory, db).await?.run(shutdown).await?;
            Ok(())
        }
        Command::Orders { database, orders } => {
            let db = open_database(&database).await?;
            Orders::build(orders, db).await?.run(shutdown).await?;
            Ok(())
        }
        Command::Serve {
            database,
            inventory,
            mut orders,
        } => {
            let db = open_database(&database).await?;
            let inventory = bind_inventory(inventory, db.clone()).await?;
            // In one process, orders reaches inventory where it is actually bound.
            orders.inventory_url = format!("http://{}", inventory.local_addr());
            let orders = Orders::build(orders, db).await?;
            let mut components = Components::new(shutdown);
            components.spawn("inventory", |token| async move {
                Ok(inventory.run(token).await?)
            });
            components.spawn(
                "orders",
                |token| async move { Ok(orders.run(token).await?) },
            );
            components.wait().await
        }
    }
}

async fn open_database(database: &DatabaseArgs) -> anyhow::Result<DatabaseConnection> {
    shop_common::db::connect_and_migrate(&database.database_url)
        .await
        .context("SHOP_DATABASE_URL")
}

async fn bind_inventory(
    config: InventoryConfig,
    db: DatabaseConnection,
) -> anyhow::Result<Inventory> {
    let addr = config.addr;
    Inventory::build(config, db)
        .await
        .with_context(|| format!("cannot listen on SHOP_INVENTORY_ADDR {addr}"))
}

/// Components running together: when one stops with an error, the others are stopped too.
struct Components {
    shutdown: CancellationToken,
    tasks: JoinSet<(&'static str, anyhow::Result<()>)>,
}

impl Components {
    fn new(shutdown: CancellationToken) -> Self {
        Self {
            shutdown,
            tasks: JoinSet::new(),
        }
    }

    fn spawn<F, Fut>(&mut self, name: &'static str, component: F)
    where
        F: FnOnce(CancellationToken) -> Fut,
        Fut: Future<Output = anyhow::Result<()>> + Send + 'static,
    {
        let run = component(self.shutdown.clone());
        self.tasks.spawn(async move { (name, run.await) });
    }

    async fn wait(mut self) -> anyhow::Result<()> {
        let mut first_error = None;
        while let Some(joined) = self.tasks.join_next().await {
            let (name, result) = joined.context("a component panicked")?;
            if let Err(e) = result {
                tracing::error!(component = name, "stopped with an error: {e:#}");
                self.shutdown.cancel();
                first_error.get_or_insert(e.context(format!("{name} failed")));
            }
        }
        first_error.map_or(Ok(()), Err)
    }
}

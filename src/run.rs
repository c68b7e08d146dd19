//! Starting components, alone or together, and stopping them on SIGINT/SIGTERM.

use anyhow::Context;
use sea_orm::DatabaseConnection;
use shop_common::{
    config::{DatabaseArgs, GrpcUrls},
    grpc::{ClientSecurity, ServerSecurity, Upstream},
    liveness::Heartbeat,
    metrics::MetricsArgs,
};
use shop_console::{startup::Console, users::Operators};
use shop_facade::startup::Facade;
use shop_inventory::{config::InventoryConfig, startup::Inventory};
use shop_orders::{startup::Orders, worker::Worker};
use tokio::task::JoinSet;
use tokio_util::sync::CancellationToken;

use crate::{
    cli::{
        CheckArgs, Command, ConsoleAction, ConsoleArgs, FacadeArgs, InventoryArgs, OrdersArgs,
        ServeArgs, WorkerArgs,
    },
    demo,
};

/// Runs `command` until it finishes or a shutdown signal arrives.
pub async fn run(command: Command) -> anyhow::Result<()> {
    let shutdown = shop_common::shutdown::on_signal();
    match command {
        Command::Migrate { database } => {
            open_database(&database).await?;
            tracing::info!("migrations applied");
            Ok(())
        }
        Command::Check(CheckArgs {
            inventory,
            security,
        }) => {
            crate::check::run(Upstream {
                urls: inventory.inventory_url,
                security,
                in_process: None,
            })
            .await
        }
        Command::Probe(args) => crate::probe::run(args).await,
        Command::Inventory(InventoryArgs {
            database,
            inventory,
            security,
            metrics,
        }) => {
            security.tls.config()?;
            let db = open_database(&database).await?;
            let inventory = bind_inventory(inventory, security, db).await?;
            let mut components = Components::new(shutdown);
            components.metrics(&metrics, None).await?;
            components.spawn("inventory", |token| async move {
                Ok(inventory.run(token).await?)
            });
            components.wait().await
        }
        Command::Orders(args) => {
            let OrdersArgs {
                database,
                orders,
                inventory,
                token,
                server_tls,
                client_tls,
                metrics,
            } = *args;
            let security = ServerSecurity {
                token: token.clone(),
                tls: server_tls,
            };
            security.tls.config()?;
            let db = open_database(&database).await?;
            let inventory = Upstream {
                urls: inventory.inventory_url,
                security: ClientSecurity {
                    token,
                    tls: client_tls,
                },
                in_process: None,
            };
            let orders = Orders::build(orders, security, inventory, db).await?;
            let mut components = Components::new(shutdown);
            components.metrics(&metrics, None).await?;
            components.spawn(
                "orders",
                |token| async move { Ok(orders.run(token).await?) },
            );
            components.wait().await
        }
        Command::Facade(FacadeArgs {
            facade,
            orders,
            security,
        }) => {
            let orders = Upstream {
                urls: orders.orders_url,
                security,
                in_process: None,
            };
            Facade::build(facade, orders)?.run(shutdown).await?;
            Ok(())
        }
        Command::Worker(WorkerArgs {
            database,
            worker,
            metrics,
        }) => {
            // Before the database: a real deployment without a seller stops here.
            let seller = worker.seller.resolve(is_embedded(&database))?;
            let db = open_database(&database).await?;
            let worker = Worker::new(&worker, seller, db)?;
            let mut components = Components::new(shutdown);
            components
                .metrics(&metrics, Some(worker.heartbeat()))
                .await?;
            components.spawn("worker", |token| async move {
                worker.run(token).await;
                Ok(())
            });
            components.wait().await
        }
        Command::Console(args) => console(*args, shutdown).await,
        Command::Serve(args) => serve(*args, shutdown).await,
    }
}

async fn console(args: ConsoleArgs, shutdown: CancellationToken) -> anyhow::Result<()> {
    let ConsoleArgs {
        action,
        console,
        inventory,
        orders,
        security,
    } = args;
    if let Some(ConsoleAction::HashPassword) = action {
        return crate::password::print_hash();
    }
    let inventory = Upstream::remote(inventory.inventory_url, security.clone());
    let orders = Upstream::remote(orders.orders_url, security);
    let console = Console::build(console, inventory, orders, None).await?;
    console.run(shutdown).await?;
    Ok(())
}

/// The operators of `shop serve`'s console: those of SHOP_CONSOLE_USERS; on the embedded
/// defaults without them, a one-off operator whose password is printed; otherwise none (the
/// console does not run).
fn serve_operators(
    config: &shop_console::config::ConsoleConfig,
    embedded: bool,
) -> anyhow::Result<(Option<Operators>, Option<String>)> {
    if let Some(operators) = shop_console::startup::configured_operators(config)? {
        return Ok((Some(operators), None));
    }
    if !embedded {
        tracing::info!("SHOP_CONSOLE_USERS is not set: the operator console does not run");
        return Ok((None, None));
    }
    let password = shop_console::users::generate_password();
    let operators = Operators::single(demo::CONSOLE_OPERATOR, &password);
    Ok((Some(operators), Some(password)))
}

// Every component reads its TLS files (`….tls.config()`) before it opens the database, so a
// wrong path fails at once, naming its variable, without waiting on a database first.

/// The embedded SQLite database (the defaults a demo runs on), not a real deployment.
fn is_embedded(database: &DatabaseArgs) -> bool {
    database.database_url.starts_with("sqlite:")
}

async fn open_database(database: &DatabaseArgs) -> anyhow::Result<DatabaseConnection> {
    let db = shop_common::db::connect_and_migrate(&database.database_url, database.max_connections)
        .await
        .context("SHOP_DATABASE_URL")?;
    shop_common::db::export_pool_metrics(&db);
    Ok(db)
}

async fn bind_inventory(
    config: InventoryConfig,
    security: ServerSecurity,
    db: DatabaseConnection,
) -> anyhow::Result<Inventory> {
    let addr = config.addr;
    Inventory::build(config, security, db)
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

    /// Serves `/metrics` (and `/healthz`, following `liveness` when given) on
    /// `SHOP_METRICS_ADDR`, when set, alongside the components.
    async fn metrics(
        &mut self,
        args: &MetricsArgs,
        liveness: Option<Heartbeat>,
    ) -> anyhow::Result<()> {
        let addr = args.metrics_addr;
        if let Some(listener) = shop_common::metrics::bind(args)
            .await
            .with_context(|| format!("cannot listen on SHOP_METRICS_ADDR {addr:?}"))?
        {
            self.spawn("metrics", |token| async move {
                Ok(shop_common::metrics::serve(listener, liveness, token).await?)
            });
        }
        Ok(())
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

/// Every component in one process; each reaches the next where it is actually bound.
async fn serve(args: ServeArgs, shutdown: CancellationToken) -> anyhow::Result<()> {
    let ServeArgs {
        database,
        inventory,
        orders,
        mut facade,
        worker,
        console,
        token,
        server_tls,
        client_tls,
        metrics,
    } = args;
    let embedded = is_embedded(&database);
    if !embedded && facade.webhook_key.is_none() {
        // Refuse before touching the database.
        return Err(shop_facade::startup::StartError::MissingWebhookKey.into());
    }
    let seller = worker.seller.resolve(embedded)?;
    let (operators, console_password) = serve_operators(&console, embedded)?;
    // With TLS configured, the components talk TLS to each other too.
    let tls = server_tls.cert.is_some();
    let server = ServerSecurity {
        token: token.clone(),
        tls: server_tls,
    };
    let client = ClientSecurity {
        token,
        tls: client_tls,
    };
    // The components call each other in process (the callee's own server stack, no
    // loopback TCP); their gRPC ports stay open for people and other programs.
    let local = |addr, in_process| Upstream {
        urls: GrpcUrls::local(addr, tls),
        security: client.clone(),
        in_process: Some(in_process),
    };
    server.tls.config()?;
    let db = open_database(&database).await?;
    let inventory = bind_inventory(inventory, server.clone(), db.clone()).await?;
    let inventory_upstream = local(inventory.local_addr(), inventory.in_process());
    let orders = Orders::build(orders, server, inventory_upstream, db.clone()).await?;
    // On the embedded defaults a demo runs without any configuration, so it gets a key.
    let generated_key = (embedded && facade.webhook_key.is_none()).then(demo::generate_key);
    if let Some(key) = &generated_key {
        facade.webhook_key = Some(key.clone());
    }
    let signed = facade.webhook_signing_secrets.is_some();
    // The worker yields to the webhooks: under load they get the CPU and the database, and
    // the invoices (queued durably) follow in the pauses.
    let foreground = shop_common::foreground::Foreground::default();
    let facade = Facade::build(facade, local(orders.local_addr(), orders.in_process()))?
        .with_foreground(foreground.clone());
    let worker = Worker::new(&worker, seller, db)?.with_foreground(foreground);
    let console = match operators {
        Some(operators) => Some(
            Console::build(
                console,
                local(inventory.local_addr(), inventory.in_process()),
                local(orders.local_addr(), orders.in_process()),
                Some(operators),
            )
            .await?,
        ),
        None => None,
    };
    let heartbeat = worker.heartbeat();
    let demo = embedded.then(|| demo::Demo {
        inventory: inventory.local_addr(),
        orders: orders.local_addr(),
        http: facade.local_addr(),
        generated_key,
        console: console.as_ref().map(Console::local_addr),
        console_password,
        security: client.clone(),
        tls,
        signed,
    });

    let mut components = Components::new(shutdown);
    components.metrics(&metrics, Some(heartbeat)).await?;
    components.spawn("inventory", |token| async move {
        Ok(inventory.run(token).await?)
    });
    components.spawn(
        "orders",
        |token| async move { Ok(orders.run(token).await?) },
    );
    components.spawn(
        "facade",
        |token| async move { Ok(facade.run(token).await?) },
    );
    components.spawn("worker", |token| async move {
        worker.run(token).await;
        Ok(())
    });
    if let Some(console) = console {
        components.spawn(
            "console",
            |token| async move { Ok(console.run(token).await?) },
        );
    }
    if let Some(demo) = demo {
        tokio::spawn(async move {
            if let Err(e) = demo.seed_and_announce().await {
                tracing::warn!("cannot seed the demo data: {e:#}");
            }
        });
    }
    components.wait().await
}

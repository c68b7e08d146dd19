//! Which processes a mode launches, in which order, with which addresses.

use std::net::SocketAddr;

use crate::cli::Mode;

/// One process to launch: its subcommand, name and own settings (addresses).
pub struct Planned {
    /// `serve`, `inventory`, `orders`, `worker` or `facade`.
    pub subcommand: &'static str,
    /// The subcommand, with the replica number when there are several (`orders-2`).
    pub name: String,
    /// Its own addresses.
    pub env: Vec<(String, String)>,
}

/// Processes started together, and the gRPC addresses that must serve before the next tier
/// starts: a client whose balanced channel fails its first connection (its server not yet
/// listening) fails its first call too, which would count as a webhook error.
pub struct Tier {
    /// What starts.
    pub processes: Vec<Planned>,
    /// What must serve before the next tier starts.
    pub grpc: Vec<SocketAddr>,
}

/// The processes of `mode` in tiers (inventory, then orders, then workers and facades), each
/// component `replicas` times on the given addresses (one per replica); the clients of a
/// component get every replica's URL (in the environment shared by all).
pub fn plan(
    mode: Mode,
    http: &[SocketAddr],
    orders: &[SocketAddr],
    inventory: &[SocketAddr],
) -> Vec<Tier> {
    let var = |key: &str, addr: &SocketAddr| (key.to_owned(), addr.to_string());
    if !mode.split() {
        let serve = Planned {
            subcommand: "serve",
            name: "serve".to_owned(),
            env: vec![
                var("SHOP_HTTP_ADDR", &http[0]),
                var("SHOP_ORDERS_ADDR", &orders[0]),
                var("SHOP_INVENTORY_ADDR", &inventory[0]),
            ],
        };
        return vec![Tier {
            processes: vec![serve],
            grpc: Vec::new(),
        }];
    }
    let replicas = |component: &'static str, addrs: Option<(&str, &[SocketAddr])>| {
        (0..mode.replicas())
            .map(|replica| Planned {
                subcommand: component,
                name: match mode.replicas() {
                    1 => component.to_owned(),
                    _ => format!("{component}-{}", replica + 1),
                },
                env: addrs.map_or(Vec::new(), |(key, addrs)| vec![var(key, &addrs[replica])]),
            })
            .collect::<Vec<_>>()
    };
    let mut last = replicas("worker", None);
    last.extend(replicas("facade", Some(("SHOP_HTTP_ADDR", http))));
    vec![
        Tier {
            processes: replicas("inventory", Some(("SHOP_INVENTORY_ADDR", inventory))),
            grpc: inventory.to_vec(),
        },
        Tier {
            processes: replicas("orders", Some(("SHOP_ORDERS_ADDR", orders))),
            grpc: orders.to_vec(),
        },
        Tier {
            processes: last,
            grpc: Vec::new(),
        },
    ]
}

/// `http://a,http://b`: every replica, for `SHOP_*_URL` (its clients balance across them).
pub fn urls(addrs: &[SocketAddr]) -> String {
    let urls: Vec<String> = addrs.iter().map(|a| format!("http://{a}")).collect();
    urls.join(",")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn addrs(first_port: u16) -> Vec<SocketAddr> {
        (first_port..first_port + 2)
            .map(|port| SocketAddr::from(([127, 0, 0, 1], port)))
            .collect()
    }

    #[test]
    fn two_replicas_start_inventory_then_orders_then_workers_and_facades() {
        let (http, orders, inventory) = (addrs(1000), addrs(2000), addrs(3000));

        let tiers = plan(Mode::SplitPgX2, &http, &orders, &inventory);

        let names: Vec<Vec<&str>> = tiers
            .iter()
            .map(|t| t.processes.iter().map(|p| p.name.as_str()).collect())
            .collect();
        assert_eq!(
            names,
            [
                vec!["inventory-1", "inventory-2"],
                vec!["orders-1", "orders-2"],
                vec!["worker-1", "worker-2", "facade-1", "facade-2"],
            ]
        );
        assert_eq!((&tiers[0].grpc, &tiers[1].grpc), (&inventory, &orders));
        let facade_2 = &tiers[2].processes[3];
        assert_eq!(facade_2.subcommand, "facade");
        assert_eq!(
            facade_2.env,
            [("SHOP_HTTP_ADDR".to_owned(), "127.0.0.1:1001".to_owned())]
        );
        assert_eq!(urls(&orders), "http://127.0.0.1:2000,http://127.0.0.1:2001");
    }

    #[test]
    fn serve_is_one_process_with_every_address() {
        let one = |port| vec![SocketAddr::from(([127, 0, 0, 1], port))];
        let tiers = plan(Mode::ServePg, &one(1), &one(2), &one(3));
        assert_eq!(tiers.len(), 1);
        let serve = &tiers[0].processes[0];
        assert_eq!((serve.subcommand, serve.env.len()), ("serve", 3));
    }
}

//! sea-orm entities of the inventory tables (see `migration/`). Private to the store.

pub mod product;
pub mod reservation;
pub mod reservation_line;
pub mod stock_adjustment;

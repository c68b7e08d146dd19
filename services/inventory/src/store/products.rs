//! Products and stock adjustments.

use sea_orm::{
    ActiveModelTrait,
    ActiveValue::Set,
    ColumnTrait, Condition, EntityTrait, QueryFilter, QueryOrder, QuerySelect,
    sea_query::{Expr, ExprTrait, Func, LikeExpr},
};
use shop_common::db::Transactional as _;

use super::{
    Store,
    entity::{product, stock_adjustment},
};
use crate::{
    domain::{MAX_UNITS, NewProduct, Product, ProductId, StockAdjustment},
    error::Error,
};

impl From<product::Model> for Product {
    fn from(m: product::Model) -> Self {
        Self {
            id: ProductId::from_uuid(m.id),
            sku: m.sku,
            name: m.name,
            stock: m.stock,
            stock_reserved: m.stock_reserved,
            created_at: m.created_at,
            updated_at: m.updated_at,
        }
    }
}

impl Store {
    /// Creates a product with nothing reserved. A taken SKU is [`Error::SkuTaken`].
    pub async fn create_product(&self, new: &NewProduct) -> Result<Product, Error> {
        self.retrying(|| async {
            let now = shop_common::db::now();
            let model = product::ActiveModel {
                id: Set(ProductId::generate().as_uuid()),
                sku: Set(new.sku.as_str().to_owned()),
                name: Set(new.name.as_str().to_owned()),
                stock: Set(new.stock.get()),
                stock_reserved: Set(0),
                created_at: Set(now),
                updated_at: Set(now),
            };
            match model.insert(&self.db).await {
                Ok(m) => Ok(m.into()),
                Err(e) if shop_common::db::is_unique_violation(&e) => {
                    Err(Error::SkuTaken(new.sku.as_str().to_owned()))
                }
                Err(e) => Err(e.into()),
            }
        })
        .await
    }

    /// One product.
    pub async fn product(&self, id: ProductId) -> Result<Product, Error> {
        product::Entity::find_by_id(id.as_uuid())
            .one(&self.db)
            .await?
            .map(Product::from)
            .ok_or(Error::ProductNotFound(id))
    }

    /// Up to `limit` products created after `after` (all from the first when `None`), in
    /// creation order.
    pub async fn list_products(
        &self,
        search: Option<&str>,
        after: Option<ProductId>,
        limit: u64,
    ) -> Result<Vec<Product>, Error> {
        let mut query = product::Entity::find()
            .order_by_asc(product::Column::Id)
            .limit(limit);
        if let Some(search) = search {
            // Any case, and the text taken literally (`%` and `_` are not wildcards here).
            let escaped = search
                .to_lowercase()
                .replace('\\', "\\\\")
                .replace('%', "\\%")
                .replace('_', "\\_");
            let pattern = LikeExpr::new(format!("%{escaped}%")).escape('\\');
            let lower = |column| Expr::expr(Func::lower(Expr::col(column)));
            query = query.filter(
                Condition::any()
                    .add(lower(product::Column::Sku).like(pattern.clone()))
                    .add(lower(product::Column::Name).like(pattern)),
            );
        }
        if let Some(after) = after {
            query = query.filter(product::Column::Id.gt(after.as_uuid()));
        }
        Ok(query
            .all(&self.db)
            .await?
            .into_iter()
            .map(Product::from)
            .collect())
    }

    /// Adds the adjustment's delta to stock and records it, in one transaction. Stock never
    /// goes below 0 ([`Error::StockBelowZero`]); it may go below what is reserved.
    pub async fn adjust_stock(&self, adjustment: &StockAdjustment) -> Result<Product, Error> {
        let adjustment = adjustment.clone();
        self.to_completion(move |store| async move {
            store
                .retrying(|| store.adjust_stock_once(&adjustment))
                .await
        })
        .await
    }

    async fn adjust_stock_once(&self, adjustment: &StockAdjustment) -> Result<Product, Error> {
        let id = adjustment.product_id;
        let delta = adjustment.delta.get();
        let now = shop_common::db::now();
        let txn = self.begin_write().await?;
        let updated = product::Entity::update_many()
            .col_expr(
                product::Column::Stock,
                Expr::col(product::Column::Stock).add(delta),
            )
            .col_expr(product::Column::UpdatedAt, Expr::value(now))
            .filter(product::Column::Id.eq(id.as_uuid()))
            .filter(Expr::col(product::Column::Stock).add(delta).gte(0))
            .filter(Expr::col(product::Column::Stock).add(delta).lte(MAX_UNITS))
            .exec_with_returning(&txn)
            .await?;
        let Some(updated) = updated.into_iter().next() else {
            let current = product::Entity::find_by_id(id.as_uuid())
                .one(&txn)
                .await?
                .ok_or(Error::ProductNotFound(id))?;
            return Err(if delta < 0 {
                Error::StockBelowZero {
                    id,
                    stock: current.stock,
                    remove: -delta,
                }
            } else {
                Error::StockAboveMaximum {
                    id,
                    stock: current.stock,
                    add: delta,
                }
            });
        };
        stock_adjustment::ActiveModel {
            id: Set(uuid::Uuid::now_v7()),
            product_id: Set(id.as_uuid()),
            delta: Set(delta),
            reason: Set(adjustment.reason.clone()),
            operator: Set(adjustment.operator.clone()),
            created_at: Set(now),
        }
        .insert(&txn)
        .await?;
        txn.commit().await?;
        Ok(updated.into())
    }
}

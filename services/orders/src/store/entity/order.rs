use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "orders")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub status: String,
    pub customer_email: String,
    pub customer_name: String,
    pub customer_address: String,
    pub currency: String,
    pub total_minor: i64,
    pub reservation_id: Uuid,
    pub payment_deadline: ChronoDateTimeUtc,
    pub cancel_reason: String,
    pub refund_required: bool,
    pub request_id: Option<String>,
    pub created_at: ChronoDateTimeUtc,
    pub updated_at: ChronoDateTimeUtc,
    pub refunded_at: Option<ChronoDateTimeUtc>,
    pub refunded_by: Option<String>,
    pub refund_note: Option<String>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}

//! Keyset paging for candidates evaluated in memory: each batch continues after the last row of
//! the one before, in the listing's order, so the store seeks to it in the order's index instead
//! of stepping over every row already read (an OFFSET would: reaching the 10,000th candidate in
//! batches of 500 examined ~100,000 rows).

use time::OffsetDateTime;
use uuid::Uuid;

use crate::{Account, Bound, Group, Order, SortColumn, display_name_key, user_name_key};

/// A row's place in a listing order: the rows after it are those a keyset batch reads. Stores
/// compile it with the same terms they order by (`roster-store-sql`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Position {
    /// The listing order (creation time then id without one).
    pub order: Option<Order>,
    /// The row's value of the order's column, as the store orders it: the folded key for
    /// `userName` and groups' `displayName`, the text for users' `displayName` and
    /// `externalId` (`None` when the row has none), the time for `meta.lastModified`; `None`
    /// for orders by id or creation time, which need no more than the fields below.
    pub value: Option<Bound>,
    pub created: OffsetDateTime,
    pub id: Uuid,
}

/// A row a listing returns, which can say where it stands in an order.
pub trait Listed {
    fn position(&self, order: Option<Order>) -> Position;
}

impl Listed for Account {
    fn position(&self, order: Option<Order>) -> Position {
        let value = order.and_then(|o| match o.column {
            SortColumn::Id | SortColumn::Created => None,
            SortColumn::UserName => Some(Bound::Text(user_name_key(&self.user_name))),
            SortColumn::DisplayName => self.display_name.clone().map(Bound::Text),
            SortColumn::ExternalId => self.external_id.clone().map(Bound::Text),
            SortColumn::LastModified => Some(Bound::Time(self.updated_at)),
        });
        Position {
            order,
            value,
            created: self.created_at,
            id: self.id.into(),
        }
    }
}

impl Listed for Group {
    fn position(&self, order: Option<Order>) -> Position {
        let value = order.and_then(|o| match o.column {
            // Groups have no userName: `Order::of` never sorts them by it.
            SortColumn::Id | SortColumn::Created | SortColumn::UserName => None,
            SortColumn::DisplayName => Some(Bound::Text(display_name_key(&self.display_name))),
            SortColumn::ExternalId => self.external_id.clone().map(Bound::Text),
            SortColumn::LastModified => Some(Bound::Time(self.updated_at)),
        });
        Position {
            order,
            value,
            created: self.created_at,
            id: self.id.into(),
        }
    }
}

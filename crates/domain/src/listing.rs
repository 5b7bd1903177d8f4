//! SCIM list requests (RFC 7644 §3.4.2): the validated query, how it is answered (by the store
//! alone, or by the store narrowing and the domain evaluating), and filtering, sorting and paging
//! in memory.
//!
//! No request loads a directory: its memory, and its work in memory, are bounded. The store
//! sorts by every attribute with a column ([`Order`]), so a filter that lowers whole (or none)
//! with such a `sortBy` is one indexed query. Anything else reads the narrowing's rows in batches of [`BATCH`], in the
//! store's order, each continuing after the last row of the one before (keyset paging, see
//! `keyset.rs`), and evaluates them as they come ([`Selection`], which keeps only what the page
//! needs); a request examines at most [`MAX_CANDIDATES`] rows (see
//! [`Roster::with_candidate_limit`](crate::Roster)) and is refused with 400 `tooMany` beyond,
//! naming the indexed attributes that would narrow it.

use std::{
    cmp::Ordering,
    future::Future,
    pin::Pin,
    task::{Context, Poll},
};

use roster_scim::{
    ScimError,
    filter::{self, AttrPath, Filter},
    schema::ResourceType,
};
use serde_json::{Map, Value};

use crate::{
    Listed, Order, Page, Position, SortColumn, StoreFilter,
    cursor::{self, Resume},
};

/// The most rows a request evaluated in memory examines: the candidates its filter's narrowing
/// selects. Beyond it the request is refused (400 `tooMany`).
pub const MAX_CANDIDATES: u64 = 10_000;

/// Rows read from the store at a time while candidates are evaluated.
pub(crate) const BATCH: u64 = 500;

/// How a list is answered.
#[derive(Debug)]
pub(crate) enum Plan {
    /// The store filters (without a filter: takes every row), sorts, counts and pages: the
    /// filter lowers whole and the order is one the store has.
    Store {
        filter: Option<StoreFilter>,
        page: Page,
    },
    /// Cursor paging where the store answers alone: the total is counted over `filter`, and
    /// the page is the first `rows` rows (one more than asked, to tell whether another page
    /// follows) of `filter` after `after` in `order` — an index seek however deep the page.
    Keyset(Keyset),
    /// The store returns the rows matching the narrowing in batches, and a [`Selection`]
    /// evaluates the full filter on them, sorts (unless the store did) and pages.
    Memory(Candidates),
}

/// A cursor page the store answers alone (see [`Plan::Keyset`]).
#[derive(Debug)]
pub(crate) struct Keyset {
    filter: Option<StoreFilter>,
    after: Option<Position>,
    order: Option<Order>,
    rows: u64,
}

impl Keyset {
    /// The page, read with `list` (the store's listing of the resource type): the total over
    /// the filter, then the rows after the cursor's place.
    pub async fn read<T, F, Fut>(
        self,
        request: &ListRequest,
        list: F,
    ) -> Result<ListPage<T>, crate::StoreError>
    where
        T: Listed,
        F: Fn(Option<StoreFilter>, Page) -> Fut,
        Fut: Future<Output = Result<(Vec<T>, u64), crate::StoreError>>,
    {
        let (_, total) = list(self.filter.clone(), Page::new(0, 0)).await?;
        let filter = match self.after {
            Some(position) => Some(StoreFilter::after(self.filter.as_ref(), position)),
            None => self.filter,
        };
        let (rows, _) = list(filter, Page::batch(self.rows, self.order)).await?;
        Ok(request.keyset_page(rows, self.order, total))
    }
}

/// The candidates of a request answered in memory: the rows matching `narrowing` (every row
/// without one), read in batches in the store's `order`, each batch after the last row of the
/// one before ([`StoreFilter::after`]), so the store seeks in the order's index rather than
/// stepping over what was read. Every row the request reads counts against its limit: the
/// candidates, and the members a `members` filter loads for groups.
#[derive(Debug)]
pub(crate) struct Candidates {
    narrowing: Option<StoreFilter>,
    order: Option<Order>,
    /// Where the last batch ended; `None` before the first.
    after: Option<Position>,
    /// Rows read, candidates and members.
    examined: u64,
    limit: u64,
    finished: bool,
    groups: bool,
}

impl Candidates {
    /// The next batch to ask the store for, and the filter that selects it, or `None` once
    /// every candidate was read.
    pub fn next_batch(&self) -> Option<(Option<StoreFilter>, Page)> {
        if self.finished {
            return None;
        }
        // One row past the limit tells a narrowing that selects too many from one that does not.
        let left = self.left() + 1;
        let filter = match &self.after {
            Some(position) => Some(StoreFilter::after(
                self.narrowing.as_ref(),
                position.clone(),
            )),
            None => self.narrowing.clone(),
        };
        Some((filter, Page::batch(BATCH.min(left), self.order)))
    }

    /// Records the `rows` the store answered for `page`: 400 `tooMany` once more than the limit
    /// were read.
    pub fn read<T: Listed>(&mut self, page: Page, rows: &[T]) -> Result<(), ScimError> {
        let count = rows.len() as u64;
        self.spend(count)?;
        match rows.last() {
            Some(last) if count >= page.limit.unwrap_or(0) => {
                self.after = Some(last.position(self.order));
            }
            _ => self.finished = true,
        }
        Ok(())
    }

    /// How many more rows the request may read.
    pub fn left(&self) -> u64 {
        self.limit.saturating_sub(self.examined)
    }

    /// Records `rows` other rows read for the candidates (a group's members): 400 `tooMany` once
    /// more than the limit were read.
    pub fn spend(&mut self, rows: u64) -> Result<(), ScimError> {
        self.examined += rows;
        if self.examined <= self.limit {
            return Ok(());
        }
        let (kind, indexed) = if self.groups {
            (
                "groups (and members)",
                "id, displayName, externalId, members.value, meta.created, meta.lastModified",
            )
        } else {
            (
                "users",
                "id, userName, externalId, active, meta.created, meta.lastModified",
            )
        };
        Err(ScimError::too_many(format!(
            "the filter or sortBy is evaluated on more than {} {kind}; narrow the filter with \
             'and' and a condition on an indexed attribute ({indexed}), or sort by one",
            self.limit
        )))
    }
}

/// Lets other tasks run between two batches of candidates: a store may read inline (SQLite
/// does), and a request reading thousands of candidates would otherwise hold its worker thread,
/// and delay other organizations' requests, until it ends. Runtime-neutral: the task wakes
/// itself once, which puts it at the back of the scheduler's queue.
pub(crate) async fn yield_now() {
    struct YieldNow(bool);
    impl Future for YieldNow {
        type Output = ();
        fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
            if self.0 {
                return Poll::Ready(());
            }
            self.0 = true;
            cx.waker().wake_by_ref();
            Poll::Pending
        }
    }
    YieldNow(false).await;
}

/// A list or `.search` request whose filter was checked against the resource type's schema;
/// only the domain constructs one, so nothing unvalidated reaches a store.
#[derive(Debug, Clone)]
pub struct ListRequest {
    filter: Option<Filter>,
    /// 1-based.
    pub start_index: u64,
    pub count: u64,
    sort_by: Option<AttrPath>,
    pub descending: bool,
    /// Cursor paging (RFC 9865): the query's fingerprint, and where this page starts (`None`:
    /// the first page). `None`: index paging.
    cursor: Option<(String, Option<Resume>)>,
}

/// One page of a list: its resources, the number of matches over all pages, and where it
/// stands — the 1-based index of its first resource (index paging) or the cursor of the next
/// page (cursor paging; `None` on the last).
#[derive(Debug, Clone, PartialEq)]
pub struct ListPage<T> {
    pub items: Vec<T>,
    pub total: u64,
    pub start_index: Option<u64>,
    pub next_cursor: Option<String>,
}

impl ListRequest {
    pub fn new(
        rt: &ResourceType,
        filter_text: Option<&str>,
        start_index: u64,
        count: u64,
        sort_by: Option<&str>,
        descending: bool,
    ) -> Result<Self, ScimError> {
        let filter = filter_text
            .filter(|f| !f.trim().is_empty())
            .map(|text| {
                let parsed = filter::parse_filter(text)?;
                filter::validate(&parsed, rt)?;
                Ok::<_, ScimError>(parsed)
            })
            .transpose()?;
        let sort_by = sort_by
            .filter(|s| !s.trim().is_empty())
            .map(|s| {
                let path = roster_scim::path::parse_path(s.trim())
                    .ok()
                    .filter(|p| p.filter.is_none())
                    .map(|p| p.attr)
                    .ok_or_else(|| {
                        ScimError::invalid_value(format!("sortBy '{s}' is not an attribute path"))
                    })?;
                if path.resolve(rt).is_none() {
                    return Err(ScimError::invalid_value(format!(
                        "sortBy '{s}' names no attribute of {}",
                        rt.name
                    )));
                }
                filter::validate_sort_by(&path, rt)?;
                Ok(path)
            })
            .transpose()?;
        Ok(Self {
            filter,
            start_index: start_index.max(1),
            count,
            sort_by,
            descending,
            cursor: None,
        })
    }

    /// This request paged by `cursor` (RFC 9865; empty for the first page) instead of
    /// `startIndex`.
    pub fn with_cursor(mut self, rt: &ResourceType, cursor: &str) -> Result<Self, ScimError> {
        if self.count == 0 {
            return Err(ScimError::invalid_count(
                "count must be at least 1 when paging with a cursor",
            ));
        }
        let fingerprint = cursor::fingerprint(
            rt,
            self.filter.as_ref(),
            self.sort_by.as_ref(),
            self.descending,
        );
        let order = self.keyset_order(rt).flatten();
        let resume = cursor::decode(cursor, &fingerprint, order)?;
        match &resume {
            Some(Resume::Offset(skip)) => self.start_index = skip.saturating_add(1),
            Some(Resume::After(_)) if self.keyset_order(rt).is_none() => {
                return Err(ScimError::invalid_cursor(
                    "the cursor is not one Roster gave for this query: start again with an \
                     empty cursor",
                ));
            }
            _ => {}
        }
        self.cursor = Some((fingerprint, resume));
        Ok(self)
    }

    /// The order a cursor-paged request seeks in (`Some(None)`: listing order), when the store
    /// answers it alone in an order every row has a value in; `None` when pages continue by
    /// offset instead.
    fn keyset_order(&self, rt: &ResourceType) -> Option<Option<Order>> {
        let lowers = self
            .filter
            .as_ref()
            .is_none_or(|f| StoreFilter::lower(rt, f).is_some());
        match &self.sort_by {
            _ if !lowers => None,
            None => Some(None),
            Some(_) => self.candidate_order(rt).map(Some),
        }
    }

    /// The page of `items` (the request's page, in order) out of `total` matches.
    pub(crate) fn page<T>(&self, items: Vec<T>, total: u64) -> ListPage<T> {
        let Some((fingerprint, _)) = &self.cursor else {
            return ListPage {
                items,
                total,
                start_index: Some(self.start_index),
                next_cursor: None,
            };
        };
        let shown = (self.start_index - 1).saturating_add(items.len() as u64);
        ListPage {
            next_cursor: (shown < total && !items.is_empty())
                .then(|| cursor::encode(fingerprint, &Resume::Offset(shown))),
            items,
            total,
            start_index: None,
        }
    }

    /// The page of a keyset plan: `rows` holds up to one more than the page, which tells
    /// whether another page follows.
    fn keyset_page<T: Listed>(
        &self,
        mut rows: Vec<T>,
        order: Option<Order>,
        total: u64,
    ) -> ListPage<T> {
        let more = rows.len() as u64 > self.count;
        rows.truncate(usize::try_from(self.count).unwrap_or(usize::MAX));
        let next_cursor = match (&self.cursor, rows.last()) {
            (Some((fingerprint, _)), Some(last)) if more => Some(cursor::encode(
                fingerprint,
                &Resume::After(last.position(order)),
            )),
            _ => None,
        };
        ListPage {
            items: rows,
            total,
            start_index: None,
            next_cursor,
        }
    }

    pub fn filter(&self) -> Option<&Filter> {
        self.filter.as_ref()
    }

    /// The order a store sorts this request's rows in: `None` without a `sortBy`, or with one
    /// on an attribute without a column (sorted in memory).
    pub fn store_order(&self, rt: &ResourceType) -> Option<Order> {
        self.sort_by
            .as_ref()
            .and_then(|path| Order::of(rt, path, self.descending))
    }

    /// The order candidates evaluated in memory are read in: the store's when each keyset batch
    /// can seek to where the last stopped in that order's index, which holds for columns every
    /// row has a value in. `externalId` and users' `displayName` may be missing: their
    /// candidates come in listing order (creation time, id) and are sorted in memory, which
    /// orders them as the store does (missing last, ties in listing order), except that
    /// non-ASCII letters of a displayName compare ignoring case too.
    fn candidate_order(&self, rt: &ResourceType) -> Option<Order> {
        let groups = std::ptr::eq(rt, &roster_scim::schema::GROUP_RESOURCE);
        self.store_order(rt).filter(|order| match order.column {
            SortColumn::ExternalId => false,
            SortColumn::DisplayName => groups,
            SortColumn::Id
            | SortColumn::UserName
            | SortColumn::Created
            | SortColumn::LastModified => true,
        })
    }

    /// How the store answers this request on `rt`, examining at most `limit` candidates when
    /// it cannot answer alone.
    pub(crate) fn plan(&self, rt: &ResourceType, limit: u64) -> Plan {
        if let Some((_, resume)) = &self.cursor
            && let Some(order) = self.keyset_order(rt)
            && !matches!(resume, Some(Resume::Offset(_)))
        {
            let filter = self.filter.as_ref().and_then(|f| StoreFilter::lower(rt, f));
            let after = match resume {
                Some(Resume::After(position)) => Some(position.clone()),
                _ => None,
            };
            return Plan::Keyset(Keyset {
                filter,
                after,
                order,
                rows: self.count.saturating_add(1),
            });
        }
        let page = Page::new(self.start_index.saturating_sub(1), self.count);
        // `None`: no sortBy; `Some(None)`: one the store cannot sort by.
        let order = self.sort_by.as_ref().map(|_| self.store_order(rt));
        let lowered = match &self.filter {
            None => Some(None),
            Some(f) => StoreFilter::lower(rt, f).map(Some),
        };
        match (lowered, order) {
            (Some(filter), None) => Plan::Store { filter, page },
            (Some(filter), Some(Some(order))) => Plan::Store {
                filter,
                page: page.ordered(Some(order)),
            },
            _ => Plan::Memory(Candidates {
                narrowing: self
                    .filter
                    .as_ref()
                    .and_then(|f| StoreFilter::narrowing(rt, f)),
                order: self.candidate_order(rt),
                after: None,
                examined: 0,
                limit,
                finished: false,
                groups: std::ptr::eq(rt, &roster_scim::schema::GROUP_RESOURCE),
            }),
        }
    }

    /// Evaluates this request on candidates offered in the store's order (see [`Plan::Memory`]).
    pub(crate) fn selection<'a, T>(&'a self, rt: &'a ResourceType) -> Selection<'a, T> {
        let sort = self
            .sort_by
            .as_ref()
            .filter(|_| self.candidate_order(rt).is_none());
        Selection::new(self, rt, sort)
    }

    /// Keeps the items whose resource matches the filter, sorts them and cuts the requested
    /// page. Returns the page and the total number of matches. The items come in listing order.
    pub fn select<T>(
        &self,
        rt: &ResourceType,
        resources: Vec<(Map<String, Value>, T)>,
    ) -> (Vec<T>, u64) {
        let mut selection = Selection::new(self, rt, self.sort_by.as_ref());
        for (resource, item) in resources {
            selection.offer(&resource, item);
        }
        selection.finish()
    }
}

/// A request's filter, sort and page applied to candidates one at a time. It keeps only the
/// page's items; sorting in memory (a `sortBy` the store cannot sort by), the first
/// `startIndex - 1 + count` matches in sort order so far (and at most as many again before it
/// trims them).
pub(crate) struct Selection<'a, T> {
    request: &'a ListRequest,
    rt: &'a ResourceType,
    /// The attribute sorted by in memory, and whether it compares with case.
    sort: Option<(&'a AttrPath, bool)>,
    matched: u64,
    kept: Vec<Kept<T>>,
}

/// A match kept by a [`Selection`]: its sort key and place among the matches (ties keep it).
struct Kept<T> {
    key: Option<Value>,
    index: u64,
    item: T,
}

impl<'a, T> Selection<'a, T> {
    fn new(request: &'a ListRequest, rt: &'a ResourceType, sort: Option<&'a AttrPath>) -> Self {
        Self {
            request,
            rt,
            sort: sort.map(|path| (path, case_exact(rt, path))),
            matched: 0,
            kept: Vec::new(),
        }
    }

    /// How many matches, from the first, the page needs.
    fn wanted(&self) -> usize {
        let start = self.request.start_index.saturating_sub(1);
        usize::try_from(start.saturating_add(self.request.count)).unwrap_or(usize::MAX)
    }

    /// Evaluates the filter on `resource`, keeping `item` when it matches and may be shown.
    pub fn offer(&mut self, resource: &Map<String, Value>, item: T) {
        if let Some(f) = &self.request.filter
            && !filter::matches(f, self.rt, resource)
        {
            return;
        }
        let index = self.matched;
        self.matched += 1;
        match self.sort {
            Some((path, _)) => {
                self.kept.push(Kept {
                    key: sort_key(self.rt, path, resource),
                    index,
                    item,
                });
                let wanted = self.wanted();
                if self.kept.len() > wanted.max(BATCH as usize).saturating_mul(2) {
                    self.sort_kept();
                    self.kept.truncate(wanted);
                }
            }
            None => {
                let start = self.request.start_index.saturating_sub(1);
                if index >= start && index - start < self.request.count {
                    self.kept.push(Kept {
                        key: None,
                        index,
                        item,
                    });
                }
            }
        }
    }

    /// Sorts the kept matches: by key, ties in listing order; descending is the exact reverse.
    fn sort_kept(&mut self) {
        let Some((_, case_exact)) = self.sort else {
            return;
        };
        let descending = self.request.descending;
        self.kept.sort_by(|a, b| {
            let order = compare_values(a.key.as_ref(), b.key.as_ref(), case_exact)
                .then(a.index.cmp(&b.index));
            if descending { order.reverse() } else { order }
        });
    }

    /// The page and the total number of matches.
    pub fn finish(mut self) -> (Vec<T>, u64) {
        let skip = match self.sort {
            Some(_) => {
                self.sort_kept();
                self.request.start_index.saturating_sub(1)
            }
            None => 0,
        };
        let skip = usize::try_from(skip).unwrap_or(usize::MAX);
        let count = usize::try_from(self.request.count).unwrap_or(usize::MAX);
        let page = self
            .kept
            .into_iter()
            .skip(skip)
            .take(count)
            .map(|kept| kept.item)
            .collect();
        (page, self.matched)
    }
}

/// Whether the value sorted by compares with case (RFC 7644 §3.4.2.3: by the attribute's type).
fn case_exact(rt: &ResourceType, path: &AttrPath) -> bool {
    path.resolve(rt).is_some_and(|resolved| {
        resolved
            .sub_attribute
            .or_else(|| resolved.attribute.sub_attribute("value"))
            .unwrap_or(resolved.attribute)
            .case_exact
    })
}

/// The value a resource sorts by: the attribute, or for a multi-valued one its primary (else
/// first) element's `value` (RFC 7644 §3.4.2.3).
fn sort_key(rt: &ResourceType, path: &AttrPath, resource: &Map<String, Value>) -> Option<Value> {
    let resolved = path.resolve(rt)?;
    let container = if resolved.in_extension {
        resource.get(resolved.schema.id)?.as_object()?
    } else {
        resource
    };
    let top = container
        .iter()
        .find(|(k, _)| k.eq_ignore_ascii_case(resolved.attribute.name))
        .map(|(_, v)| v)?;
    let top = match top {
        Value::Array(items) => items
            .iter()
            .find(|i| i.get("primary") == Some(&Value::Bool(true)))
            .or_else(|| items.first())?,
        other => other,
    };
    let sub = path
        .sub_attr
        .as_deref()
        .or(if top.is_object() { Some("value") } else { None });
    match sub {
        Some(sub) => top
            .as_object()?
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(sub))
            .map(|(_, v)| v.clone()),
        None => Some(top.clone()),
    }
}

/// Missing values sort last; strings compare by code point, ignoring case unless `case_exact`.
fn compare_values(a: Option<&Value>, b: Option<&Value>, case_exact: bool) -> Ordering {
    match (a, b) {
        (None, None) => Ordering::Equal,
        (None, Some(_)) => Ordering::Greater,
        (Some(_), None) => Ordering::Less,
        (Some(Value::String(x)), Some(Value::String(y))) if case_exact => x.cmp(y),
        (Some(Value::String(x)), Some(Value::String(y))) => x.to_lowercase().cmp(&y.to_lowercase()),
        (Some(Value::Number(x)), Some(Value::Number(y))) => x
            .as_f64()
            .partial_cmp(&y.as_f64())
            .unwrap_or(Ordering::Equal),
        (Some(Value::Bool(x)), Some(Value::Bool(y))) => x.cmp(y),
        (Some(x), Some(y)) => x.to_string().cmp(&y.to_string()),
    }
}

#[cfg(test)]
mod tests {
    use roster_scim::schema::USER_RESOURCE;
    use serde_json::json;

    use super::*;
    use crate::SortColumn;

    fn request(filter: Option<&str>, sort_by: Option<&str>, start: u64, count: u64) -> ListRequest {
        ListRequest::new(&USER_RESOURCE, filter, start, count, sort_by, false).unwrap()
    }

    #[test]
    fn column_sorts_are_answered_by_the_store_others_in_memory() {
        let Plan::Store { filter, page } =
            request(None, Some("userName"), 1, 1).plan(&USER_RESOURCE, 10)
        else {
            panic!("sortBy=userName is sorted in the database");
        };
        assert_eq!(filter, None);
        assert_eq!(
            page.order,
            Some(Order {
                column: SortColumn::UserName,
                descending: false
            })
        );
        assert!(page.counted);
        let Plan::Memory(candidates) = request(
            Some("name.familyName eq \"x\""),
            Some("meta.lastModified"),
            1,
            1,
        )
        .plan(&USER_RESOURCE, 10) else {
            panic!("an unlowerable filter is evaluated in memory");
        };
        // The store still sorts the candidates; the selection only filters and pages.
        assert_eq!(
            candidates
                .next_batch()
                .and_then(|(_, p)| p.order)
                .map(|o| o.column),
            Some(SortColumn::LastModified)
        );
        assert!(matches!(
            request(None, Some("name.familyName"), 1, 1).plan(&USER_RESOURCE, 10),
            Plan::Memory(Candidates { order: None, .. })
        ));
    }

    /// A candidate row: its place is its number.
    struct Row(u64);

    impl Listed for Row {
        fn position(&self, order: Option<Order>) -> Position {
            Position {
                order,
                value: None,
                created: time::OffsetDateTime::UNIX_EPOCH,
                id: uuid::Uuid::from_u128(u128::from(self.0)),
            }
        }
    }

    fn rows(from: u64, n: u64) -> Vec<Row> {
        (from..from + n).map(Row).collect()
    }

    #[test]
    fn candidates_are_read_in_batches_each_after_the_last_row_of_the_one_before() {
        let request = request(Some("title pr and userName gt \"a\""), None, 1, 10);
        let Plan::Memory(mut candidates) = request.plan(&USER_RESOURCE, 1_200) else {
            panic!("title has no column");
        };
        let narrowing = candidates.narrowing.clone();
        let mut batches = Vec::new();
        let mut read = 0;
        while let Some((filter, page)) = candidates.next_batch() {
            assert!(!page.counted);
            assert_eq!(page.offset, 0, "never an offset");
            let expected = if read == 0 {
                narrowing.clone()
            } else {
                Some(StoreFilter::after(
                    narrowing.as_ref(),
                    Row(read - 1).position(None),
                ))
            };
            assert_eq!(filter, expected, "batch {}", batches.len());
            let limit = page.limit.unwrap();
            batches.push(limit);
            if let Err(e) = candidates.read(page, &rows(read, limit)) {
                assert!(e.to_string().contains("more than 1200 users"), "{e}");
                break;
            }
            read += limit;
        }
        // One row past the limit is enough to refuse.
        assert_eq!(batches, [500, 500, 201]);
        let Plan::Memory(mut few) = request.plan(&USER_RESOURCE, 1_200) else {
            panic!("title has no column");
        };
        let (_, page) = few.next_batch().unwrap();
        few.read(page, &rows(0, 499)).unwrap();
        assert_eq!(few.next_batch(), None, "a short batch is the last");
    }

    #[test]
    fn a_selection_keeps_only_the_page_unless_it_sorts() {
        let users: Vec<(Map<String, Value>, u32)> = (0..10u32)
            .map(|i| {
                let Value::Object(mut r) = json!({"userName": format!("u{i}"), "title": "t"})
                else {
                    unreachable!()
                };
                if i % 2 == 1 {
                    r.remove("title");
                }
                (r, i)
            })
            .collect();
        let paged = request(Some("title pr"), None, 2, 2);
        let mut selection = paged.selection(&USER_RESOURCE);
        for (r, i) in users.clone() {
            selection.offer(&r, i);
        }
        assert_eq!(selection.kept.len(), 2);
        assert_eq!(selection.finish(), (vec![2, 4], 5));
        let sorted = ListRequest::new(&USER_RESOURCE, None, 1, 3, Some("title"), true).unwrap();
        // Missing values sort last ascending, so first descending; ties keep listing order
        // reversed.
        assert_eq!(sorted.select(&USER_RESOURCE, users), (vec![9, 7, 5], 10));
    }

    #[test]
    fn sorting_in_memory_keeps_only_what_the_page_needs() {
        let n = 5 * BATCH as u32;
        let resources = (0..n).map(|i| {
            // Keys repeat, so ties decide too.
            let Value::Object(r) = json!({"title": format!("t{:04}", (i * 7919) % 997)}) else {
                unreachable!()
            };
            (r, i)
        });
        let resources: Vec<_> = resources.collect();
        for descending in [false, true] {
            let request =
                ListRequest::new(&USER_RESOURCE, None, 3, 4, Some("title"), descending).unwrap();
            let mut expected: Vec<_> = resources.clone();
            expected.sort_by(|(a, _), (b, _)| a["title"].as_str().cmp(&b["title"].as_str()));
            if descending {
                expected.reverse();
            }
            let expected: Vec<u32> = expected.iter().skip(2).take(4).map(|(_, i)| *i).collect();
            let mut selection = request.selection(&USER_RESOURCE);
            let mut most = 0;
            for (r, i) in resources.clone() {
                selection.offer(&r, i);
                most = most.max(selection.kept.len());
            }
            assert!(most <= 2 * BATCH as usize + 1, "kept {most}");
            assert_eq!(selection.finish(), (expected, u64::from(n)), "{descending}");
        }
    }
}

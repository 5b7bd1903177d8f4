//! `POST /.search` at the tenant root (RFC 7644 §3.4.3): one query over Users and Groups.
//!
//! A filter (or `sortBy`) that names attributes of only one resource type searches that type;
//! users come first, then groups, and paging runs across both.

use roster_scim::{
    ScimError,
    schema::{GROUP_RESOURCE, ResourceType, USER_RESOURCE},
};

use crate::{Account, Group, ListRequest, OrgScope, Roster, error::Result};

/// The parameters of a list or search request (RFC 7644 §3.4.2) before the filter and `sortBy`
/// are checked against a resource type.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ListQuery<'a> {
    pub filter: Option<&'a str>,
    /// 1-based; values below 1 are read as 1.
    pub start_index: u64,
    pub count: u64,
    pub sort_by: Option<&'a str>,
    pub descending: bool,
    /// RFC 9865 cursor paging (empty: the first page) instead of `startIndex`.
    pub cursor: Option<&'a str>,
}

impl ListQuery<'_> {
    /// The query as a list request on `rt`: the filter and `sortBy` must name its attributes.
    pub fn request(&self, rt: &ResourceType) -> Result<ListRequest, ScimError> {
        let request = ListRequest::new(
            rt,
            self.filter,
            self.start_index,
            self.count,
            self.sort_by,
            self.descending,
        )?;
        match self.cursor {
            Some(cursor) => request.with_cursor(rt, cursor),
            None => Ok(request),
        }
    }
}

/// One page of a search over Users and Groups: the users of the page, then its groups.
#[derive(Debug, Clone)]
pub struct SearchPage {
    pub users: Vec<Account>,
    pub groups: Vec<Group>,
    /// Matches of both types over all pages.
    pub total: u64,
    /// 1-based index of the page's first resource in the combined list.
    pub start_index: u64,
}

impl Roster {
    /// `POST /.search`. A type whose schema the filter or `sortBy` does not fit is not searched;
    /// when neither fits, the answer is the Users error. Groups continue the page where the users
    /// end: the combined list is every matching user, then every matching group.
    pub async fn scim_search(&self, scope: OrgScope, query: &ListQuery<'_>) -> Result<SearchPage> {
        if query.cursor.is_some() {
            return Err(ScimError::invalid_value(
                "cursor paging is offered on /Users and /Groups (and their /.search); a search \
                 at the root pages with startIndex",
            )
            .into());
        }
        let users_request = query.request(&USER_RESOURCE);
        let groups_request = query.request(&GROUP_RESOURCE);
        if let (Err(e), Err(_)) = (&users_request, &groups_request) {
            return Err(e.clone().into());
        }
        let start_index = query.start_index.max(1);
        let mut page = SearchPage {
            users: Vec::new(),
            groups: Vec::new(),
            total: 0,
            start_index,
        };
        let mut users_matched = 0;
        if let Ok(request) = users_request {
            let users = self.scim_list_users(scope, &request).await?;
            users_matched = users.total;
            page.total += users.total;
            page.users = users.items;
        }
        if let Ok(mut request) = groups_request {
            let (start, count) =
                groups_window(start_index, query.count, users_matched, page.users.len());
            request.start_index = start;
            request.count = count;
            let groups = self.scim_list_groups(scope, &request).await?;
            page.total += groups.total;
            page.groups = groups.items;
        }
        Ok(page)
    }
}

/// Where the groups' part of a page starts among the groups (1-based), and how many groups it
/// may hold, given how many users matched and how many of them are on the page.
fn groups_window(
    start_index: u64,
    count: u64,
    users_matched: u64,
    users_on_page: usize,
) -> (u64, u64) {
    let start = start_index.saturating_sub(users_matched).max(1);
    let room = count.saturating_sub(u64::try_from(users_on_page).unwrap_or(u64::MAX));
    (start, room)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn groups_continue_the_page_where_the_users_end() {
        // 3 users match; page 1..=10 holds them all and 7 groups from the first.
        assert_eq!(groups_window(1, 10, 3, 3), (1, 7));
        // Starting at the 2nd: users 2 and 3, then groups from the first.
        assert_eq!(groups_window(2, 10, 3, 2), (1, 8));
        // Starting past the users: the 5th resource is the 2nd group.
        assert_eq!(groups_window(5, 10, 3, 0), (2, 10));
        // A page full of users leaves no room, but the groups are still counted.
        assert_eq!(groups_window(1, 2, 3, 2), (1, 0));
        // No user type searched.
        assert_eq!(groups_window(4, 1, 0, 0), (4, 1));
    }
}

//! A link's access log as its manager sees it: events newest first, paged,
//! with the counters. The web app's activity page reads it; an API endpoint
//! can serve the same data.

use crate::service::Services;
use crate::{Error, File, Link, LinkEvent, LinkEventCounts, Result, User};

pub struct LinkActivity {
    pub file: File,
    pub link: Link,
    pub events: Vec<LinkEvent>,
    pub total: i64,
    pub counts: LinkEventCounts,
}

impl Services {
    /// One page of the activity of `link_id` on `file_id`, for someone who
    /// may manage the file's links. A link of another file is 404.
    pub async fn link_activity(
        &self,
        user: &User,
        file_id: i64,
        link_id: &str,
        offset: i64,
        limit: i64,
    ) -> Result<LinkActivity> {
        let file = self.managed_file(Some(user), file_id).await?;
        let link = self
            .store
            .link(link_id)
            .await?
            .filter(|l| l.entry == crate::Entry::File(file_id))
            .ok_or_else(Error::item_not_found)?;
        let (events, total) = self.store.link_events_page(link_id, offset.max(0), limit).await?;
        let counts = self.store.link_event_counts(link_id).await?;
        Ok(LinkActivity { file, link, events, total, counts })
    }
}

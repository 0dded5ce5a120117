//! `spacelinks links activity FILE LINK_ID`: who used a link, through
//! `GET /api/2.0/files/file/{id}/links/{linkId}/activity` (a spacelinks
//! extension; a DocSpace portal answers 404).

use serde_json::Value;

use crate::client::{segment, Client};
use crate::error::CliResult;
use crate::links::print_json;
use crate::output::{clean, show_date, table, truncate};

pub async fn show(client: &Client, file_id: &str, link_id: &str, count: u32, json: bool) -> CliResult {
    let path = format!("/api/2.0/files/file/{}/links/{}/activity?count={count}", segment(file_id), segment(link_id));
    let reply = client.get(&path, &format!("link {link_id} of file {file_id}")).await?;
    let events = reply.response.and_then(|v| v.as_array().cloned()).unwrap_or_default();
    if json {
        print_json(&Value::Array(events));
    } else if events.is_empty() {
        println!("Link {} has no activity yet.", clean(link_id));
    } else {
        print!("{}", activity_rows(&events));
        let total = reply.total.unwrap_or(events.len() as i64);
        if total > events.len() as i64 {
            println!("({} of {total} events; --count shows more)", events.len());
        }
    }
    Ok(())
}

fn activity_rows(events: &[Value]) -> String {
    let text = |e: &Value, k: &str| clean(e.get(k).and_then(Value::as_str).unwrap_or(""));
    let rows: Vec<Vec<String>> = events
        .iter()
        .map(|e| {
            vec![
                e.get("on").and_then(Value::as_str).map(show_date).unwrap_or_default(),
                // `refused (usedUp)`: the reason is the point of a refusal.
                match e.get("reason").and_then(Value::as_str) {
                    Some(r) => format!("{} ({})", text(e, "kind"), clean(r)),
                    None => text(e, "kind"),
                },
                text(e, "ip"),
                truncate(&text(e, "userAgent"), 48),
            ]
        })
        .collect();
    table(&["WHEN", "EVENT", "IP", "BROWSER"], &rows, &[])
}

//! Writes a vault of generated notes for benchmarking `recap validate`:
//! `cargo run --example make_vault -- /tmp/vault 10000`, then
//! `time target/debug/recap validate /tmp/vault`.
//!
//! Notes go into 100 folders; every note is valid except that every tenth is a `people`
//! note with an empty `person` (one warning each), like the reference note.

#![allow(clippy::print_stdout)] // a command run by hand that reports what it wrote

use std::path::PathBuf;

use recap::note::{ActionItem, Frontmatter, Note, Priority};

fn main() -> std::io::Result<()> {
    let mut args = std::env::args().skip(1);
    let dir = PathBuf::from(args.next().unwrap_or_else(|| "/tmp/vault".into()));
    let count: usize = args.next().and_then(|n| n.parse().ok()).unwrap_or(10_000);
    let people = [
        "Jason Vallery",
        "Jeff Denworth",
        "Renan Ortiz",
        "Noah Kim",
        "Ryan Lee",
    ];
    for i in 0..count {
        let folder = dir.join(format!("{:02}", i % 100));
        std::fs::create_dir_all(&folder)?;
        let date = format!("2025-{:02}-{:02}", i % 12 + 1, i % 28 + 1);
        let participants: Vec<String> = (0..2 + i % 3)
            .map(|k| people[(i + k) % 5].to_string())
            .collect();
        let one_on_one = i % 10 == 0;
        let title = format!("Sync {i}: storage roadmap and the win-loss cadence");
        let mut note = Note::new(Frontmatter::generated(
            if one_on_one { "people" } else { "meeting" },
            &title,
            &date,
            "",
            participants.clone(),
            &format!("/vault/Sources/Transcripts/{date} - sync {i}.vtt"),
        ));
        note.summary = format!(
            "{} met to review the storage roadmap, agreed on a monthly win-loss cadence, and \
             discussed the Azure gaps slide and how to embed with the sales engineers.",
            participants.join(", ")
        );
        for k in 0..8 {
            let owner = match k % 3 {
                0 => "Myself".to_string(),
                1 => participants[k % participants.len()].clone(),
                _ => "TBD".to_string(),
            };
            let mut item = ActionItem::proposed(
                &format!("Follow up on topic {k} of meeting {i} with the team and report back."),
                &owner,
            );
            item.priority = [None, Some(Priority::High), Some(Priority::Low)][k % 3];
            if k % 4 == 0 {
                item.due = Some(format!("2026-{:02}-{:02}", k + 1, k + 10));
            }
            note.action_items.push(item);
        }
        note.decisions = (0..4)
            .map(|k| format!("Decision {k}: the team will ship step {k} this quarter."))
            .collect();
        note.key_information = (0..6)
            .map(|k| format!("Fact {k}: the customer runs {k}00 nodes across two clouds."))
            .collect();
        std::fs::write(folder.join(format!("{date} - sync {i}.md")), note.render())?;
    }
    println!("wrote {count} notes under {}", dir.display());
    Ok(())
}

//! The back-fill killed half-way and resumed: `sfjira load --kill-at 50` stops the connector
//! with SIGKILL once Jira holds that share of the new issues, starts it again on the same data
//! directory, and runs the item again until the back-fill is complete.
//!
//! A kill lands between any two steps of hundreds of links at once: an issue created whose
//! settlement was not yet recorded, a link note sent and not yet answered. What this proves,
//! counted from outside in both emulators: every Case has exactly one Jira issue and exactly
//! one link note, and the resumed run finished what the killed one left.

use std::collections::BTreeMap;
use std::time::{Duration, Instant};

use anyhow::Context;
use serde_json::Value;

use super::report::{thousands, Scenario};
use super::{subject, Rig};

/// How often the Jira emulator's issue count is looked at while waiting for the moment to kill.
const POLL: Duration = Duration::from_millis(100);

/// How long the runs after the restart may take to finish the back-fill: the default
/// unknown-outcome window (60 s) and Jira search lag (30 s), and a margin.
const FINISH_WITHIN: Duration = Duration::from_secs(150);

/// The pause between runs after the restart while work is left.
const BETWEEN_RUNS: Duration = Duration::from_secs(10);

/// What each Case should have exactly one of, counted.
struct Census {
    /// Cases with no issue, and issues beyond the first per Case.
    issues_missing: usize,
    issues_duplicated: usize,
    /// The same for link notes.
    notes_missing: usize,
    notes_duplicated: usize,
}

impl Census {
    /// Every Case has exactly one issue and one link note.
    fn is_clean(&self) -> bool {
        self.issues_missing + self.issues_duplicated + self.notes_missing + self.notes_duplicated
            == 0
    }
}

impl Rig {
    /// The back-fill, killed once `percent` of the `links` issues exist and resumed; answers
    /// the scenario (the two runs' wall time without the restart) and the issues created.
    pub(super) async fn killed_backfill(
        &mut self,
        links: usize,
        cases: &[String],
        percent: f64,
    ) -> anyhow::Result<(Scenario, u64)> {
        let seeded = self.jira.site().state.read().issues.len();
        let target = seeded + ((links as f64) * percent / 100.0).round() as usize;
        self.reset_logs();
        let started = Instant::now();
        let finished_first = {
            let run = self.sync();
            tokio::pin!(run);
            loop {
                tokio::select! {
                    result = &mut run => break Some(result?),
                    () = tokio::time::sleep(POLL) => {
                        if self.jira.site().state.read().issues.len() >= target {
                            break None;
                        }
                    }
                }
            }
        };
        anyhow::ensure!(
            finished_first.is_none(),
            "the back-fill finished before {percent} % of the issues existed"
        );
        self.connector.kill();
        let until_kill = started.elapsed();
        let at_kill = self.jira.site().state.read().issues.len() - seeded;
        let restart = Instant::now();
        self.relaunch().await?;
        let restarted_in = restart.elapsed();
        let resumed = Instant::now();
        // Links whose create was under way at the kill cannot prove it absent until the
        // unknown-outcome window has passed (`sync.unconfirmed_create_wait_secs`, plus Jira's
        // search lag): their run reports them failed, and a later run finishes them.
        let deadline = Instant::now() + FINISH_WITHIN;
        let mut runs = 0;
        let (run, census) = loop {
            let (run, _) = self.sync().await?;
            self.settle().await?;
            runs += 1;
            let census = self.census(cases).await?;
            if census.is_clean() || Instant::now() > deadline {
                break (run, census);
            }
            tokio::time::sleep(BETWEEN_RUNS).await;
        };
        let wall = until_kill + resumed.elapsed();
        let created = (self.jira.site().state.read().issues.len() - seeded) as u64;
        let counts = &run["item"]["counts"];
        let notes = vec![
            format!(
                "killed (SIGKILL) with {} of {} issues in Jira after {:.1} s; restarted in {:.1} s",
                thousands(at_kill as u64),
                thousands(links as u64),
                until_kill.as_secs_f64(),
                restarted_in.as_secs_f64()
            ),
            format!(
                "{runs} runs after the restart; the last: {} issues created, {} failures; outcome {}",
                counts["issues_created"].as_u64().unwrap_or(0),
                counts["failures"].as_u64().unwrap_or(0),
                run["item"]["outcome"]["kind"].as_str().unwrap_or("?"),
            ),
            format!(
                "per Case: {} without an issue, {} duplicate issues; {} without a link note, {} duplicate notes",
                census.issues_missing,
                census.issues_duplicated,
                census.notes_missing,
                census.notes_duplicated
            ),
        ];
        let scenario = self.scenario(
            "back-fill (killed, resumed)",
            wall,
            None,
            &BTreeMap::new(),
            notes,
            Vec::new(),
        );
        anyhow::ensure!(
            census.is_clean(),
            "the resumed back-fill lost or duplicated work:\n{}",
            scenario.render(links)
        );
        Ok((scenario, created))
    }

    /// Counts, per Case, the issues (by summary) and link notes that exist.
    async fn census(&self, cases: &[String]) -> anyhow::Result<Census> {
        let mut issues: BTreeMap<String, usize> = BTreeMap::new();
        for issue in self.jira.site().state.read().issues.values() {
            *issues.entry(issue.summary.clone()).or_default() += 1;
        }
        let comments: Vec<Value> = self
            .http
            .get(format!(
                "{}/__emulator/records/CaseComment?include_deleted=false",
                self.sf.base_url()
            ))
            .send()
            .await
            .context("listing CaseComments")?
            .json()
            .await?;
        let mut notes: BTreeMap<&str, usize> = BTreeMap::new();
        for comment in &comments {
            if let Some(parent) = comment["ParentId"].as_str() {
                *notes.entry(parent).or_default() += 1;
            }
        }
        let mut census = Census {
            issues_missing: 0,
            issues_duplicated: 0,
            notes_missing: 0,
            notes_duplicated: 0,
        };
        for (i, case) in cases.iter().enumerate() {
            let count = issues.get(&subject(i)).copied().unwrap_or(0);
            census.issues_missing += usize::from(count == 0);
            census.issues_duplicated += count.saturating_sub(1);
            let count = notes.get(case.as_str()).copied().unwrap_or(0);
            census.notes_missing += usize::from(count == 0);
            census.notes_duplicated += count.saturating_sub(1);
        }
        Ok(census)
    }
}

//! `recap transcript`.

use crate::cli::TranscriptArgs;
use crate::config::Config;

use super::{Exit, Io};

pub fn run(_args: &TranscriptArgs, _config: &Config, _io: &mut Io<'_>) -> anyhow::Result<Exit> {
    anyhow::bail!("`recap transcript` is not built yet")
}

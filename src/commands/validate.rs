//! `recap validate`.

use crate::cli::ValidateArgs;
use crate::config::Config;

use super::{Exit, Io};

pub fn run(_args: &ValidateArgs, _config: &Config, _io: &mut Io<'_>) -> anyhow::Result<Exit> {
    anyhow::bail!("`recap validate` is not built yet")
}

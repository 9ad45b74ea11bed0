//! Typed settings: a TOML file plus `SFJIRA_*` environment overrides.

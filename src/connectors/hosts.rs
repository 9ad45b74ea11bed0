//! The outbound host policy: which URLs the connectors may call at all.
//!
//! sfjira holds a Salesforce client secret and a Jira token. A login URL typed into the admin
//! page, or an `instance_url` returned in a token response, decides where the next request (and
//! its bearer token) goes; if any host were accepted, a typo or a hostile value would send
//! credentials elsewhere. So the Salesforce side only ever talks to Salesforce's login and My
//! Domain hosts and to instance hosts under `salesforce.com` or `force.com`, the Jira side only
//! to its configured site, always over https. Plain http and loopback addresses are allowed
//! only when a setting says so, for the demo and the tests against the emulators. A refusal is a
//! typed [`HostRefused`] that names the rule that was broken.

use std::fmt;
use std::net::IpAddr;

use url::{Host, Url};

/// Which rule a refused URL broke.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum HostRule {
    /// The text is not an absolute URL.
    NotAUrl,
    /// The scheme is not https (http is allowed for loopback only, when loopback is allowed).
    HttpsRequired,
    /// The URL carries a user name or password.
    NoCredentialsInUrl,
    /// A login URL must be the bare origin: no path, query or fragment.
    OriginOnly,
    /// A non-default port on a remote host.
    DefaultPortOnly,
    /// A loopback address while loopback is not allowed.
    LoopbackNotAllowed,
    /// Not `login.salesforce.com`, `test.salesforce.com` or a My Domain host.
    SalesforceLoginHost,
    /// Not a host under `salesforce.com` or `force.com`.
    SalesforceInstanceHost,
    /// Not the configured Jira site.
    JiraSite,
}

impl HostRule {
    /// The rule, in words, for error messages.
    pub fn describe(&self) -> &'static str {
        match self {
            Self::NotAUrl => "the value must be an absolute URL such as https://host",
            Self::HttpsRequired => {
                "the URL must use https (plain http is allowed only for loopback in demo and test \
                 set-ups)"
            }
            Self::NoCredentialsInUrl => "the URL must not carry a user name or password",
            Self::OriginOnly => "a login URL is only scheme and host, without path or query",
            Self::DefaultPortOnly => "a remote host must be reached on the default https port",
            Self::LoopbackNotAllowed => {
                "loopback addresses are allowed only when allow_insecure_loopback is set"
            }
            Self::SalesforceLoginHost => {
                "a Salesforce login URL must be https://login.salesforce.com, \
                 https://test.salesforce.com or a My Domain URL (https://<name>.my.salesforce.com)"
            }
            Self::SalesforceInstanceHost => {
                "a Salesforce instance URL must be under salesforce.com or force.com"
            }
            Self::JiraSite => "requests may only go to the configured Jira site",
        }
    }

    /// A stable snake_case code for the rule.
    pub fn code(&self) -> &'static str {
        match self {
            Self::NotAUrl => "not_a_url",
            Self::HttpsRequired => "https_required",
            Self::NoCredentialsInUrl => "no_credentials_in_url",
            Self::OriginOnly => "origin_only",
            Self::DefaultPortOnly => "default_port_only",
            Self::LoopbackNotAllowed => "loopback_not_allowed",
            Self::SalesforceLoginHost => "salesforce_login_host",
            Self::SalesforceInstanceHost => "salesforce_instance_host",
            Self::JiraSite => "jira_site",
        }
    }
}

/// A URL the outbound host policy refuses, and why.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("refused URL {url:?}: {} ({})", rule.describe(), rule.code())]
pub struct HostRefused {
    /// The URL as given (credentials in it are not repeated).
    pub url: String,
    /// The rule it broke.
    pub rule: HostRule,
}

/// The policy, as configured.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct HostPolicy {
    /// Allow http and loopback hosts (demo and tests only).
    pub allow_insecure_loopback: bool,
}

/// Kinds of My Domain hosts below `my.salesforce.com` besides production:
/// `<name>.<kind>.my.salesforce.com`.
const MY_DOMAIN_KINDS: &[&str] = &["sandbox", "develop", "scratch", "trailblaze", "demo"];

impl HostPolicy {
    /// A policy allowing loopback or not.
    pub fn new(allow_insecure_loopback: bool) -> Self {
        Self {
            allow_insecure_loopback,
        }
    }

    /// Checks a Salesforce login URL and returns it parsed, without a trailing slash issue.
    pub fn salesforce_login(&self, raw: &str) -> Result<Url, HostRefused> {
        let url = self.common(raw)?;
        if url.path() != "/" && !url.path().is_empty()
            || url.query().is_some()
            || url.fragment().is_some()
        {
            return Err(refused(&url, HostRule::OriginOnly));
        }
        if self.is_allowed_loopback(&url) {
            return Ok(url);
        }
        let host = domain_of(&url);
        let fixed = matches!(
            host.as_str(),
            "login.salesforce.com" | "test.salesforce.com"
        );
        if fixed || is_my_domain(&host) {
            Ok(url)
        } else {
            Err(refused(&url, HostRule::SalesforceLoginHost))
        }
    }

    /// Checks an instance URL (from a token response) and returns it parsed.
    pub fn salesforce_instance(&self, raw: &str) -> Result<Url, HostRefused> {
        let url = self.common(raw)?;
        if self.is_allowed_loopback(&url) {
            return Ok(url);
        }
        let host = domain_of(&url);
        let ok = ["salesforce.com", "force.com"].iter().any(|suffix| {
            host.strip_suffix(suffix)
                .and_then(|rest| rest.strip_suffix('.'))
                .is_some_and(|name| !name.is_empty() && name.split('.').all(valid_label))
        });
        if ok {
            Ok(url)
        } else {
            Err(refused(&url, HostRule::SalesforceInstanceHost))
        }
    }

    /// Checks the Jira site URL (any https host, loopback only when allowed) and returns it
    /// parsed, with a path that ends in `/` so relative joins stay under it.
    pub fn jira_site(&self, raw: &str) -> Result<Url, HostRefused> {
        let mut url = self.common(raw)?;
        if url.query().is_some() || url.fragment().is_some() {
            return Err(refused(&url, HostRule::JiraSite));
        }
        if !url.path().ends_with('/') {
            let path = format!("{}/", url.path());
            url.set_path(&path);
        }
        Ok(url)
    }

    /// Checks that `target` stays on the same origin as `site` (for redirects and URLs the
    /// server returns); a refusal names `rule`.
    pub fn same_origin(&self, site: &Url, target: &Url, rule: HostRule) -> Result<(), HostRefused> {
        if site.origin() == target.origin() {
            Ok(())
        } else {
            Err(refused(target, rule))
        }
    }

    /// The rules every URL obeys: absolute http(s), no credentials, https unless it is an
    /// allowed loopback, default port for remote hosts.
    fn common(&self, raw: &str) -> Result<Url, HostRefused> {
        let url = Url::parse(raw.trim()).map_err(|_| HostRefused {
            url: raw.trim().to_string(),
            rule: HostRule::NotAUrl,
        })?;
        if !matches!(url.scheme(), "http" | "https") || url.host().is_none() {
            return Err(refused(&url, HostRule::NotAUrl));
        }
        if !url.username().is_empty() || url.password().is_some() {
            let mut shown = url.clone();
            let _ = shown.set_username("");
            let _ = shown.set_password(None);
            return Err(refused(&shown, HostRule::NoCredentialsInUrl));
        }
        if is_loopback(&url) {
            if !self.allow_insecure_loopback {
                return Err(refused(&url, HostRule::LoopbackNotAllowed));
            }
            return Ok(url);
        }
        if url.scheme() != "https" {
            return Err(refused(&url, HostRule::HttpsRequired));
        }
        if url.port().is_some() {
            return Err(refused(&url, HostRule::DefaultPortOnly));
        }
        Ok(url)
    }

    fn is_allowed_loopback(&self, url: &Url) -> bool {
        self.allow_insecure_loopback && is_loopback(url)
    }
}

fn refused(url: &Url, rule: HostRule) -> HostRefused {
    HostRefused {
        url: url.as_str().to_string(),
        rule,
    }
}

/// The host name in lower case without a trailing dot ("" for IP addresses).
fn domain_of(url: &Url) -> String {
    match url.host() {
        Some(Host::Domain(d)) => d.trim_end_matches('.').to_ascii_lowercase(),
        _ => String::new(),
    }
}

/// `localhost`, `*.localhost`, 127.0.0.0/8 or ::1.
pub fn is_loopback(url: &Url) -> bool {
    match url.host() {
        Some(Host::Ipv4(ip)) => IpAddr::V4(ip).is_loopback(),
        Some(Host::Ipv6(ip)) => {
            IpAddr::V6(ip).is_loopback() || ip.to_ipv4_mapped().is_some_and(|v4| v4.is_loopback())
        }
        Some(Host::Domain(d)) => {
            let d = d.trim_end_matches('.').to_ascii_lowercase();
            d == "localhost" || d.ends_with(".localhost")
        }
        None => false,
    }
}

/// `<name>.my.salesforce.com` or `<name>.<kind>.my.salesforce.com`.
fn is_my_domain(host: &str) -> bool {
    let Some(rest) = host.strip_suffix(".my.salesforce.com") else {
        return false;
    };
    let labels: Vec<&str> = rest.split('.').collect();
    match labels.as_slice() {
        [name] => valid_label(name),
        [name, kind] => valid_label(name) && MY_DOMAIN_KINDS.contains(kind),
        _ => false,
    }
}

/// A DNS label: 1–63 letters, digits or hyphens, not starting or ending with a hyphen.
fn valid_label(label: &str) -> bool {
    !label.is_empty()
        && label.len() <= 63
        && label
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-')
        && !label.starts_with('-')
        && !label.ends_with('-')
}

impl fmt::Display for HostRule {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.code())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const STRICT: HostPolicy = HostPolicy {
        allow_insecure_loopback: false,
    };
    const LOOSE: HostPolicy = HostPolicy {
        allow_insecure_loopback: true,
    };

    fn rule<T: fmt::Debug>(r: Result<T, HostRefused>) -> HostRule {
        r.expect_err("should be refused").rule
    }

    #[test]
    fn salesforce_login_hosts() {
        for ok in [
            "https://login.salesforce.com",
            "https://test.salesforce.com/",
            "https://acme.my.salesforce.com",
            "https://ACME.My.Salesforce.com",
            "https://acme--uat.sandbox.my.salesforce.com",
            "https://acme-dev-ed.develop.my.salesforce.com",
        ] {
            assert!(STRICT.salesforce_login(ok).is_ok(), "{ok}");
        }
        assert_eq!(
            rule(STRICT.salesforce_login("https://evil.example.com")),
            HostRule::SalesforceLoginHost
        );
        assert_eq!(
            rule(STRICT.salesforce_login("https://login.salesforce.com.evil.com")),
            HostRule::SalesforceLoginHost
        );
        assert_eq!(
            rule(STRICT.salesforce_login("https://a.b.c.my.salesforce.com")),
            HostRule::SalesforceLoginHost
        );
        assert_eq!(
            rule(STRICT.salesforce_login("https://na1.salesforce.com")),
            HostRule::SalesforceLoginHost,
            "an instance host is not a login host"
        );
        assert_eq!(
            rule(STRICT.salesforce_login("http://login.salesforce.com")),
            HostRule::HttpsRequired
        );
        assert_eq!(
            rule(STRICT.salesforce_login("https://login.salesforce.com/services/oauth2")),
            HostRule::OriginOnly
        );
        assert_eq!(
            rule(STRICT.salesforce_login("https://login.salesforce.com:8443")),
            HostRule::DefaultPortOnly
        );
        assert_eq!(
            rule(STRICT.salesforce_login("https://u:p@login.salesforce.com")),
            HostRule::NoCredentialsInUrl
        );
        assert_eq!(
            rule(STRICT.salesforce_login("login.salesforce.com")),
            HostRule::NotAUrl
        );
        assert_eq!(
            rule(STRICT.salesforce_login("ftp://login.salesforce.com")),
            HostRule::NotAUrl
        );
    }

    #[test]
    fn credentials_in_a_refused_url_are_not_repeated() {
        let err = STRICT
            .salesforce_login("https://user:hunter2@login.salesforce.com")
            .expect_err("refused");
        assert!(!err.to_string().contains("hunter2"), "{err}");
    }

    #[test]
    fn salesforce_instance_hosts() {
        for ok in [
            "https://acme.my.salesforce.com",
            "https://na139.salesforce.com",
            "https://acme.lightning.force.com",
            "https://acme--uat.sandbox.my.salesforce.com/",
        ] {
            assert!(STRICT.salesforce_instance(ok).is_ok(), "{ok}");
        }
        for bad in [
            "https://salesforce.com",
            "https://evilsalesforce.com",
            "https://acme.salesforce.com.evil.net",
            "https://force.com",
            "https://1.2.3.4",
        ] {
            assert_eq!(
                rule(STRICT.salesforce_instance(bad)),
                HostRule::SalesforceInstanceHost,
                "{bad}"
            );
        }
    }

    #[test]
    fn loopback_only_when_allowed() {
        for lo in [
            "http://127.0.0.1:8081",
            "http://127.3.4.5:1",
            "http://localhost:9000",
            "http://[::1]:8081",
            "https://127.0.0.1:8443",
        ] {
            assert_eq!(
                rule(STRICT.salesforce_login(lo)),
                HostRule::LoopbackNotAllowed,
                "{lo}"
            );
            assert_eq!(
                rule(STRICT.salesforce_instance(lo)),
                HostRule::LoopbackNotAllowed
            );
            assert_eq!(rule(STRICT.jira_site(lo)), HostRule::LoopbackNotAllowed);
            assert!(LOOSE.salesforce_login(lo).is_ok(), "{lo}");
            assert!(LOOSE.salesforce_instance(lo).is_ok(), "{lo}");
            assert!(LOOSE.jira_site(lo).is_ok(), "{lo}");
        }
    }

    #[test]
    fn loopback_allowance_does_not_open_plain_http_elsewhere() {
        assert_eq!(
            rule(LOOSE.salesforce_login("http://acme.my.salesforce.com")),
            HostRule::HttpsRequired
        );
        assert_eq!(
            rule(LOOSE.jira_site("http://acme.atlassian.net")),
            HostRule::HttpsRequired
        );
        assert_eq!(
            rule(LOOSE.salesforce_instance("http://10.0.0.1")),
            HostRule::HttpsRequired
        );
        assert_eq!(
            rule(LOOSE.salesforce_login("https://evil.example.com")),
            HostRule::SalesforceLoginHost
        );
    }

    #[test]
    fn jira_sites() {
        let url = STRICT
            .jira_site("https://acme.atlassian.net")
            .expect("accepted");
        assert_eq!(url.as_str(), "https://acme.atlassian.net/");
        let url = STRICT
            .jira_site("https://api.atlassian.com/ex/jira/abc")
            .expect("accepted");
        assert_eq!(url.as_str(), "https://api.atlassian.com/ex/jira/abc/");
        assert_eq!(
            rule(STRICT.jira_site("http://acme.atlassian.net")),
            HostRule::HttpsRequired
        );
        assert_eq!(
            rule(STRICT.jira_site("https://acme.atlassian.net/?x=1")),
            HostRule::JiraSite
        );
    }

    #[test]
    fn same_origin_checks() {
        let site = Url::parse("https://acme.atlassian.net/").expect("url");
        let inside = Url::parse("https://acme.atlassian.net/rest/api/3/x").expect("url");
        let outside = Url::parse("https://media.example.com/file").expect("url");
        assert!(STRICT
            .same_origin(&site, &inside, HostRule::JiraSite)
            .is_ok());
        assert_eq!(
            rule(STRICT.same_origin(&site, &outside, HostRule::JiraSite)),
            HostRule::JiraSite
        );
    }

    #[test]
    fn refusals_name_their_rule() {
        let err = STRICT
            .salesforce_login("https://evil.example.com")
            .expect_err("refused");
        let text = err.to_string();
        assert!(text.contains("salesforce_login_host"), "{text}");
        assert!(text.contains("My Domain"), "{text}");
    }
}

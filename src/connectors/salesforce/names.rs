//! What may go into a Salesforce path or query: API names and the API version.
//!
//! Object and field names reach the client from configuration and from the admin page. Placed
//! unchecked into `/sobjects/{name}` or `fields=…`, a name holding `/`, `?` or `,` would change
//! which resource is called or what is selected; every name is checked here before it is used.

use super::error::SalesforceError;

/// `60.0` or `v60.0` → `v60.0`; anything else is refused.
pub(crate) fn normalise_version(raw: &str) -> Result<String, SalesforceError> {
    let digits = raw.trim().trim_start_matches(['v', 'V']);
    let valid = digits.split_once('.').is_some_and(|(major, minor)| {
        !major.is_empty()
            && !minor.is_empty()
            && major.bytes().all(|b| b.is_ascii_digit())
            && minor.bytes().all(|b| b.is_ascii_digit())
    });
    if valid {
        Ok(format!("v{digits}"))
    } else {
        Err(SalesforceError::InvalidInput(format!(
            "api_version {raw:?} is not of the form v60.0"
        )))
    }
}

/// Checks an object or field API name (letters, digits, underscores, starting with a letter),
/// so that a name can never change the shape of a path or a query.
pub(crate) fn api_name(name: &str) -> Result<&str, SalesforceError> {
    let ok = name.len() <= 120
        && name.chars().next().is_some_and(|c| c.is_ascii_alphabetic())
        && name.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_');
    if ok {
        Ok(name)
    } else {
        Err(SalesforceError::InvalidInput(format!(
            "{name:?} is not a valid Salesforce API name"
        )))
    }
}

/// Checks a list of field names and joins them with commas.
pub(crate) fn field_list(fields: &[&str]) -> Result<String, SalesforceError> {
    fields
        .iter()
        .map(|f| api_name(f))
        .collect::<Result<Vec<_>, _>>()
        .map(|v| v.join(","))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn versions_are_normalised() {
        assert_eq!(normalise_version("60.0").ok().as_deref(), Some("v60.0"));
        assert_eq!(normalise_version("v61.0").ok().as_deref(), Some("v61.0"));
        assert!(normalise_version("latest").is_err());
        assert!(normalise_version("v60").is_err());
        assert!(normalise_version("v60.0/../x").is_err());
    }

    #[test]
    fn api_names_cannot_escape_paths_or_queries() {
        assert!(api_name("Case").is_ok());
        assert!(api_name("ns__Invoice__c").is_ok());
        for bad in [
            "",
            "1Case",
            "Case/../x",
            "Case?x",
            "Case Name",
            "Name,Id",
            "Id'",
        ] {
            assert!(api_name(bad).is_err(), "{bad}");
        }
        assert_eq!(
            field_list(&["Id", "Subject"]).ok().as_deref(),
            Some("Id,Subject")
        );
        assert!(field_list(&["Id", "x y"]).is_err());
    }
}

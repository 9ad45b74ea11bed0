//! Sales objects: Account, Contact, Lead, Opportunity, Quote, Order, Contract.

use super::{build, owner, FULL_AUDIT};
use crate::salesforce::schema::{FieldDef, FieldType as T, ObjectDef};

const INDUSTRIES: &[&str] = &[
    "Agriculture",
    "Apparel",
    "Banking",
    "Biotechnology",
    "Chemicals",
    "Communications",
    "Construction",
    "Consulting",
    "Education",
    "Electronics",
    "Energy",
    "Engineering",
    "Entertainment",
    "Environmental",
    "Finance",
    "Food & Beverage",
    "Government",
    "Healthcare",
    "Hospitality",
    "Insurance",
    "Machinery",
    "Manufacturing",
    "Media",
    "Not For Profit",
    "Recreation",
    "Retail",
    "Shipping",
    "Technology",
    "Telecommunications",
    "Transportation",
    "Utilities",
    "Other",
];

const LEAD_SOURCES: &[&str] = &[
    "Web",
    "Phone Inquiry",
    "Partner Referral",
    "Purchased List",
    "Other",
];

/// Account (`001`).
pub fn account() -> ObjectDef {
    let mut o = build(
        "Account",
        "Account",
        "Accounts",
        "001",
        vec![
            FieldDef::new("Name", "Account Name", T::String)
                .required()
                .name_field()
                .search(),
            FieldDef::new("Type", "Account Type", T::Picklist).picklist(
                &[
                    "Prospect",
                    "Customer - Direct",
                    "Customer - Channel",
                    "Channel Partner / Reseller",
                    "Installation Partner",
                    "Technology Partner",
                    "Other",
                ],
                None,
            ),
            FieldDef::new("ParentId", "Parent Account ID", T::Reference).reference(
                &["Account"],
                "Parent",
                Some("ChildAccounts"),
            ),
            FieldDef::new("AccountNumber", "Account Number", T::String)
                .len(40)
                .search(),
            FieldDef::new("BillingStreet", "Billing Street", T::Textarea).len(255),
            FieldDef::new("BillingCity", "Billing City", T::String).len(40),
            FieldDef::new("BillingState", "Billing State/Province", T::String).len(80),
            FieldDef::new("BillingPostalCode", "Billing Zip/Postal Code", T::String).len(20),
            FieldDef::new("BillingCountry", "Billing Country", T::String).len(80),
            FieldDef::new("Phone", "Account Phone", T::Phone).search(),
            FieldDef::new("Fax", "Account Fax", T::Phone),
            FieldDef::new("Website", "Website", T::Url).search(),
            FieldDef::new("Industry", "Industry", T::Picklist).picklist(INDUSTRIES, None),
            FieldDef::new("AnnualRevenue", "Annual Revenue", T::Currency),
            FieldDef::new("NumberOfEmployees", "Employees", T::Int),
            FieldDef::new("Description", "Account Description", T::Textarea),
            owner(),
        ],
        FULL_AUDIT,
    );
    o.feed_enabled = true;
    o
}

/// Contact (`003`); `Name` is compound from `FirstName` and `LastName`.
pub fn contact() -> ObjectDef {
    let mut o = build(
        "Contact",
        "Contact",
        "Contacts",
        "003",
        vec![
            FieldDef::new("AccountId", "Account ID", T::Reference).reference(
                &["Account"],
                "Account",
                Some("Contacts"),
            ),
            FieldDef::new("LastName", "Last Name", T::String)
                .len(80)
                .required()
                .compound("Name")
                .search(),
            FieldDef::new("FirstName", "First Name", T::String)
                .len(40)
                .compound("Name")
                .search(),
            FieldDef::new("Salutation", "Salutation", T::Picklist)
                .picklist(&["Mr.", "Ms.", "Mrs.", "Dr.", "Prof."], None),
            FieldDef::new("Name", "Full Name", T::String)
                .len(121)
                .name_field()
                .calculated()
                .defaulted()
                .search(),
            FieldDef::new("Title", "Title", T::String).len(128),
            FieldDef::new("Email", "Email", T::Email).len(80).search(),
            FieldDef::new("Phone", "Business Phone", T::Phone).search(),
            FieldDef::new("MobilePhone", "Mobile Phone", T::Phone).search(),
            FieldDef::new("Department", "Department", T::String).len(80),
            FieldDef::new("MailingCity", "Mailing City", T::String).len(40),
            FieldDef::new("MailingCountry", "Mailing Country", T::String).len(80),
            FieldDef::new("LeadSource", "Lead Source", T::Picklist).picklist(LEAD_SOURCES, None),
            FieldDef::new("Description", "Contact Description", T::Textarea),
            owner(),
        ],
        FULL_AUDIT,
    );
    o.feed_enabled = true;
    o
}

/// Lead (`00Q`).
pub fn lead() -> ObjectDef {
    let mut o = build(
        "Lead",
        "Lead",
        "Leads",
        "00Q",
        vec![
            FieldDef::new("LastName", "Last Name", T::String)
                .len(80)
                .required()
                .compound("Name")
                .search(),
            FieldDef::new("FirstName", "First Name", T::String)
                .len(40)
                .compound("Name")
                .search(),
            FieldDef::new("Name", "Full Name", T::String)
                .len(121)
                .name_field()
                .calculated()
                .defaulted()
                .search(),
            FieldDef::new("Title", "Title", T::String).len(128),
            FieldDef::new("Company", "Company", T::String)
                .required()
                .search(),
            FieldDef::new("Email", "Email", T::Email).len(80).search(),
            FieldDef::new("Phone", "Phone", T::Phone).search(),
            FieldDef::new("Website", "Website", T::Url).search(),
            FieldDef::new("Status", "Status", T::Picklist)
                .picklist(
                    &[
                        "Open - Not Contacted",
                        "Working - Contacted",
                        "Closed - Converted",
                        "Closed - Not Converted",
                    ],
                    Some("Open - Not Contacted"),
                )
                .required()
                .restricted(),
            FieldDef::new("LeadSource", "Lead Source", T::Picklist).picklist(LEAD_SOURCES, None),
            FieldDef::new("Industry", "Industry", T::Picklist).picklist(INDUSTRIES, None),
            FieldDef::new("Rating", "Rating", T::Picklist).picklist(&["Hot", "Warm", "Cold"], None),
            FieldDef::new("IsConverted", "Converted", T::Boolean).read_only(),
            FieldDef::new("Description", "Description", T::Textarea),
            owner(),
        ],
        FULL_AUDIT,
    );
    o.feed_enabled = true;
    o
}

/// Opportunity (`006`); `IsClosed`/`IsWon` follow `StageName`.
pub fn opportunity() -> ObjectDef {
    let mut o = build(
        "Opportunity",
        "Opportunity",
        "Opportunities",
        "006",
        vec![
            FieldDef::new("AccountId", "Account ID", T::Reference).reference(
                &["Account"],
                "Account",
                Some("Opportunities"),
            ),
            FieldDef::new("Name", "Name", T::String)
                .len(120)
                .required()
                .name_field()
                .search(),
            FieldDef::new("Description", "Description", T::Textarea),
            FieldDef::new("StageName", "Stage", T::Picklist)
                .picklist(
                    &[
                        "Prospecting",
                        "Qualification",
                        "Needs Analysis",
                        "Value Proposition",
                        "Id. Decision Makers",
                        "Perception Analysis",
                        "Proposal/Price Quote",
                        "Negotiation/Review",
                        "Closed Won",
                        "Closed Lost",
                    ],
                    None,
                )
                .required()
                .restricted(),
            FieldDef::new("Amount", "Amount", T::Currency),
            FieldDef::new("Probability", "Probability (%)", T::Percent),
            FieldDef::new("CloseDate", "Close Date", T::Date).required(),
            FieldDef::new("Type", "Opportunity Type", T::Picklist).picklist(
                &[
                    "Existing Customer - Upgrade",
                    "Existing Customer - Replacement",
                    "Existing Customer - Downgrade",
                    "New Customer",
                ],
                None,
            ),
            FieldDef::new("NextStep", "Next Step", T::String),
            FieldDef::new("LeadSource", "Lead Source", T::Picklist).picklist(LEAD_SOURCES, None),
            FieldDef::new("IsClosed", "Closed", T::Boolean).calculated(),
            FieldDef::new("IsWon", "Won", T::Boolean).calculated(),
            owner(),
        ],
        FULL_AUDIT,
    );
    o.feed_enabled = true;
    o
}

/// Quote (`0Q0`).
pub fn quote() -> ObjectDef {
    build(
        "Quote",
        "Quote",
        "Quotes",
        "0Q0",
        vec![
            FieldDef::new("Name", "Quote Name", T::String)
                .required()
                .name_field()
                .search(),
            FieldDef::new("OpportunityId", "Opportunity ID", T::Reference)
                .reference(&["Opportunity"], "Opportunity", Some("Quotes"))
                .required()
                .create_only(),
            FieldDef::new("QuoteNumber", "Quote Number", T::String)
                .len(30)
                .auto_number()
                .search(),
            FieldDef::new("Status", "Status", T::Picklist)
                .picklist(
                    &[
                        "Draft",
                        "Needs Review",
                        "In Review",
                        "Approved",
                        "Rejected",
                        "Presented",
                        "Accepted",
                        "Denied",
                    ],
                    Some("Draft"),
                )
                .restricted(),
            FieldDef::new("ExpirationDate", "Expiration Date", T::Date),
            FieldDef::new("ContactId", "Contact ID", T::Reference).reference(
                &["Contact"],
                "Contact",
                Some("Quotes"),
            ),
            FieldDef::new("Email", "Email", T::Email).len(80),
            FieldDef::new("Phone", "Phone", T::Phone),
            FieldDef::new("Description", "Description", T::Textarea),
        ],
        FULL_AUDIT,
    )
}

/// Order (`801`).
pub fn order() -> ObjectDef {
    let mut o = build(
        "Order",
        "Order",
        "Orders",
        "801",
        vec![
            FieldDef::new("AccountId", "Account ID", T::Reference)
                .reference(&["Account"], "Account", Some("Orders"))
                .required(),
            FieldDef::new("ContractId", "Contract ID", T::Reference).reference(
                &["Contract"],
                "Contract",
                Some("Orders"),
            ),
            FieldDef::new("OrderNumber", "Order Number", T::String)
                .len(30)
                .auto_number()
                .name_field()
                .search(),
            FieldDef::new("Name", "Order Name", T::String)
                .len(80)
                .search(),
            FieldDef::new("EffectiveDate", "Order Start Date", T::Date).required(),
            FieldDef::new("Status", "Status", T::Picklist)
                .picklist(&["Draft", "Activated"], Some("Draft"))
                .required()
                .restricted(),
            FieldDef::new("Type", "Order Type", T::Picklist).picklist(&["New", "Renewal"], None),
            FieldDef::new("Description", "Description", T::Textarea),
            FieldDef::new("TotalAmount", "Order Amount", T::Currency).calculated(),
            owner(),
        ],
        FULL_AUDIT,
    );
    o.feed_enabled = true;
    o
}

/// Contract (`800`).
pub fn contract() -> ObjectDef {
    let mut o = build(
        "Contract",
        "Contract",
        "Contracts",
        "800",
        vec![
            FieldDef::new("AccountId", "Account ID", T::Reference)
                .reference(&["Account"], "Account", Some("Contracts"))
                .required(),
            FieldDef::new("ContractNumber", "Contract Number", T::String)
                .len(30)
                .auto_number()
                .name_field()
                .search(),
            FieldDef::new("Status", "Status", T::Picklist)
                .picklist(
                    &["Draft", "In Approval Process", "Activated"],
                    Some("Draft"),
                )
                .required()
                .restricted(),
            FieldDef::new("StartDate", "Contract Start Date", T::Date),
            FieldDef::new("ContractTerm", "Contract Term (months)", T::Int),
            FieldDef::new("EndDate", "Contract End Date", T::Date).calculated(),
            FieldDef::new("SpecialTerms", "Special Terms", T::Textarea).len(4000),
            FieldDef::new("Description", "Description", T::Textarea),
            owner(),
        ],
        FULL_AUDIT,
    );
    o.feed_enabled = true;
    o
}

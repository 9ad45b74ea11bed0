"""Drives the Salesforce emulator with the real simple-salesforce client library.

simple-salesforce always talks to https://{domain}.salesforce.com for the token and then to
https://{instance} from the token response. The library is used unmodified; the only help it
gets is a requests.Session whose transport adapter sends the emulated My Domain host to the
emulator (the emulator's own instance URL is reached directly, over HTTPS with the generated
certificate trusted through REQUESTS_CA_BUNDLE).

Environment: SF_BASE (emulator URL), SF_DOMAIN (e.g. sfjira-demo.my), SF_CLIENT_ID,
SF_CLIENT_SECRET, SF_EXPECTED_CASES (rows seeded before the run).
Prints one line per check and a final "simple-salesforce fidelity: OK"; exits non-zero on the
first failed check.
"""

import base64
import os
import sys
import urllib.parse

import requests
from requests.adapters import HTTPAdapter
from simple_salesforce import Salesforce
from simple_salesforce.exceptions import (
    SalesforceMalformedRequest,
    SalesforceResourceNotFound,
)


class MyDomainToEmulator(HTTPAdapter):
    """Sends requests for the emulated My Domain host to the emulator's address."""

    def __init__(self, target):
        super().__init__()
        self.target = target.rstrip("/")

    def send(self, request, **kwargs):
        parts = urllib.parse.urlsplit(request.url)
        query = f"?{parts.query}" if parts.query else ""
        request.url = f"{self.target}{parts.path}{query}"
        return super().send(request, **kwargs)


def check(label, condition, detail=""):
    if not condition:
        print(f"FAIL {label} {detail}")
        sys.exit(1)
    print(f"ok   {label}")


def main():
    base = os.environ["SF_BASE"]
    domain = os.environ["SF_DOMAIN"]
    expected_cases = int(os.environ["SF_EXPECTED_CASES"])
    session = requests.Session()
    session.mount(f"https://{domain}.salesforce.com", MyDomainToEmulator(base))

    sf = Salesforce(
        consumer_key=os.environ["SF_CLIENT_ID"],
        consumer_secret=os.environ["SF_CLIENT_SECRET"],
        domain=domain,
        session=session,
        version="60.0",
    )
    check("client-credentials login", sf.session_id and sf.sf_instance in base)

    described = sf.describe()
    names = {o["name"] for o in described["sobjects"]}
    check("describeGlobal lists Case and files", {"Case", "ContentVersion"} <= names)
    case_fields = {f["name"]: f for f in sf.Case.describe()["fields"]}
    statuses = [p["value"] for p in case_fields["Status"]["picklistValues"]]
    check("describe Case.Status picklist", "Closed" in statuses, statuses)

    everything = sf.query_all("SELECT Id, Subject FROM Case ORDER BY Subject")
    check(
        "query_all pages over nextRecordsUrl",
        everything["totalSize"] == expected_cases and len(everything["records"]) == expected_cases,
        everything["totalSize"],
    )
    first = sf.query("SELECT Id FROM Case")
    check("first page is 2,000 with a locator", len(first["records"]) == 2000 and not first["done"])
    more = sf.query_more(first["nextRecordsUrl"], identifier_is_url=True)
    check("query_more returns the rest", more["done"] and "nextRecordsUrl" not in more)
    check("api usage is parsed from Sforce-Limit-Info", sf.api_usage["api-usage"].used > 0)

    created = sf.Account.create({"Name": "Fidelity Inc", "Industry": "Technology"})
    check("create answers id/success/errors", created["success"] and created["errors"] == [], created)
    account_id = created["id"]
    status = sf.Account.update(account_id, {"Industry": "Retail"})
    check("update answers 204", status == 204, status)
    record = sf.Account.get(account_id)
    check("get returns the update", record["Industry"] == "Retail" and record["attributes"]["type"] == "Account")
    check("delete answers 204", sf.Account.delete(account_id) == 204)
    try:
        sf.Account.get(account_id)
        check("deleted record is gone", False)
    except SalesforceResourceNotFound as e:
        check("deleted record answers ENTITY_IS_DELETED", e.content[0]["errorCode"] == "ENTITY_IS_DELETED", e.content)

    try:
        sf.query("SELECT Nope FROM Case")
        check("bad query fails", False)
    except SalesforceMalformedRequest as e:
        check("bad query answers INVALID_FIELD", e.content[0]["errorCode"] == "INVALID_FIELD", e.content)

    case_id = sf.Case.create({"Subject": "Zephyrine fidelity case"})["id"]
    payload = b"bytes from simple-salesforce\n"
    version = sf.ContentVersion.create(
        {
            "Title": "fidelity",
            "PathOnClient": "fidelity.txt",
            "VersionData": base64.b64encode(payload).decode(),
            "FirstPublishLocationId": case_id,
        }
    )
    check("ContentVersion upload", version["success"] and version["id"].startswith("068"))
    row = sf.query(f"SELECT ContentDocumentId, ContentSize FROM ContentVersion WHERE Id = '{version['id']}'")["records"][0]
    check("ContentVersion size", row["ContentSize"] == len(payload), row)
    links = sf.query(
        f"SELECT ContentDocument.Title FROM ContentDocumentLink WHERE LinkedEntityId = '{case_id}'"
    )["records"]
    check("FirstPublishLocationId links the file", len(links) == 1 and links[0]["ContentDocument"]["Title"] == "fidelity", links)
    downloaded = sf.ContentVersion.get_base64(version["id"], base64_field="VersionData")
    check("VersionData download", downloaded == payload, downloaded)

    found = sf.search("FIND {Zephyrine} RETURNING Case(Id, Subject)")
    check("SOSL search", [r["Id"] for r in found["searchRecords"]] == [case_id], found)

    print("simple-salesforce fidelity: OK")


if __name__ == "__main__":
    main()

"""Drives the Jira emulator with the real Python `jira` client library.

Usage: jira_client.py BASE_URL EMAIL API_TOKEN

Creates an issue, searches for it, transitions it, comments on it, attaches a file and reads
it back, and receives the matching webhooks on a local HTTP receiver, verifying their
X-Hub-Signature. Prints one line per step and exits non-zero on the first failure.
"""

import hashlib
import hmac
import io
import json
import sys
import threading
import time
import uuid
from http.server import BaseHTTPRequestHandler, HTTPServer

import requests
from jira import JIRA

SECRET = "python-client-secret"
RECEIVED = []


class Hook(BaseHTTPRequestHandler):
    def do_POST(self):  # noqa: N802 (http.server's naming)
        length = int(self.headers.get("Content-Length", "0"))
        body = self.rfile.read(length)
        RECEIVED.append((dict(self.headers), body))
        self.send_response(204)
        self.end_headers()

    def log_message(self, *args):
        pass


def step(message):
    print(f"ok: {message}", flush=True)


def expect(condition, message):
    if not condition:
        raise AssertionError(message)


def main():
    base, email, token = sys.argv[1], sys.argv[2], sys.argv[3]
    receiver = HTTPServer(("127.0.0.1", 0), Hook)
    threading.Thread(target=receiver.serve_forever, daemon=True).start()
    hook_url = f"http://127.0.0.1:{receiver.server_port}/jira"

    registered = requests.post(
        f"{base}/rest/webhooks/1.0/webhook",
        auth=(email, token),
        json={
            "name": "python-client",
            "url": hook_url,
            "events": ["jira:issue_created", "comment_created"],
            "filters": {"issue-related-events-section": "project = SUP"},
            "secret": SECRET,
        },
        timeout=10,
    )
    expect(registered.status_code == 201, f"webhook registration: {registered.status_code} {registered.text}")
    step("webhook registered")

    jira = JIRA(server=base, basic_auth=(email, token), options={"check_update": False}, max_retries=0)
    expect(jira._is_cloud, "the client must see a Cloud deployment")
    step(f"connected to {jira.server_info()['serverTitle']} {jira.server_info()['version']}")

    marker = uuid.uuid4().hex[:8]
    issue = jira.create_issue(
        project="SUP",
        summary=f"Python client {marker}",
        description="Created by the real jira package.\nSecond line.",
        issuetype="Task",
        labels=["python"],
    )
    expect(issue.key.startswith("SUP-"), f"unexpected key {issue.key}")
    expect(issue.fields.description == "Created by the real jira package.\nSecond line.", "v2 description round trip")
    step(f"created {issue.key}")

    found = jira.search_issues(f'project = SUP AND summary ~ "{marker}"')
    expect([i.key for i in found] == [issue.key], f"search found {[i.key for i in found]}")
    expect(found[0].fields.summary == f"Python client {marker}", "search returns fields")
    step(f"search found {issue.key}")

    names = [t["name"] for t in jira.transitions(issue)]
    expect("In Progress" in names, f"transitions: {names}")
    jira.transition_issue(issue, "In Progress")
    expect(jira.issue(issue.key).fields.status.name == "In Progress", "status after transition")
    step("transitioned to In Progress")

    comment = jira.add_comment(issue, "Hello from Python")
    expect(comment.body == "Hello from Python", f"comment body {comment.body!r}")
    expect([c.body for c in jira.comments(issue)] == ["Hello from Python"], "comments list")
    step(f"commented {comment.id}")

    attachment = jira.add_attachment(issue=issue.key, attachment=io.BytesIO(b"attached bytes"), filename="hello.txt")
    expect(attachment.filename == "hello.txt" and attachment.size == 14, f"attachment {attachment.raw}")
    expect(attachment.get() == b"attached bytes", "attachment content through the redirect")
    reloaded = jira.issue(issue.key)
    expect(len(reloaded.fields.attachment) == 1, "attachment listed on the issue")
    step(f"attached {attachment.id}")

    deadline = time.time() + 10
    while time.time() < deadline and len(RECEIVED) < 2:
        time.sleep(0.05)
    events = []
    for headers, body in RECEIVED:
        lowered = {k.lower(): v for k, v in headers.items()}
        expected = "sha256=" + hmac.new(SECRET.encode(), body, hashlib.sha256).hexdigest()
        expect(hmac.compare_digest(lowered.get("x-hub-signature", ""), expected), "webhook signature")
        expect(lowered.get("x-atlassian-webhook-identifier"), "webhook identifier header")
        events.append(json.loads(body)["webhookEvent"])
    expect(sorted(events) == ["comment_created", "jira:issue_created"], f"webhooks received: {events}")
    step("webhooks received with valid signatures")

    receiver.shutdown()
    print("python-jira fidelity: ok", flush=True)


if __name__ == "__main__":
    main()

"""A site and its people: privacy policy and terms (published, accepted, re-accepted,
exported), announcements to consenting seekers with a working unsubscribe link, and
inquiries to the site's admins."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

from tests.conftest import code_in, database_name, error_code
from tests.support.accounts import CONFIRM, REGISTER

DOCUMENTS = "{ legalDocuments { id kind version title effectiveAt } }"
TO_ACCEPT = "{ documentsToAccept { id version } }"
PUBLISH = """mutation($v: String!, $at: DateTime) {
  publishLegalDocument(kind: PRIVACY, version: $v, title: "Privacy policy", body: "New rules.",
                       effectiveAt: $at) { id version effectiveAt }
}"""


async def token_of(api, email: str, tenant: str) -> str:
    """A signed-in token; the demo's staff (admin@) pass their second factor too."""
    if email.startswith("admin@"):
        return (await api.staff_sign_in(email, tenant))["accessToken"]
    return (await api.sign_in(email, tenant))["accessToken"]


async def test_registration_records_the_documents_the_seeker_accepted(api, outbox):
    documents = (await api.data(DOCUMENTS, tenant="community"))["legalDocuments"]
    assert sorted(d["kind"] for d in documents) == ["PRIVACY", "TERMS"]
    seeker = {"email": "new@example.org", "password": "a-long-passphrase-42", "fullName": "N S"}
    refused = await api.graphql(
        REGISTER,
        {"input": seeker | {"acceptedDocumentIds": [documents[0]["id"]]}},
        tenant="community",
    )
    assert error_code(refused) == "BAD_USER_INPUT"
    assert refused["errors"][0]["extensions"]["field"] == "acceptedDocumentIds"
    assert refused["errors"][0]["extensions"]["documents"] == [documents[1]["id"]]
    await api.data(
        REGISTER,
        {"input": seeker | {"acceptedDocumentIds": [d["id"] for d in documents]}},
        tenant="community",
    )
    [mail] = await outbox("new@example.org", "CONFIRM_ADDRESS")
    confirmed = await api.data(CONFIRM, {"t": code_in(mail["body"])}, tenant="community")
    token = confirmed["confirmRegistration"]["accessToken"]
    assert (await api.data(TO_ACCEPT, tenant="community", token=token))["documentsToAccept"] == []
    exported = (await api.data("{ exportMyData }", tenant="community", token=token))["exportMyData"]
    assert sorted(
        (a["site"], a["document"], a["version"]) for a in exported["accepted_documents"]
    ) == [("community", "PRIVACY", "2026-11-01"), ("community", "TERMS", "2026-11-01")]


async def test_a_new_version_in_force_is_put_to_signed_in_seekers_and_their_acceptance_kept(api):
    admin = await token_of(api, "admin@jobboard.test", "jobboard")
    seeker = await token_of(api, "seeker2@jobboard.test", "jobboard")
    assert (await api.data(TO_ACCEPT, tenant="jobboard", token=seeker))["documentsToAccept"] == []

    backdated = (datetime.now(UTC) - timedelta(days=1)).isoformat()
    refused = await api.graphql(
        PUBLISH, {"v": "old", "at": backdated}, tenant="jobboard", token=admin
    )
    assert error_code(refused) == "BAD_USER_INPUT"
    future = (datetime.now(UTC) + timedelta(days=30)).isoformat()
    await api.data(PUBLISH, {"v": "2027-01", "at": future}, tenant="jobboard", token=admin)
    in_force = (await api.data(DOCUMENTS, tenant="jobboard"))["legalDocuments"]
    assert {d["version"] for d in in_force} == {"2026-11-01"}  # the future one waits
    assert (await api.data(TO_ACCEPT, tenant="jobboard", token=seeker))["documentsToAccept"] == []
    versions = await api.data(
        "{ legalDocumentVersions(kind: PRIVACY) { version } }", tenant="jobboard"
    )
    assert [v["version"] for v in versions["legalDocumentVersions"]] == ["2027-01", "2026-11-01"]

    published = await api.data(PUBLISH, {"v": "2026-12"}, tenant="jobboard", token=admin)
    new_id = published["publishLegalDocument"]["id"]
    asked = (await api.data(TO_ACCEPT, tenant="jobboard", token=seeker))["documentsToAccept"]
    assert asked == [{"id": new_id, "version": "2026-12"}]
    await api.data(
        "mutation($ids: [ID!]!) { acceptLegalDocuments(ids: $ids) { version } }",
        {"ids": [new_id]},
        tenant="jobboard",
        token=seeker,
    )
    assert (await api.data(TO_ACCEPT, tenant="jobboard", token=seeker))["documentsToAccept"] == []
    exported = (await api.data("{ exportMyData }", tenant="jobboard", token=seeker))["exportMyData"]
    assert ("PRIVACY", "2026-12") in {
        (a["document"], a["version"]) for a in exported["accepted_documents"]
    }
    seeker_publishes = await api.graphql(PUBLISH, {"v": "x"}, tenant="jobboard", token=seeker)
    assert error_code(seeker_publishes) == "FORBIDDEN"


INQUIRY = """mutation($s: String!, $b: String!, $r: String) {
  sendInquiry(subject: $s, body: $b, replyTo: $r) { id receivedAt }
}"""
INQUIRIES = """query($st: InquiryStatus) {
  inquiries(status: $st) { id subject status replyTo fromAccount resolution }
}"""


async def test_anyone_sends_an_inquiry_and_only_that_sites_admins_list_and_close_it(api):
    sent = await api.data(
        INQUIRY,
        {"s": "Account help", "b": "I cannot sign in.", "r": "me@example.org"},
        tenant="community",
    )
    inquiry_id = sent["sendInquiry"]["id"]
    too_long = await api.graphql(INQUIRY, {"s": "Long", "b": "x" * 5001}, tenant="community")
    assert error_code(too_long) == "BAD_USER_INPUT"
    assert too_long["errors"][0]["extensions"]["field"] == "body"

    admin = await token_of(api, "admin@community.test", "community")
    listed = (await api.data(INQUIRIES, tenant="community", token=admin))["inquiries"]
    assert [(i["id"], i["subject"], i["replyTo"], i["fromAccount"]) for i in listed] == [
        (inquiry_id, "Account help", "me@example.org", False)
    ]
    other_admin = await token_of(api, "admin@jobboard.test", "jobboard")
    assert (await api.data(INQUIRIES, tenant="jobboard", token=other_admin))["inquiries"] == []
    visitor = await api.graphql(INQUIRIES, tenant="community")
    assert error_code(visitor) == "UNAUTHENTICATED"

    closed = await api.data(
        'mutation($id: ID!) { closeInquiry(id: $id, resolution: "Reset link sent") { status } }',
        {"id": inquiry_id},
        tenant="community",
        token=admin,
    )
    assert closed["closeInquiry"]["status"] == "CLOSED"
    assert (await api.data(INQUIRIES, tenant="community", token=admin))["inquiries"] == []
    every = (await api.data(INQUIRIES, {"st": "CLOSED"}, tenant="community", token=admin))[
        "inquiries"
    ]
    assert every[0]["resolution"] == "Reset link sent"


async def test_inquiries_are_rate_limited_per_address(api):
    for number in range(5):
        await api.data(INQUIRY, {"s": f"Question {number}", "b": "Hello"}, tenant="jobboard")
    body = await api.graphql(INQUIRY, {"s": "One more", "b": "Hello"}, tenant="jobboard")
    assert error_code(body) == "RATE_LIMITED"
    assert body["errors"][0]["extensions"]["retryAfter"] > 0
    # The limit is per site: the same address may still write to another site.
    assert await api.data(INQUIRY, {"s": "Elsewhere", "b": "Hello"}, tenant="community")


ANNOUNCE = 'mutation { sendAnnouncement(subject: "New search", body: "Try the new search.") }'
CONSENTS = "{ myConsents { purpose granted } }"


async def test_an_announcement_reaches_consenting_seekers_and_its_link_unsubscribes(
    api, database, database_server
):
    seeker = await token_of(api, "seeker5@community.test", "community")
    await api.data(
        "mutation { setConsent(purpose: SITE_UPDATE_MAIL, granted: true) { granted } }",
        tenant="community",
        token=seeker,
    )
    admin = await token_of(api, "admin@community.test", "community")
    assert (await api.data(ANNOUNCE, tenant="community", token=admin))["sendAnnouncement"] == 1

    connection = await database_server.admin(database_name(database))
    try:
        mails = await connection.fetch(
            "SELECT recipient, subject, body FROM notifications WHERE kind = 'ANNOUNCEMENT'"
        )
    finally:
        await connection.close()
    assert [(m["recipient"], m["subject"]) for m in mails] == [
        ("seeker5@community.test", "[Nihon Community Jobs] New search")
    ]
    link = re.search(r"https://community\.localhost(/unsubscribe\?token=\S+)", mails[0]["body"])
    assert link, mails[0]["body"]
    host = {"Host": "community.localhost"}

    asked = await api.http.get(link[1], headers=host)
    assert asked.status_code == 200 and "Unsubscribe</button>" in asked.text
    consents = (await api.data(CONSENTS, tenant="community", token=seeker))["myConsents"]
    assert {"purpose": "SITE_UPDATE_MAIL", "granted": True} in consents  # a GET changes nothing

    forged = await api.http.post(link[1][:-3] + "abc", headers=host)
    assert forged.status_code == 400 and "not valid" in forged.text
    done = await api.http.post(link[1], headers=host)
    assert done.status_code == 200 and "no more e-mails" in done.text
    consents = (await api.data(CONSENTS, tenant="community", token=seeker))["myConsents"]
    assert {"purpose": "SITE_UPDATE_MAIL", "granted": False} in consents
    assert (await api.data(ANNOUNCE, tenant="community", token=admin))["sendAnnouncement"] == 0
    elsewhere = await api.http.post(link[1], headers={"Host": "jobboard.localhost"})
    assert elsewhere.status_code == 400


async def test_a_partner_site_is_governed_by_its_main_sites_documents_until_it_has_its_own(api):
    main = (await api.data(DOCUMENTS, tenant="jobboard"))["legalDocuments"]
    partner = (await api.data(DOCUMENTS, tenant="kansai-jobs"))["legalDocuments"]
    assert partner == main
    admin = await token_of(api, "admin@kansai-jobs.test", "kansai-jobs")
    own = await api.data(PUBLISH, {"v": "kansai-1"}, tenant="kansai-jobs", token=admin)
    partner = (await api.data(DOCUMENTS, tenant="kansai-jobs"))["legalDocuments"]
    by_kind = {d["kind"]: d["id"] for d in partner}
    assert by_kind["PRIVACY"] == own["publishLegalDocument"]["id"]
    assert by_kind["TERMS"] == next(d["id"] for d in main if d["kind"] == "TERMS")
    assert (await api.data(DOCUMENTS, tenant="jobboard"))["legalDocuments"] == main


async def test_a_seekers_inquiries_are_exported_and_deleted_with_the_account(api):
    seeker = await token_of(api, "seeker6@community.test", "community")
    await api.data(
        INQUIRY, {"s": "My data", "b": "Please call me."}, tenant="community", token=seeker
    )
    exported = (await api.data("{ exportMyData }", tenant="community", token=seeker))[
        "exportMyData"
    ]
    assert [(i["subject"], i["status"]) for i in exported["inquiries"]] == [("My data", "OPEN")]
    admin = await token_of(api, "admin@community.test", "community")
    listed = (await api.data(INQUIRIES, tenant="community", token=admin))["inquiries"]
    assert [i["fromAccount"] for i in listed] == [True]
    await api.data(
        'mutation { deleteMyAccount(password: "demo-password-2026") }',
        tenant="community",
        token=seeker,
    )
    assert (await api.data(INQUIRIES, tenant="community", token=admin))["inquiries"] == []

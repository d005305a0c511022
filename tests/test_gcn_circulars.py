"""GCN Circulars drafted from a result and sent exactly once, by e-mail (SMTP stand-in) and by the API (HTTP stand-in).

Failure matrix of ``specs/external-apis.md`` §7: F14 (API 500 after commit), F15 (subject rules checked
locally), F19 (credentials refused, no retry); plus e-mail's "never resent automatically" and the data terms.
"""

import contextlib
import json
import smtplib

import pytest
from rdflib import Literal, URIRef
from rdflib.namespace import RDFS

from skyweave.publishers import records as publications
from skyweave.publishers.gcn_circulars import GcnCircularPublisher
from skyweave.publishers.outcomes import MissingMetadata, OutcomeUnknown, UpstreamError
from skyweave.publishers.registry import make_publisher
from skyweave.publishers.terms import TermsForbid
from skyweave.standins.gcn import CircularsArchive, CircularsSMTP, make_circulars_app
from skyweave.standins.harness import StandIn

from .conftest import BASE
from .test_zenodo_metadata import add_run, add_workflow, edit, hess_records, new_store, ring_spec

SUBJECT = "GRB 250101A: H.E.S.S. ring analysis with skyweave"


@pytest.fixture(scope="module")
def spec(tmp_path_factory):
    return ring_spec(tmp_path_factory.mktemp("repo"))


def catalog(spec, tmp_path, context):
    store = new_store(hess_records())
    workflow = add_workflow(store, spec, tmp_path, "ring-v1", context=context)
    _, results = add_run(store, spec, workflow, tmp_path)
    return store, str(results["table"])


@pytest.fixture
def plain(spec, tmp_path):
    """A result whose workflow names no instrument: no data terms apply."""
    return catalog(spec, tmp_path, context=False)


@pytest.fixture
def hess(spec, tmp_path):
    """A result of a workflow on H.E.S.S. DL3 DR1 data, whose terms forbid new claims."""
    return catalog(spec, tmp_path, context=True)


@pytest.fixture
def archive():
    return CircularsArchive()


@pytest.fixture
def smtp(archive):
    with CircularsSMTP(archive) as server:
        yield server


@pytest.fixture
def api(archive):
    with StandIn(make_circulars_app(archive)) as server:
        yield server


def by_email(store, smtp, password="smtp-password", **kwargs):
    return GcnCircularPublisher(store, BASE, via="email", from_address="ada@example.org", smtp_host=smtp.host,
                                smtp_port=smtp.port, smtp_user="ada@example.org", smtp_password=password,
                                tls_context=smtp.client_context, **kwargs)


def by_api(store, api, token="submitter-token"):
    return GcnCircularPublisher(store, BASE, via="api", api_base_url=api.url, api_token=token,
                                sleep=lambda s: None, search_waits_s=(0.0, 0.0))


# -- drafting and rules ---------------------------------------------------------------------------

def test_draft_is_gcn_style_from_the_records_rdf(hess):
    store, result = hess
    prepared = GcnCircularPublisher(store, BASE).prepare(result, subject=SUBJECT)
    body = prepared.body
    assert len(body.splitlines()) < 60
    assert body.startswith("Jane van Doe, Josiah Carberry report:")  # the run's person, then the creators
    assert "We analysed Crab Nebula (RA, Dec = 83.6333, +22.0144 deg, J2000) in data of H.E.S.S." in body
    assert '"Ring around a position" (version 1.0)' in body
    assert "  radius = 0.5 deg\n" in body and "  mean_ra = 83.63\n" in body  # values with their units
    assert "2026-03-01T12:00:00" in body and "(UTC)" in body
    assert body.rstrip().endswith(result)


def test_draft_subject_starts_with_the_event_and_cites_earlier_circulars(plain, api):
    store, result = plain
    first = by_api(store, api).publish(result, subject=SUBJECT)
    picture = result.replace("-table", "-picture")  # another result of the same run, now about the event
    edit(store, picture, lambda g, iri: g.set((iri, RDFS.label, Literal("GRB 250101A ring picture"))))
    prepared = GcnCircularPublisher(store, BASE).prepare(picture)
    assert prepared.subject == "GRB 250101A: Ring around a position with skyweave"
    assert f"Following GRB 250101A, we analysed" in prepared.body
    assert f"Earlier circulars on this event: Jane van Doe et al., GCN Circ. {first.identifier}." in prepared.body


@pytest.mark.parametrize("subject, rule", [
    ("Re: GRB 250101A: ring", 're:'),
    ("Crab Nebula ring analysis", "names no event"),
    ("", "empty"),
])
def test_f15_subject_rules_checked_before_anything_is_sent(plain, api, subject, rule):
    store, result = plain
    with pytest.raises(MissingMetadata, match=rule):
        by_api(store, api).publish(result, subject=subject)
    assert publications.find(store, result, "gcn-circulars") is None  # nothing written
    assert api.requests_log() == []  # nothing sent


def test_the_body_must_keep_the_records_iri(plain, api):
    store, result = plain
    with pytest.raises(MissingMetadata, match="must keep the record's IRI"):
        by_api(store, api).publish(result, subject=SUBJECT, body="We saw nothing.")


# -- e-mail -----------------------------------------------------------------------------------------

def test_email_is_sent_once_with_starttls_and_login(plain, smtp, archive):
    store, result = plain
    publisher = by_email(store, smtp)
    sent = publisher.publish(result, subject=SUBJECT)
    assert sent.reused is False and "sent by e-mail" in sent.summary
    [message] = archive.messages
    assert message["tls"] and message["login"] == "ada@example.org"
    assert (message["from"], message["to"], message["subject"]) == ("ada@example.org",
                                                                    ["circulars@test.gcn.nasa.gov"], SUBJECT)
    assert message["body"].rstrip().endswith(result)
    assert archive.replies == [{"to": "ada@example.org", "subject": "GCN Circular Submission Successful: 40000"}]
    pub = publications.find(store, result, "gcn-circulars")
    assert pub.state == "sent" and pub.progress["subject"] == SUBJECT
    again = publisher.publish(result, subject=SUBJECT)
    assert again.reused and len(archive.messages) == 1  # never twice
    assert "smtp-password" not in store.get(URIRef(pub.iri)).serialize(format="nt")


def know_circular(store, tmp_path, number):
    """Store circular ``number`` as the listener does when it reads it on gcn.circulars."""
    from skyweave.alerts import Message
    from skyweave.alerts.intake import Intake

    circular = {"circularId": number, "subject": "GRB 241231B: Swift detection", "body": "...",
                "submitter": "Someone at Elsewhere <s@example.org>", "createdOn": 1735600000000}
    report = Intake(store, BASE, str(tmp_path / "alerts")).process([Message(json.dumps(circular).encode(),
                                                                             "gcn.circulars")])
    assert len(report.stored) == 1


def test_emailed_circular_gets_its_number_when_it_appears_in_the_archive(plain, smtp, api, archive, tmp_path):
    store, result = plain
    know_circular(store, tmp_path, 39999)  # the newest circular the catalog knows when the e-mail leaves
    publisher = GcnCircularPublisher(store, BASE, via="email", from_address="ada@example.org", smtp_host=smtp.host,
                                     smtp_port=smtp.port, smtp_user="ada@example.org", smtp_password="smtp-password",
                                     tls_context=smtp.client_context, api_base_url=api.url)
    assert publisher.publish(result, subject=SUBJECT).identifier == ""  # sent; GCN files it asynchronously
    archive.file("GRB 250102A: someone else's circular", "...", "Bob at Nowhere <bob@example.org>", "web")
    later = publisher.publish(result, subject=SUBJECT)  # reads the archive by number, sends nothing
    assert later.reused and later.identifier == "40000" and len(archive.messages) == 1
    assert publications.find(store, result, "gcn-circulars").state == "published"
    assert api.requests_log(method="POST") == []
    assert [r.path for r in api.requests_log(method="GET")] == ["/circulars/40000.json"]  # the documented read


def test_emailed_circular_not_in_the_archive_yet_is_looked_for_again_from_where_the_last_check_stopped(
        plain, smtp, api, archive, tmp_path):
    store, result = plain
    know_circular(store, tmp_path, 39999)
    archive.file("GRB 250102A: someone else's circular", "...", "Bob at Nowhere <bob@example.org>", "web")  # 40000
    lost = CircularsArchive(first_id=50000)  # GCN has not filed ours yet: it is not in the archive the API reads
    with CircularsSMTP(lost) as elsewhere:
        publisher = by_email(store, elsewhere, api_base_url=api.url)
        publisher.publish(result, subject=SUBJECT)
    assert publisher.publish(result, subject=SUBJECT).identifier == ""
    assert [r.path for r in api.requests_log(method="GET")] == ["/circulars/40000.json", "/circulars/40001.json"]
    assert publications.find(store, result, "gcn-circulars").progress["archive_next"] == 40001
    archive.file(SUBJECT, lost.circulars[50000]["body"], "Ada Lovelace at Skyweave <ada@example.org>", "email")
    assert publisher.publish(result, subject=SUBJECT).identifier == "40001"
    assert [r.path for r in api.requests_log(method="GET")][2:] == ["/circulars/40001.json"]


def test_an_emailed_circular_is_not_looked_for_by_number_when_the_catalog_knows_no_circular(plain, smtp, api):
    store, result = plain
    publisher = by_email(store, smtp, api_base_url=api.url)
    publisher.publish(result, subject=SUBJECT)
    assert publisher.publish(result, subject=SUBJECT).identifier == "" and api.requests_log() == []


def test_f19_refused_login_names_the_setting_and_a_later_attempt_sends_once(plain, smtp, archive):
    store, result = plain
    with pytest.raises(UpstreamError, match="SKYWEAVE_GCN_SMTP_PASSWORD") as caught:
        by_email(store, smtp, password="wrong").publish(result, subject=SUBJECT)
    assert "wrong" not in str(caught.value)
    assert archive.messages == [] and publications.find(store, result, "gcn-circulars").state == "failed"
    by_email(store, smtp).publish(result, subject=SUBJECT)
    assert len(archive.messages) == 1


def test_email_lost_after_handover_is_never_resent(plain, smtp, archive, monkeypatch):
    store, result = plain
    real = smtplib.SMTP.send_message

    def send_then_drop(self, *args, **kwargs):
        real(self, *args, **kwargs)
        raise smtplib.SMTPServerDisconnected("Connection unexpectedly closed")

    monkeypatch.setattr(smtplib.SMTP, "send_message", send_then_drop)
    with pytest.raises(OutcomeUnknown, match="not resent automatically"):
        by_email(store, smtp).publish(result, subject=SUBJECT)
    monkeypatch.setattr(smtplib.SMTP, "send_message", real)
    with pytest.raises(OutcomeUnknown, match="never resent automatically"):
        by_email(store, smtp).publish(result, subject=SUBJECT)
    assert len(archive.messages) == 1 and len(archive.circulars) == 1


# -- API --------------------------------------------------------------------------------------------

def test_api_post_gives_the_circular_number_once(plain, api, archive):
    store, result = plain
    publisher = by_api(store, api)
    first = publisher.publish(result, subject=SUBJECT)
    assert first.identifier == "40000" and first.url == f"{api.url}/circulars/40000"
    [post] = api.requests_log(method="POST", path="^/api/circulars$")
    assert post.headers["Authorization"] == "Bearer submitter-token"
    assert json.loads(post.body) == {"subject": SUBJECT, "body": publisher.prepare(result, subject=SUBJECT).body,
                                     "format": "text/plain"}
    assert "submitter-token" not in store.get(URIRef(first.publication)).serialize(format="nt")
    assert archive.circulars[40000]["submittedHow"] == "api" and archive.circulars[40000]["subject"] == SUBJECT
    again = publisher.publish(result, subject=SUBJECT)
    assert again.reused and again.identifier == "40000"
    assert len(api.requests_log(method="POST")) == 1
    rows = store.select("PREFIX prov: <http://www.w3.org/ns/prov#> PREFIX schema: <https://schema.org/> "
                        "PREFIX sw: <https://skyweave.org/ns#> SELECT ?n WHERE { ?p a sw:Publication ; "
                        "prov:used $r ; sw:service 'gcn-circulars' ; schema:identifier ?n }", r=URIRef(result))
    assert [str(r["n"]) for r in rows] == ["40000"]


def test_f14_api_500_after_commit_finds_the_circular_instead_of_posting_again(plain, api, archive):
    store, result = plain
    api.add_faults([{"method": "POST", "path": "^/api/circulars$", "action": "after_effect", "status": 500,
                     "times": 1}])
    outcome = by_api(store, api).publish(result, subject=SUBJECT)
    assert outcome.identifier == "40000" and len(archive.circulars) == 1
    assert len(api.requests_log(method="POST")) == 1
    steps = publications.get(store, outcome.publication).progress["steps"]
    assert any("outcome unknown" in s for s in steps)


def test_resumed_api_attempt_reads_the_archive_before_posting(plain, api, archive):
    store, result = plain
    api.add_faults([{"method": "POST", "path": "^/api/circulars$", "action": "after_effect", "status": 500,
                     "times": 1},
                    {"method": "GET", "path": "^/circulars$", "action": "status", "status": 500, "times": None}])
    with pytest.raises(UpstreamError):
        by_api(store, api).publish(result, subject=SUBJECT)
    assert publications.find(store, result, "gcn-circulars").state == "failed"
    api.clear_faults()
    outcome = by_api(store, api).publish(result, subject=SUBJECT)
    assert outcome.identifier == "40000" and len(archive.circulars) == 1
    assert len(api.requests_log(method="POST")) == 1


@pytest.mark.parametrize("token", ["not-submitter-token", "wrong-scope-token", ""])
def test_f19_api_refusals_are_not_retried_and_name_the_token(plain, api, token):
    store, result = plain
    with pytest.raises(UpstreamError, match="SKYWEAVE_GCN_API_TOKEN") as caught:
        by_api(store, api, token=token).publish(result, subject=SUBJECT)
    assert caught.value.status == 403
    assert len(api.requests_log(method="POST")) == 1


# -- data terms, settings -------------------------------------------------------------------------

def test_data_terms_refuse_by_default_and_a_setting_allows(hess, api, archive):
    store, result = hess
    config = {"BASE_IRI": BASE, "GCN_CIRCULARS_VIA": "api", "GCN_API_BASE_URL": api.url,
              "GCN_API_TOKEN": "submitter-token"}
    with pytest.raises(TermsForbid, match="H.E.S.S. DL3 public test data release 1") as caught:
        make_publisher("gcn-circulars", config, store).publish(result, subject=SUBJECT)
    assert "no scientific publications" in str(caught.value) and "DATA_TERMS_ALLOW" in str(caught.value)
    assert publications.find(store, result, "gcn-circulars") is None and api.requests_log() == []
    allowed = make_publisher("gcn-circulars", {**config, "DATA_TERMS_ALLOW": ["hess-dl3-dr1"]}, store)
    assert allowed.publish(result, subject=SUBJECT).identifier == "40000"


def test_zenodo_is_refused_by_the_terms_too(hess):
    store, result = hess
    config = {"BASE_IRI": BASE, "ZENODO_BASE_URL": "http://127.0.0.1:9/api", "ZENODO_TOKEN": "t", "DATA_DIR": "."}
    with pytest.raises(TermsForbid, match="Zenodo"):
        make_publisher("zenodo", config, store).terms.check(result, "Zenodo")


def test_missing_settings_say_which(plain):
    from skyweave.catalog.exceptions import NotConfigured

    with pytest.raises(NotConfigured, match="SKYWEAVE_GCN_SMTP_HOST"):
        make_publisher("gcn-circulars", {"BASE_IRI": BASE}, plain[0])
    with pytest.raises(NotConfigured, match="SKYWEAVE_GCN_API_TOKEN"):
        make_publisher("gcn-circulars", {"BASE_IRI": BASE}, plain[0], via="api")


# -- pages and CLI ----------------------------------------------------------------------------------

@pytest.fixture
def web(spec, tmp_path, api):
    from .conftest import make_app

    app = make_app(hess_records(), DATA_DIR=str(tmp_path / "data"), GCN_CIRCULARS_VIA="api",
                   GCN_API_BASE_URL=api.url, GCN_API_TOKEN="submitter-token")
    store = app.extensions["store"]
    workflow = add_workflow(store, spec, app.config["DATA_DIR"], "ring-v1")
    _, results = add_run(store, spec, workflow, app.config["DATA_DIR"])
    return app, str(results["table"])[len(BASE) - 1:]


def test_page_button_preview_with_terms_then_confirm_sends_once(web, api, archive):
    from bs4 import BeautifulSoup

    app, path = web
    client = app.test_client()
    page = BeautifulSoup(client.get(path).data, "html.parser")
    link = page.select_one('a[href$="/publish/gcn-circulars"]')
    assert link is not None and link.text == "Draft GCN Circular"
    preview = client.get(link["href"])
    soup = BeautifulSoup(preview.data, "html.parser")
    assert preview.status_code == 422  # the drafted subject names no event: GCN would refuse it
    assert "names no event" in soup.text and "no scientific publications may be derived" in soup.text
    body = soup.select_one("#edit-body").text
    assert body.rstrip().endswith(BASE.rstrip("/") + path) and not api.requests_log()
    refused = client.post(link["href"], data={"api_token": "publisher-token", "subject": SUBJECT, "body": body},
                          headers={"Accept": "application/json"})
    assert refused.status_code == 403 and "DATA_TERMS_ALLOW" in refused.json["detail"] and not api.requests_log()
    app.config["DATA_TERMS_ALLOW"] = ["hess-dl3-dr1"]
    denied = client.post(link["href"], data={"api_token": "editor-token", "subject": SUBJECT, "body": body})
    assert denied.status_code == 403 and not api.requests_log()
    sent = client.post(link["href"], data={"api_token": "publisher-token", "subject": SUBJECT, "body": body})
    assert sent.status_code == 303 and archive.circulars[40000]["body"] == body.replace("\r\n", "\n")
    page = BeautifulSoup(client.get(path).data, "html.parser")
    outcome = page.select_one("#publication-outcomes a")
    assert outcome.text == "40000" and outcome["href"] == f"{api.url}/circulars/40000"
    assert page.select_one('a[href$="/publish/gcn-circulars"]') is None
    again = client.post(link["href"], data={"api_token": "publisher-token", "subject": SUBJECT, "body": body},
                        headers={"Accept": "application/json"})
    assert again.json["reused"] and len(api.requests_log(method="POST")) == 1


def test_cli_report_circular_dry_run_prints_exactly_what_is_sent(web, api, archive, tmp_path, monkeypatch):
    from click.testing import CliRunner

    from skyweave.catalog import cli as cli_module

    app, path = web
    app.config["DATA_TERMS_ALLOW"] = ["hess-dl3-dr1"]

    monkeypatch.setattr(cli_module, "opened_app", lambda: contextlib.nullcontext(app))
    runner = CliRunner()
    dry = runner.invoke(cli_module.cli, ["report", "circular", path, "--via", "api", "--subject", SUBJECT,
                                         "--dry-run"], catch_exceptions=False)
    assert dry.exit_code == 0, dry.output
    assert dry.stdout.startswith(f"Subject: {SUBJECT}\n\nJane van Doe, Josiah Carberry report:")
    assert not api.requests_log()
    (tmp_path / "body.txt").write_text(dry.stdout.split("\n\n", 1)[1].split("\n{", 1)[0])
    live = runner.invoke(cli_module.cli, ["report", "circular", path, "--via", "api", "--subject", SUBJECT,
                                          "--body-file", str(tmp_path / "body.txt")], catch_exceptions=False)
    assert live.exit_code == 0, live.output
    assert live.stdout.split()[0] == "40000"
    assert archive.circulars[40000]["body"].rstrip() == (tmp_path / "body.txt").read_text().rstrip()
    bad = runner.invoke(cli_module.cli, ["report", "telegram", path])
    assert bad.exit_code == 2 and "circular" in bad.output

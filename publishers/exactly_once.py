"""The exactly-once template every publishing channel follows (Zenodo, WorkflowHub, GCN, TNS, ...).

None of the outside services offers an idempotency key, so a channel never learns from the service
alone whether a request that timed out took effect. `ExactlyOnce.publish` therefore runs every channel
through the same steps (``specs/external-apis.md`` §0 rule 4):

1. If the record's latest publication on this service is finished (``published``, or ``sent`` for
   fire-and-forget e-mail), return it: nothing is sent.
2. Check the terms of the data the record was derived from (`publishers.terms`): a release whose terms
   forbid new claims refuses the publication (`~publishers.terms.TermsForbid`) unless a setting allows it,
   whatever else the record lacks.
3. `prepare` the payload (pure, no remote call): a record that lacks something raises
   `~publishers.outcomes.MissingMetadata` before anything is written.
4. Write the publication record (``sw:Publication``, state ``pending``) *before* the first remote call.
5. On a resumed attempt (an earlier one left a record that is not finished), `recover` re-reads the remote
   state first (the draft by its marker, the workflow by its id, the circular in the archive, the TNS
   object by its internal name) and `send` continues from what it found instead of starting over.
6. `send` does the remote steps, recording each one with `Attempt.step`; any failure marks the record
   ``failed`` with the service's message, and publishing again resumes from it.
7. `finish` records the identifier (``published``); `write_back` puts it on the published record.

A channel subclasses `ExactlyOnce` and fills in the hooks; the views and the CLI only ever call
``prepare``, ``preview`` and ``publish`` (through `publishers.registry.PUBLISHERS`).
"""

import threading
from dataclasses import dataclass, field

from rdflib import URIRef

from . import records

__all__ = ["Attempt", "ExactlyOnce"]

_LOCKS, _LOCKS_LOCK = {}, threading.Lock()


def _lock_for(key):
    with _LOCKS_LOCK:
        return _LOCKS.setdefault(key, threading.Lock())


@dataclass
class Attempt:
    """One attempt at publishing a record: its publication record and what was prepared.

    Attributes
    ----------
    channel : ExactlyOnce
        The channel doing the publishing.
    pub_iri : rdflib.URIRef
        The ``sw:Publication`` record, written before the first remote call.
    iri : str
        The record being published.
    prepared : object
        What `ExactlyOnce.prepare` returned.
    fresh : bool
        True when this attempt started the publication record (nothing was sent before).
    calls : list of dict
        Remote calls made since the last step (``{"method", "url", "status"}``), written with the next step.
    """

    channel: "ExactlyOnce"
    pub_iri: URIRef
    iri: str
    prepared: object
    fresh: bool
    calls: list = field(default_factory=list)

    @property
    def publication(self):
        """The publication record as it is in the store now (`publishers.records.Publication`)."""
        return records.get(self.channel.store, self.pub_iri)

    def step(self, state=None, **kwargs):
        """Record a step: a new state and/or progress, with the calls made since the last step.

        Parameters
        ----------
        state : str or None
            New ``sw:state`` (`publishers.records.STATES`), or None to keep it.
        **kwargs
            As `publishers.records.update` (``step="draft_created id=1"``, ``identifier=...``, progress keys).

        Returns
        -------
        publishers.records.Publication
        """
        calls = [*self.channel.take_calls(), *self.calls]
        self.calls.clear()
        return records.update(self.channel.store, self.pub_iri, state, calls=calls, **kwargs)


class ExactlyOnce:
    """Base class of the publishing channels: the template method `publish` and the hooks it calls.

    Subclasses set `service`, `title`, `collections` and the attributes ``store`` and ``base``, and
    implement `prepare`, `preview`, `send` and `finish` (and `recover` when a resumed attempt can find
    what an earlier one did).

    Attributes
    ----------
    service : str
        Lower-case service name, the ``sw:service`` of its publication records.
    title : str
        Display name (``"Zenodo"``).
    collections : tuple of str
        Record collections it publishes (``("workflows", "results")``).
    action : str
        Label of the confirm button.
    button : str
        Label of the record page's button that opens the preview.
    mints_doi : bool
        Whether publishing gives the record its DOI (the page hides the button once it has one).
    finished_states : tuple of str
        States of a publication that must never be sent again.
    editable : tuple of str
        Fields of the draft the user may edit before sending (keyword arguments of `prepare`).
    options : tuple of str
        Keyword arguments its ``from_settings`` takes besides the settings (``via``, ``topic``).
    terms : publishers.terms.TermsCheck or None
        The data-terms check run before any publication record is written; None checks nothing.
    """

    service = "channel"
    title = "Channel"
    collections = ("results",)
    action = "Publish"
    button = "Publish"
    mints_doi = False
    finished_states = ("published",)
    editable = ()
    options = ()
    terms = None

    # -- the template -----------------------------------------------------------------------------

    def publish(self, iri, **options):
        """Publish record ``iri`` exactly once (see the module docstring for the steps).

        Parameters
        ----------
        iri : str
            The record to publish.
        **options
            Passed to `prepare` (e.g. a circular's edited ``subject`` and ``body``).

        Returns
        -------
        publishers.outcomes.PublishResult
            ``reused`` is True when the record had been published before (then nothing is sent).

        Raises
        ------
        publishers.outcomes.MissingMetadata
            Before any remote call and before any publication record is written.
        publishers.terms.TermsForbid
            The terms of the data the record derives from forbid it; nothing is written or sent.
        publishers.outcomes.UpstreamError
            The service refused or failed; the publication record is marked ``failed``.
        """
        iri = str(iri)
        with _lock_for((self.service, iri)):
            pub = records.find(self.store, iri, self.service)
            if pub is not None and pub.state in self.finished_states:
                pub = self.refresh(pub)
                self.write_back(iri, pub)
                return self.result(pub, reused=True)
            if self.terms is not None:  # first: a refusal by the data's terms stands whatever else is missing
                self.terms.check(iri, self.title)
            prepared = self.prepare(iri, **options)
            try:
                pub_iri = records.start(self.store, self.base, self.service, iri) if pub is None else URIRef(pub.iri)
                attempt = Attempt(self, pub_iri, iri, prepared, fresh=pub is None)
                self.take_calls()
                try:
                    remote = None if attempt.fresh else self.recover(attempt)
                    outcome = self.send(attempt, remote)
                except Exception as exc:
                    attempt.step("failed", error=str(exc)[:1000], step=f"failed: {type(exc).__name__}")
                    raise
                # Done remotely: from here on a failure (of the store) must not mark the publication failed.
                pub = self.finish(attempt, outcome)
                self.write_back(iri, pub)
                return self.result(pub)
            finally:
                self.cleanup(prepared)

    # -- hooks ------------------------------------------------------------------------------------

    def prepare(self, iri):
        """Build the payload for record ``iri`` without any remote call (raise `MissingMetadata` if it cannot)."""
        raise NotImplementedError

    def preview(self, prepared):
        """Return ``{"metadata": <JSON-able>, "files": [{"name", "size", "md5"}], "text": str or None}``."""
        raise NotImplementedError

    def recover(self, attempt):
        """Re-read the remote state an earlier attempt may have left; return it, or None if there is none."""
        return None

    def send(self, attempt, remote):
        """Do the remote steps, continuing from ``remote`` (what `recover` found); return the outcome."""
        raise NotImplementedError

    def finish(self, attempt, outcome):
        """Record the outcome (``attempt.step("published", identifier=...)``); return the publication."""
        raise NotImplementedError

    def refresh(self, pub):
        """Complete a finished publication from the service, read-only (default: as it is); return it."""
        return pub

    def write_back(self, iri, pub):
        """Put the identifier on the published record (default: nothing)."""

    def result(self, pub, reused=False):
        """Return the `~publishers.outcomes.PublishResult` of a finished publication."""
        from .outcomes import PublishResult

        verb = "was" if reused else "is"
        return PublishResult(self.service, pub.identifier, pub.url or pub.identifier or "",
                             f"<{pub.target}> {verb} sent to {self.title}"
                             + (f" as {pub.identifier}." if pub.identifier else "."),
                             publication=pub.iri, reused=reused)

    def take_calls(self):
        """Return and forget the remote calls logged outside `Attempt.calls` (default: none)."""
        return []

    def cleanup(self, prepared):
        """Remove temporary files of ``prepared`` (default: nothing)."""

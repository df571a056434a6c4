"""Ranking on real text: the nova, manila and designate specs trees of ../shared/corpus, imported with the
specs-tree importer into a scratch database and indexed once per session through ``indexer.reindex``.

Each query comes with the spec (or the section of a spec) that must be among the first three hits. The
answers were checked by reading the specs: the title, the introduction and, for sections, the section
itself (e.g. ephemeral-storage-encryption's "Upgrade impact" is about mixed N-1/N computes during a rolling
upgrade; cross-cell-resize's "Revert flow" is the cross-cell revert).
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy.orm import Session, sessionmaker

from portal.db import migrations
from portal.db.engine import make_engine, make_session_factory
from portal.importers.specs_tree import import_tree
from portal.search import SearchQuery, indexer
from portal.search.whoosh_backend import WhooshBackend
from portal.specs.service import add_project
from tests.conftest import CORPUS, TEST_DATABASE_URL, corpus_or_skip

pytestmark = pytest.mark.slow

PROJECTS = ("nova", "manila", "designate")

# (words, filters, project, spec name, heading the hit must have, or None for any hit of that spec)
QUERIES: list[tuple[str, dict[str, str], str, str, str | None]] = [
    ("graceful shutdown", {}, "nova", "nova-services-graceful-shutdown", None),
    ("spice compression", {}, "nova", "nova-support-spice-compression-algorithm", None),
    ("ephemeral storage encryption", {}, "nova", "ephemeral-storage-encryption", None),
    ("deferred deletion", {}, "manila", "deferred-deletion", None),
    ("lustre driver", {}, "manila", "lustre-driver", None),
    ("baremetal driver deprecated", {}, "nova", "deprecate-baremetal-driver", None),
    ("upgrade from baremetal to ironic", {}, "nova", "deprecate-baremetal-driver", None),
    ("unified limits", {}, "nova", "unified-limits-nova", None),
    ("smartnic", {}, "nova", "sriov-smartnic-support", None),
    ("force live migration after timeout", {}, "nova", "live-migration-force-after-timeout", None),
    ("remove v1 api", {}, "manila", "remove-v1", None),
    ("qos types", {}, "manila", "qos-types", None),
    ("revert share to snapshot", {}, "manila", "manila-share-revert-to-snapshot", None),
    ("mountable snapshots", {}, "manila", "manila-mountable-snapshots", None),
    ("catalog zones", {}, "designate", "catalog-zones", None),
    ("monitor health of nova binaries", {}, "nova", "per-process-healthchecks", None),
    ("purge soft-deleted rows from the database", {}, "manila", "clean-deleted-row-in-db", None),
    ("move a zone to another project", {}, "designate", "zone-migration-between-tenants", None),
    ("guest vcpu topology", {}, "nova", "virt-driver-vcpu-topology", None),
    ("performance monitoring unit", {}, "nova", "libvirt-pmu-configuration", None),
    ("ipv6 access rules", {}, "manila", "support-ipv6-access", None),
    ("virtiofs", {}, "nova", "libvirt-virtiofs-attach-manila-shares", None),
    ("stateless firmware", {}, "nova", "libvirt-stateless-firmware", None),
    ("image properties in server show", {}, "nova", "image-properties-in-server-show", None),
    ("healthchecks", {"project": "manila"}, "manila", "per-process-healthchecks", None),
    # the exact section
    ("ephemeral encryption upgrade impact", {}, "nova", "ephemeral-storage-encryption", "Upgrade impact"),
    ("cross cell resize revert", {}, "nova", "cross-cell-resize", "Revert flow"),
    ("blacklist", {}, "designate", "v2-api-bindings", "Manager - Blacklists"),
    ('"rolling upgrade" ephemeral', {}, "nova", "ephemeral-storage-encryption", "Upgrade impact"),
]


@pytest.fixture(scope="session")
def corpus_index(tmp_path_factory: pytest.TempPathFactory) -> Iterator[WhooshBackend]:
    corpus_or_skip()
    if TEST_DATABASE_URL:
        pytest.skip("ranking does not depend on the database; it runs in the SQLite pass of the suite")
    folder = tmp_path_factory.mktemp("ranking")
    url = f"sqlite:///{folder / 'corpus.db'}"
    migrations.upgrade(url)
    engine = make_engine(url)
    factory: sessionmaker[Session] = make_session_factory(engine)
    for name in PROJECTS:
        tree = CORPUS.parent / f"{name}-specs"
        with factory() as session:
            project = add_project(session, None, name, gerrit_repo=f"openstack/{name}-specs")
            report = import_tree(session, None, project, Path(tree))
            session.commit()
        assert report.created > 20, f"{name}: {report}"
    backend = WhooshBackend(folder / "search")
    assert indexer.reindex(factory, backend) > 3000
    yield backend
    engine.dispose()


@pytest.mark.parametrize(("words", "filters", "project", "spec", "heading"), QUERIES,
                         ids=[q[0] for q in QUERIES])
def test_the_right_answer_is_in_the_top_three(corpus_index: WhooshBackend, words: str, filters: dict[str, str],
                                              project: str, spec: str, heading: str | None) -> None:
    hits = corpus_index.search(SearchQuery(words=words, **filters)).hits[:3]  # type: ignore[arg-type]
    shown = [(h.project, h.spec, h.heading) for h in hits]
    assert any(h.project == project and h.spec == spec and (heading is None or heading in h.heading)
               for h in hits), f"{words!r}: top 3 were {shown}"


def test_the_spec_ranks_above_its_own_sections_for_its_title(corpus_index: WhooshBackend) -> None:
    hits = corpus_index.search(SearchQuery(words="unified limits")).hits
    assert (hits[0].kind, hits[0].spec) == ("spec", "unified-limits-nova")


def test_a_misspelling_is_corrected_from_the_corpus(corpus_index: WhooshBackend) -> None:
    assert corpus_index.search(SearchQuery(words="graceful shutdwn")).did_you_mean == "graceful shutdown"
    assert corpus_index.search(SearchQuery(words="encripted shares")).did_you_mean == "encrypted shares"


def test_related_specs_find_the_earlier_attempt(corpus_index: WhooshBackend) -> None:
    """nova has ephemeral-storage-encryption twice (zed and 2024.2 are one spec) and per-process
    healthchecks in nova and manila: the same idea in another project must be related."""
    hits = corpus_index.search(SearchQuery(words="healthchecks", project="nova", kind="spec")).hits
    related = corpus_index.related(hits[0].doc_id)
    assert len(related) == 5
    assert ("manila", "per-process-healthchecks") in [(h.project, h.spec) for h in related]

"""The full record (cells, checks, metadata, sections, attachments, warnings; not the free text) of every
document the repository keeps is what tests/fixtures/golden/records.json says: a speed-up or a refactor
cannot silently change a single value. A change meant to alter records regenerates the file
(`python -m tests.extraction.golden`) and its diff shows what changed."""

import json

import pytest

from tests.extraction.golden import GOLDEN, corpus, record

EXPECTED = json.loads(GOLDEN.read_text(encoding="utf-8"))
DOCUMENTS = {name: (body, url, headers) for name, body, url, headers in corpus()}


def test_golden_file_covers_every_document():
    assert sorted(EXPECTED) == sorted(DOCUMENTS)


@pytest.mark.parametrize("name", sorted(DOCUMENTS))
def test_record_is_unchanged(name):
    body, url, headers = DOCUMENTS[name]
    assert record(body, url, headers) == EXPECTED[name]

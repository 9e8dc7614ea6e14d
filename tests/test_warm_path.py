"""The warm paths (an edit, nothing changed, a CI run) do only the work their change calls for."""
from __future__ import annotations

from postil.speed.digests import Digests


class CountingDigests(Digests):
    """Digests that count the values they had to pickle."""

    def __init__(self) -> None:
        super().__init__()
        self.pickled = 0

    def _pickled(self, value: object) -> str | None:
        self.pickled += 1
        return super()._pickled(value)


def replies_page_contexts(authors: tuple) -> list[dict]:
    """Contexts shaped like the pages of /replies/: each its own entries, all one list of authors."""
    return [{"authors": authors, "total": 500, "entries": tuple(range(number * 50, number * 50 + 50))} for number in range(10)]


def test_a_value_every_page_shares_is_digested_once_not_once_per_page():
    authors = tuple((f"reader-{number}", f"Reader {number}", number) for number in range(2000))
    digests = CountingDigests()
    found = [digests.of_context(context) for context in replies_page_contexts(authors)]
    assert digests.pickled == 1 + 10  # the authors once, then each page's own entries
    assert len(set(found)) == 10


def test_a_context_digest_follows_the_values_not_the_objects():
    authors = tuple((f"reader-{number}", f"Reader {number}", number) for number in range(3))
    before = Digests().of_context({"authors": authors, "total": 3})
    assert Digests().of_context({"authors": tuple(list(authors)), "total": 3}) == before
    assert Digests().of_context({"authors": authors[:2], "total": 3}) != before
    assert Digests().of_context({"authors": authors, "total": 4}) != before
    assert Digests().of_context({"writers": authors, "total": 3}) != before

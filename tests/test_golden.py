"""The example site's whole built tree equals the golden copy in tests/golden/example/."""
from __future__ import annotations

from golden import GOLDEN, UPDATE_COMMAND, differences


def test_the_example_site_builds_to_the_golden_site_file_by_file(example_site):
    found = differences(example_site, GOLDEN)
    assert not found, (
        f"{len(found)} difference(s) from the golden site. If the change is meant, run `{UPDATE_COMMAND}` "
        "and review the diff of tests/golden/ before committing it.\n\n" + "\n\n".join(found)
    )

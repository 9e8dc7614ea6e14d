"""A build into a folder pauses Python's cycle collector while it sets up, and always
wakes it again: when it renders, when it finds nothing to do, and when it fails."""
from __future__ import annotations

import gc


def test_the_collector_rests_while_essays_are_parsed_and_wakes_for_rendering(site, monkeypatch):
    import postil.speed.parse_cache as parse_cache
    from postil.render import pages

    seen = {}
    parse, render = parse_cache.parse_essay, pages.render_page

    def parsing(*args, **kwargs):
        seen.setdefault("parsing", gc.isenabled())
        return parse(*args, **kwargs)

    def rendering(*args, **kwargs):
        seen.setdefault("rendering", gc.isenabled())
        return render(*args, **kwargs)

    monkeypatch.setattr(parse_cache, "parse_essay", parsing)
    monkeypatch.setattr(pages, "render_page", rendering)
    site.essay("a.md", body="Some *text*.\n")
    assert site.build() == 0
    assert seen == {"parsing": False, "rendering": True}
    assert gc.isenabled()


def test_the_collector_is_awake_after_a_build_with_nothing_to_do_and_after_a_failed_one(site):
    site.essay("a.md")
    assert site.build() == 0
    assert site.build() == 0  # nothing changed
    assert gc.isenabled()
    site.write("content/b.md", "no front matter\n")
    assert site.build() == 1
    assert gc.isenabled()

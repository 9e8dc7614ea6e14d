"""Parse results share the values they repeat, however they reach the build's process.

At 5,000 essays and 12,000 replies, every reply holding its own copy of the same front
matter's key lines, of its bundle's folder and page path, cost 9 MB in the main process
and in every worker it forks (issue 17: at most 150 MB in each)."""
from __future__ import annotations

from replies_helpers import essay_with_replies, write_reply
from selectolax.lexbor import LexborHTMLParser as HTMLParser

from postil.pipeline import Builder, BuildOptions
from postil.speed.workers import WARM_ITEMS


def replies_and_essays(site, replies: int) -> None:
    essay_with_replies(site, tags="[margins, glosses]")
    site.essay("other.md", title="Other", date="2026-02-01", tags="[margins, glosses]", body="Another essay.\n")
    for number in range(replies):
        write_reply(site, f"r{number:03}", f"Reply number {number}.", author="A Reader", date=f"2026-03-02T10:{number % 60:02}:00Z")


def built_site(site):
    """The model a build in a new Builder makes (from the parse cache, if there is one)."""
    result = Builder(site.root, BuildOptions(out_dir=site.root / "public", always_assemble=True)).build()
    assert result.site is not None
    return result.site


def assert_shared(model, replies: int, essays_unpickled: bool = True, parsed_here: frozenset[str] = frozenset()) -> None:
    """`parsed_here`: the ids of replies parsed in the build's own process, which share nothing."""
    assert len(model.replies) == replies
    shown = [reply for reply, _ in model.replies if reply.id not in parsed_here]
    first = shown[0]
    assert first.key_lines == {"author": 2, "date": 3}  # still the lines the front matter gave
    for reply in shown[1:]:
        assert reply.key_lines is first.key_lines
        assert reply.bundle_dir is first.bundle_dir and reply.page_path is first.page_path and reply.author is first.author
    if not essays_unpickled:  # two essays are parsed in the build's own process: nothing to share
        return
    essays = {essay.title: essay for essay in model.essays}
    assert essays["Talk"].tags == ("margins", "glosses")
    assert all(a is b for a, b in zip(essays["Talk"].tags, essays["Other"].tags))


def test_results_read_from_the_parse_cache_share_repeated_values(site):
    replies_and_essays(site, 5)
    assert site.build() == 0  # few files: parsed in this process, then saved to the cache
    assert_shared(built_site(site), 5)


def test_results_sent_back_by_parsing_workers_share_repeated_values(site):
    replies_and_essays(site, 60)  # enough for worker processes to parse them, but the first (see workers.WARM_ITEMS)
    assert_shared(built_site(site), 60, essays_unpickled=False, parsed_here=frozenset(f"r{number:03}" for number in range(WARM_ITEMS)))


def test_sections_first_words_stay_with_the_body_yet_transclusions_show_them(site):
    site.essay("target.md", title="Target", body="Intro.\n\n## Second part\n\nThe second part's own opening words.\n")
    site.essay("linker.md", title="Linker", date="2026-02-01", body="![[Target#Second part]]\n")
    assert site.build() == 0  # parsed, and kept in the parse cache
    model = built_site(site)  # from the parse cache, in a new Builder, as a new run would
    target = next(essay for essay in model.essays if essay.title == "Target")
    # Held for the whole build in the main process and every worker it forks, the model
    # does not carry them: at 5,000 essays they weighed 15 MB.
    assert not any("opening words" in repr(getattr(target, name)) for name in target.__slots__)
    page = HTMLParser((site.out / "linker/index.html").read_text(encoding="utf-8"))
    assert page.css_first(".transclusion-excerpt").text() == "The second part’s own opening words."


def test_a_build_into_a_folder_lets_each_page_context_go(site):
    """The contexts of pages only serve a next build in the same process (the dev server):
    a build into a folder does not hold them all until it ends."""
    replies_and_essays(site, 3)
    into_folder = Builder(site.root, BuildOptions(out_dir=site.root / "public"))
    in_memory = Builder(site.root, BuildOptions(out_dir=None))
    for builder in (into_folder, in_memory):
        builder.build()
    assert into_folder._kept is not None and in_memory._kept is not None
    assert into_folder._kept.renders._inputs == {}  # without their contexts, no page's inputs serve a later build
    assert in_memory._kept.renders._inputs
    assert all(inputs.context is not None for inputs in in_memory._kept.renders._inputs.values())

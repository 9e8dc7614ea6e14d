"""The command line: `postil build` (the default). The one place that catches PostilError.

Like git, postil acts on the site it is in: the nearest folder, here or above, whose
pyproject.toml has a [tool.postil] table. Paths typed on the command line are relative
to where postil was started (or to `-C DIR`), as a shell would take them.
"""
from __future__ import annotations

import argparse
import os
import shlex
import sys
from pathlib import Path

from .errors import PostilError, Problem, UsageError, describe

DEFAULT_OUT = "public"


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> None:  # argparse would exit 2 itself; keep one exit path
        raise UsageError(f"{message} (see '{self.prog} --help')")


def _parser() -> tuple[argparse.ArgumentParser, dict[str, argparse.ArgumentParser]]:
    parser = _Parser(prog="postil", description="Build a static site of annotated essays.")
    parser.add_argument("-C", "--directory", type=Path, default=Path("."), metavar="DIR",
                        help="run as if postil was started in DIR, as git -C and make -C do")
    parser.add_argument("--version", action="store_true", help="print the versions of postil and of the libraries it builds with")
    # Every command runs inside a site (found from where postil runs) unless it sets needs_site=False.
    parser.set_defaults(needs_site=True)
    commands = parser.add_subparsers(dest="command", parser_class=_Parser)

    build = commands.add_parser("build", help="build the site into a folder (the default command)")
    _add_output_options(build)
    build.add_argument("--strict", action="store_true", help="treat warnings as errors")
    build.set_defaults(run=_run_build)

    serve = commands.add_parser("serve", help="preview the site, rebuilding and reloading on every save")
    serve.add_argument("--host", default="127.0.0.1", help="address to listen on (default: 127.0.0.1, this machine only)")
    serve.add_argument("--port", type=int, default=8000, help="port to listen on; the next free one if taken (default: 8000)")
    serve.add_argument("--drafts", action=argparse.BooleanOptionalAction, default=True, help="show drafts, marked as such (default: yes)")
    serve.add_argument("--strict", action="store_true", help="treat warnings as errors")
    serve.set_defaults(run=_run_serve)

    importer = commands.add_parser("import", help="bring a discussion in as reply files: lesswrong, webmentions, staticman, email")
    formats = importer.add_subparsers(dest="format", parser_class=_Parser, required=True, metavar="FORMAT")
    lesswrong = formats.add_parser("lesswrong", help="a LessWrong, Alignment Forum or EA Forum thread")
    lesswrong.add_argument("source", metavar="SOURCE", help="a JSON file saved from the forum's GraphQL API, or the post's URL")
    lesswrong.add_argument("--to", type=Path, metavar="ESSAY", help="the essay to add the replies to (content/<essay>/)")
    lesswrong.add_argument("--takes", action="store_true", help="SOURCE is a quick-takes post: its author's top-level comments become takes, each with its thread")
    lesswrong.add_argument("--endpoint", metavar="URL", help="the GraphQL endpoint to ask (default: the post's site's /graphql)")
    webmentions = formats.add_parser("webmentions", help="a webmention.io JF2 feed: replies, mentions, likes, reposts")
    webmentions.add_argument("file", type=Path, help="the feed saved from webmention.io's API")
    staticman = formats.add_parser("staticman", help="Staticman comment files")
    staticman.add_argument("folder", type=Path, help="the folder of comment files (one post's, or one per post)")
    staticman.add_argument("--to", type=Path, metavar="ESSAY", help="the essay to add replies to (default: the one named like the post folder)")
    staticman.add_argument("--anonymous", default="Anonymous", metavar="NAME", help="the name of comments without one (default: Anonymous)")
    mail = formats.add_parser("email", help="replies sent by e-mail (an mbox file or a Maildir folder), as drafts")
    mail.add_argument("source", type=Path, metavar="SOURCE", help="an mbox file or a Maildir folder")
    mail.add_argument("--to", type=Path, metavar="ESSAY", help="the essay of the messages that name none (content/<essay>/)")
    mail.add_argument("--anonymous", default="Anonymous", metavar="NAME", help="the name of senders without one (default: Anonymous)")
    quartz = formats.add_parser("quartz", help="move in a Quartz or Obsidian content folder (makes a site here if there is none)")
    quartz.add_argument("folder", type=Path, help="Quartz's content folder (or an Obsidian vault)")
    quartz.add_argument("--to", type=Path, metavar="FOLDER", help="where in content/ the notes go (default: content/)")
    quartz.set_defaults(run=_run_import_quartz, needs_site=False)
    importer.set_defaults(run=_run_import)

    replies = commands.add_parser("replies", help="list the draft replies; 'replies publish ID...' publishes them",
                                  description="Without an ACTION, list the draft replies (those with 'draft: true').")
    replies.set_defaults(run=_run_replies, action=None)
    actions = replies.add_subparsers(dest="action", parser_class=_Parser, metavar="ACTION")
    publish = actions.add_parser("publish", help="publish draft replies: take out 'draft: true', fill in a missing date")
    publish.add_argument("ids", nargs="*", metavar="ID", help="a reply's id or its file, as 'postil replies' lists them")
    publish.add_argument("--all", action="store_true", help="publish every draft reply")

    new = commands.add_parser("new", help="start a draft essay, or a reply with --reply")
    new.add_argument("title", nargs="?", help="the essay's title (its file name is made from it)")
    new.add_argument("--tags", default="", help="comma-separated tags")
    new.add_argument("--bundle", action="store_true", help="make a folder content/<slug>/index.md for images and replies")
    new.add_argument("--reply-to", default="", metavar="PATH|URL", help="the essay or URL this essay answers")
    new.add_argument("--reply", metavar="ESSAY", help="write a reply to ESSAY (its file, folder or /site-path/) instead")
    new.add_argument("--take", action="store_true", help="write a quick take (the title is optional) in content/takes/")
    new.add_argument("--author", default="", help="the reply's author (with --reply)")
    new.add_argument("--parent", default="", metavar="ID", help="the id of the reply this one answers (with --reply)")
    new.set_defaults(run=_run_new)

    init = commands.add_parser("init", help="create a new site in a folder")
    init.add_argument("folder", type=Path)
    init.add_argument("--no-workflow", dest="workflow", action="store_false",
                      help="leave out .github/workflows/pages.yml, the GitHub Pages workflow")
    init.set_defaults(run=_run_init, needs_site=False)

    check = commands.add_parser("check", help="build, then check links, anchors, footnotes, quotes, ids and feeds")
    _add_output_options(check)
    check.add_argument("--external", action="store_true", help="also check links to other sites (cached for a day)")
    check.set_defaults(run=_run_check)
    return parser, commands.choices


def _run_import(args: argparse.Namespace) -> int:
    from .config import load_config
    from .commands.importers import summary

    config = load_config(args.site)
    if args.format == "lesswrong":
        from .commands.importers.essays import essay_at
        from .commands.importers.lesswrong import import_lesswrong

        source = args.source if "://" in args.source else str(args.here / args.source)
        if args.takes == (args.to is not None):
            raise UsageError("give --to ESSAY (a post's comments as its replies) or --takes (a quick-takes post), one of the two")
        if args.takes:
            from .commands.importers.lesswrong_takes import import_lesswrong_takes

            result = import_lesswrong_takes(args.site, source, config, args.endpoint)
        else:
            result = import_lesswrong(essay_at(args.site, args.to, config, args.here), source, config, args.endpoint)
    elif args.format == "webmentions":
        from .commands.importers.webmentions import import_webmentions

        result = import_webmentions(args.site, args.here / args.file, config)
    elif args.format == "email":
        from .commands.importers.email import import_email
        from .commands.importers.essays import essay_at

        to = essay_at(args.site, args.to, config, args.here) if args.to is not None else None
        result = import_email(args.site, args.here / args.source, config, to, args.anonymous)
    else:
        from .commands.importers.staticman import import_staticman

        to = args.here / args.to if args.to is not None else None
        result = import_staticman(args.site, args.here / args.folder, config, to, args.anonymous)
    out, err = summary(result)
    for line in err:
        print(line, file=sys.stderr)
    for line in out:
        print(line)
    return 1 if any(problem.severity == "error" for problem in result.problems) else 0


def _run_replies(args: argparse.Namespace) -> int:
    from .config import load_config
    from .commands.moderation import draft_replies, publish

    config = load_config(args.site)
    if args.action == "publish":
        if bool(args.ids) == args.all:
            raise UsageError("name the replies to publish (ID... as 'postil replies' lists them), or give --all")
        published = publish(args.site, config, args.ids, args.here, every=args.all)
        for draft in published:
            print(f"Published {_shown(args.site / draft.path, args.site)} ({draft.author} on {draft.essay_title})")
        print(f"Published {len(published)} repl{'y' if len(published) == 1 else 'ies'}; 'postil build' puts them on the site")
        return 0
    drafts = draft_replies(args.site, config)
    for draft in drafts:
        when = draft.date.astimezone(draft.date.tzinfo.utc).strftime("%Y-%m-%d %H:%M UTC") if draft.date else "no date yet"
        print(f"{_shown(args.site / draft.path, args.site)}\n  {draft.id} · {draft.author or '(no author)'} · {when} · on {draft.essay_title} (/{draft.essay_url.lstrip('/')})\n  {draft.first_words}")
    if drafts:
        print(f"{len(drafts)} draft repl{'y' if len(drafts) == 1 else 'ies'}: preview them with 'postil serve', publish with 'postil replies publish ID...' (or --all)")
    else:
        print("No draft replies.")
    return 0


def _run_import_quartz(args: argparse.Namespace) -> int:
    """Quartz's import makes a site where there is none, so it runs outside one too."""
    from .config import find_site_root
    from .commands.importers.quartz import import_quartz, report_lines

    site = find_site_root(args.here) or args.here
    to = args.here / args.to if args.to is not None else None
    for line in report_lines(import_quartz(site, args.here / args.folder, to)):
        print(line)
    return 0


def _add_output_options(command: argparse.ArgumentParser) -> None:
    """The options of every command that builds into a folder."""
    command.add_argument("--out", type=Path, default=None, help=f"output folder (default: {DEFAULT_OUT}/)")
    command.add_argument("--base-url", help="the public URL of the site, overriding [tool.postil] base_url")
    command.add_argument("--drafts", action="store_true", help="include essays marked draft: true")


def _run_build(args: argparse.Namespace) -> int:
    from .pipeline import Builder, BuildOptions

    site = args.site
    out = _output_folder(args)
    options = BuildOptions(out_dir=out, drafts=args.drafts, strict=args.strict, base_url=args.base_url)
    builder = Builder(site, options)
    result = builder.build()
    if result.warnings:
        print(describe(result.warnings, site), file=sys.stderr)
    warnings = len(result.warnings)
    counted = f"{warnings} warning{'s' if warnings != 1 else ''}"
    said = f"with {counted} in {result.seconds:.2f} s"
    if result.up_to_date:
        print(f"Nothing changed since the last build: {_shown(out, args.site)} is up to date ({result.pages} pages) {said}")
    else:
        print(f"Built {result.pages} pages ({result.outputs} files, {len(result.changed)} changed) into {_shown(out, args.site)} {said}")
    if warnings:
        print(f"{counted} — run `postil check` before you publish")
    return 0


def _output_folder(args: argparse.Namespace) -> Path:
    """--out as typed (relative to where postil runs), or public/ in the site."""
    return args.here / args.out if args.out is not None else args.site / DEFAULT_OUT


def _shown(path: Path, site: Path | None = None) -> str:
    """A path as the user can type it: relative to the working folder when it lies inside it,
    or when both lie inside the site (git's ../ paths); absolute otherwise."""
    path, cwd = Path(os.path.abspath(path)), Path.cwd().resolve()
    if path.is_relative_to(cwd) or (site is not None and path.is_relative_to(site) and cwd.is_relative_to(site)):
        return os.path.relpath(path, cwd)
    return str(path)


def _run_new(args: argparse.Namespace) -> int:
    from .commands import scaffold

    if args.take:
        from .commands.new_take import new_take

        if args.reply or args.reply_to or args.author or args.parent:
            raise UsageError("--take makes a quick take: give only a title, --tags and --bundle with it")
        path = new_take(args.site, args.title or "", tags=[tag.strip() for tag in args.tags.split(",") if tag.strip()], bundle=args.bundle)
    elif args.reply:
        if args.title or args.tags or args.bundle or args.reply_to:
            raise UsageError("--reply makes a reply: give only --author and --parent with it")
        reply = scaffold.new_reply(args.site, args.reply, args.author, parent=args.parent, here=args.here)
        if reply.moved:
            moved_from, moved_to = reply.moved
            print(f"Moved {_shown(moved_from, args.site)} to {_shown(moved_to, args.site)} so that the essay can hold replies (its URL is the same)")
        path = reply.path
    else:
        if not args.title:
            raise UsageError('give a title: new "My essay" (or --reply ESSAY --author NAME)')
        if args.author or args.parent:
            raise UsageError("--author and --parent go with --reply")
        tags = [tag.strip() for tag in args.tags.split(",") if tag.strip()]
        path = scaffold.new_essay(args.site, args.title, tags=tags, bundle=args.bundle, reply_to=args.reply_to, here=args.here)
    print(_shown(path, args.site))
    return 0


def _run_init(args: argparse.Namespace) -> int:
    from .commands.scaffold import init_site

    folder = args.here / args.folder
    for path in init_site(folder, workflow=args.workflow):
        print(_shown(path))
    shown = _shown(folder)
    go = "" if shown == "." else f"cd {shlex.quote(shown)} && "
    print(f"Preview it with: {go}postil serve")
    return 0


def _run_check(args: argparse.Namespace) -> int:
    from .commands.check import check_site

    out = _output_folder(args)
    checked = check_site(args.site, out, drafts=args.drafts, base_url=args.base_url, external=args.external)
    for path, line in checked.draft_replies:
        print(f"{path}:{line}: draft reply, not published — publish it with `postil replies publish {Path(path).stem}`")
    problems = checked.problems
    if problems:
        print(describe(problems, args.site), file=sys.stderr)
        print(f"Check found {len(problems)} problem{'s' if len(problems) != 1 else ''}.", file=sys.stderr)
        return 1
    print(f"Checked {_shown(out, args.site)}: no problems.")
    return 0


def _run_serve(args: argparse.Namespace) -> int:
    from .serve.preview import serve

    return serve(args.site, args.host, args.port, args.drafts, args.strict)


def main(argv: list[str] | None = None) -> int:
    """Run a command; return the process exit code (0 ok, 1 content errors, 2 usage)."""
    argv = sys.argv[1:] if argv is None else argv
    parser, commands = _parser()
    command, site = None, Path.cwd()
    try:
        args = parser.parse_args(_with_default_command(commands, argv))
        if args.version:
            _print_versions()
            sys.stdout.flush()  # here, where a closed pipe is caught, not at exit
            return 0
        args.here = _start_folder(args.directory)
        if args.needs_site:
            args.site = _site_root(args.here)
            site = args.site
        command = args.command
        code = args.run(args)
        sys.stdout.flush()  # here, where a closed pipe is caught, not at exit
        return code
    except UsageError as exc:
        print(exc, file=sys.stderr)
        return exc.exit_code
    except PostilError as exc:
        print(describe(exc.problems, site), file=sys.stderr)
        errors = sum(problem.severity == "error" for problem in exc.problems)
        if command in ("build", "check"):
            kept = "the previous output was left as it was" if _output_folder(args).exists() else "no output was written"
            print(f"Build failed: {errors} error{'s' if errors != 1 else ''}; {kept}.", file=sys.stderr)
        return exc.exit_code
    except KeyboardInterrupt:
        print("Interrupted; the previous output was left as it was.", file=sys.stderr)
        return 130
    except BrokenPipeError:
        # The reader of our output (`| head`) has gone: nothing is left to say, and Python
        # must not try to flush into the closed pipe again at exit.
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 1


def _with_default_command(commands: dict, argv: list[str]) -> list[str]:
    """Insert 'build' when no command is named, after any leading `-C DIR`."""
    start = 0
    while start < len(argv) and argv[start].startswith(("-C", "--directory")):
        start += 1 if argv[start] not in ("-C", "--directory") else 2
    rest = argv[start:]
    if rest and (rest[0] in commands or rest[0] in ("-h", "--help", "--version")):
        return argv
    return [*argv[:start], "build", *rest]


def _start_folder(directory: Path) -> Path:
    """Where postil acts from: the working folder, or -C DIR taken from it."""
    here = Path.cwd() / directory
    if not here.is_dir():
        raise UsageError(f"cannot run in {str(directory)!r}: no such folder")
    return here.resolve()


def _site_root(here: Path) -> Path:
    """The site postil was started in; outside any site, a message saying how to make one."""
    from .config import CONFIG_FILE, find_site_root

    root = find_site_root(here)
    if root is not None:
        return root
    where = f"in {here} or any folder above it"
    if (here / CONFIG_FILE).is_file():
        hint = ("this pyproject.toml has no [tool.postil] table: add one (see Settings in postil's README) "
                "to make this folder a site, or start a site in a new folder with `postil init DIR`")
    elif (here / "content").is_dir():
        hint = "make this folder a site by adding a pyproject.toml with a [tool.postil] table (see Settings in postil's README)"
    else:
        hint = "run postil in your site's folder (or name it with `postil -C DIR ...`), or start a site here with `postil init .`"
    raise PostilError([Problem("postil", None, None, f"not inside a postil site: no pyproject.toml with [tool.postil] {where}", hint)])


def _print_versions() -> None:
    """postil's version and its libraries', the first thing a bug report needs."""
    import platform
    from importlib import metadata

    from . import __version__

    def version(name: str) -> str:
        try:
            return metadata.version(name)
        except metadata.PackageNotFoundError:
            return "not installed"

    print(f"postil {__version__} (Python {platform.python_version()}, {platform.system()} {platform.machine()})")
    for name, package in (("markdown-it-py", "markdown-it-py"), ("Jinja", "jinja2"), ("Pygments", "pygments"), ("Pagefind", "pagefind")):
        print(f"{name} {version(package)}")

"""The command line: `postil build` (the default). The one place that catches PostilError."""
from __future__ import annotations

import argparse
import sys
from pathlib import Path

from .errors import PostilError, UsageError

DEFAULT_OUT = "public"


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> None:  # argparse would exit 2 itself; keep one exit path
        raise UsageError(f"{message} (see '{self.prog} --help')")


def _parser() -> tuple[argparse.ArgumentParser, dict[str, argparse.ArgumentParser]]:
    parser = _Parser(prog="postil", description="Build a static site of annotated essays.")
    parser.add_argument("-C", "--site", type=Path, default=Path("."), help="the site folder (default: here)")
    commands = parser.add_subparsers(dest="command", parser_class=_Parser)

    build = commands.add_parser("build", help="build the site into a folder (the default command)")
    build.add_argument("--out", type=Path, default=None, help=f"output folder (default: {DEFAULT_OUT}/)")
    build.add_argument("--base-url", help="the public URL of the site, overriding [tool.postil] base_url")
    build.add_argument("--drafts", action="store_true", help="include essays marked draft: true")
    build.add_argument("--strict", action="store_true", help="treat warnings as errors")
    build.set_defaults(run=_run_build)

    serve = commands.add_parser("serve", help="preview the site, rebuilding and reloading on every save")
    serve.add_argument("--host", default="127.0.0.1", help="address to listen on (default: 127.0.0.1, this machine only)")
    serve.add_argument("--port", type=int, default=8000, help="port to listen on; the next free one if taken (default: 8000)")
    serve.add_argument("--drafts", action=argparse.BooleanOptionalAction, default=True, help="show drafts, marked as such (default: yes)")
    serve.add_argument("--strict", action="store_true", help="treat warnings as errors")
    serve.set_defaults(run=_run_serve)

    importer = commands.add_parser("import", help="turn comments from another system into reply files")
    importer.add_argument("format", choices=["staticman"], help="where the comments come from")
    importer.add_argument("folder", type=Path, help="the folder of comment files (one post's, or one per post)")
    importer.add_argument("--to", type=Path, help="the essay bundle folder to add replies to (default: same name as the post folder)")
    importer.set_defaults(run=_run_import)
    return parser, commands.choices


def _run_import(args: argparse.Namespace) -> int:
    from .staticman import import_staticman

    result = import_staticman(args.site, args.folder, args.to)
    for path in result.skipped:
        print(f"{path}: kept the existing file", file=sys.stderr)
    written = len(result.written)
    print(f"Imported {written} repl{'y' if written == 1 else 'ies'}; {len(result.skipped)} already existed and were left alone")
    return 0


def _run_build(args: argparse.Namespace) -> int:
    from .pipeline import Builder, BuildOptions

    site = args.site
    out = args.out if args.out is not None else site / DEFAULT_OUT
    builder = Builder(site, BuildOptions(out_dir=out, drafts=args.drafts, strict=args.strict, base_url=args.base_url))
    result = builder.build()
    for warning in result.warnings:
        print(warning, file=sys.stderr)
    warnings = len(result.warnings)
    print(
        f"Built {result.pages} pages ({len(result.files)} files, {len(result.changed)} changed) into {out}"
        f" with {warnings} warning{'s' if warnings != 1 else ''} in {result.seconds:.2f} s"
    )
    return 0


def _run_serve(args: argparse.Namespace) -> int:
    from .preview import serve

    return serve(args.site, args.host, args.port, args.drafts, args.strict)


def main(argv: list[str] | None = None) -> int:
    """Run a command; return the process exit code (0 ok, 1 content errors, 2 usage)."""
    argv = sys.argv[1:] if argv is None else argv
    parser, commands = _parser()
    try:
        args = parser.parse_args(_with_default_command(commands, argv))
        return args.run(args)
    except UsageError as exc:
        print(exc, file=sys.stderr)
        return exc.exit_code
    except PostilError as exc:
        for problem in exc.problems:
            print(problem, file=sys.stderr)
        errors = sum(problem.severity == "error" for problem in exc.problems)
        print(f"Build failed: {errors} error{'s' if errors != 1 else ''}; the previous output was left as it was.", file=sys.stderr)
        return exc.exit_code
    except KeyboardInterrupt:
        print("Interrupted; the previous output was left as it was.", file=sys.stderr)
        return 130


def _with_default_command(commands: dict, argv: list[str]) -> list[str]:
    """Insert 'build' when no command is named, after any leading `-C DIR`."""
    start = 0
    while start + 1 < len(argv) and argv[start] in ("-C", "--site"):
        start += 2
    rest = argv[start:]
    if rest and (rest[0] in commands or rest[0] in ("-h", "--help")):
        return argv
    return [*argv[:start], "build", *rest]

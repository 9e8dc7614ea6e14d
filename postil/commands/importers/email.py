"""`postil import email SOURCE [--to content/<essay>/]`: replies that came by e-mail, as drafts.

SOURCE is an mbox file, a Maildir folder or one message saved as a file (.eml). Each message goes to the essay it names: by
address (the page's URL, a site path such as `/talk/`, or a `content/…` path) in its
subject, else in the front matter the reply link put in its body (its comment line names
the essay's URL), else by its exact title in the subject ("Re: <title>", when only one
essay has that title); a message that names none goes to the `--to` essay, or is listed
and left alone.

Every reply is written as a draft (`draft: true`): nothing a stranger sends is published
until the author runs `postil replies publish`. `author` is the front matter's `author:`
when the reader filled it in, else the display name of `From`; `date` is the message's
`Date`. The sender's address is never written anywhere, and the import record keeps only
a hash of each Message-ID (which looks like an address), so importing a mailbox again
adds only new messages. A message once imported is never written again: not when the
author published it (an edit of theirs), nor when they deleted it (a rejection).
"""
from __future__ import annotations

import datetime as dt
import email
import email.policy
import email.utils
import hashlib
import mailbox
import re
from dataclasses import dataclass
from email.message import EmailMessage
from pathlib import Path
from urllib.parse import urlsplit

from bs4 import BeautifulSoup

from ...config import Config
from ...content.discover import CONTENT_DIR, REPLIES_DIR
from ...errors import PostilError, Problem
from ...site.quotes import normalise
from ...content.reply import REPLY_ID
from ..scaffold import slug_from_title
from .essays import EssayFile, EssaysByUrl
from .fields import author_name, fitted_body, homepage
from .html import html_to_markdown
from .mailtext import ReaderText, reader_text, unflowed
from .record import ImportRecord
from .sync import PlannedReply, SyncResult, sync_replies

SOURCE = "email"
DEFAULT_ANONYMOUS = "Anonymous"
_REPLY_PREFIX = re.compile(r"^\s*(?:(?:re|aw|sv|vs|antw|fwd?|wg|tr|rv)\s*(?:\[\d+\])?\s*:\s*)+", re.IGNORECASE)
_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f\u2028\u2029]")
_ADDRESSES = re.compile(r"https?://[^\s<>\"'()\[\]]+|(?<![\w/.])/[^\s<>\"'()\[\]]*|\bcontent/[^\s<>\"'()\[\]]+")


@dataclass(frozen=True)
class Message:
    """One message as read from the mailbox, parsed with the standard library's modern policy."""

    parsed: EmailMessage
    raw: bytes
    fallback_date: dt.datetime | None  # the mailbox's own date (mbox From_ line, Maildir delivery)


def import_email(site_root: Path, source: Path, config: Config, to: EssayFile | None = None,
                 anonymous: str = DEFAULT_ANONYMOUS) -> SyncResult:
    """Import every new message of the mailbox as a draft reply on the essay it names."""
    messages = read_mailbox(source)
    essays = _Essays(site_root, config)
    default = essays.same(to) if to is not None else None
    result = SyncResult()
    groups: dict[str, tuple[EssayFile, list[PlannedReply]]] = {}
    # Known on any essay: a message imported once (to the essay --to named then) is never imported again.
    seen = set().union(*(ImportRecord.load(file.bundle).keys(SOURCE) for file in essays.files.values()))
    for message in sorted(messages, key=_sort_key):
        key = f"{SOURCE}:{_message_key(message)}"
        if key in seen:  # imported before, or the same message twice in the mailbox
            result.unchanged += 1
            continue
        seen.add(key)
        subject = _printable(str(message.parsed.get("Subject", "") or "")) or "(no subject)"
        text = reader_text(_body_text(message.parsed))
        essay = essays.at_address(subject) or essays.at_address(text.front_matter) or essays.titled(subject) or default
        name = _author(message.parsed, text.meta, anonymous)
        automatic = _automatic(message.parsed)
        if automatic:
            result.notices.append(f"not imported: {subject} from {name} ({automatic})")
            continue
        if essay is None:
            result.notices.append(f"not imported: {subject} from {name} (it names no essay of this site; pass --to content/<essay>/)")
            continue
        if not text.body.strip():
            result.notices.append(f"not imported: {subject} from {name} (the message has no text)")
            continue
        groups.setdefault(essay.essay.source, (essay, []))[1].append(_planned(message, text, name, essay))
    for essay, planned in groups.values():
        result.merge(sync_replies(essay, SOURCE, planned, config, complete=False))
    if result.written:
        result.notices.append("The new replies are drafts: read them with 'postil serve', then 'postil replies publish'")
    return result


def read_mailbox(source: Path) -> list[Message]:
    """Every message of an mbox file, a Maildir folder (cur/ and new/) or one saved message (.eml)."""
    if source.is_dir():
        if not all((source / part).is_dir() for part in ("cur", "new")):
            raise PostilError([Problem(str(source), None, None, "not a Maildir folder: it has no cur/ and new/",
                                       "give a Maildir folder, or an mbox file (exported from your mail program)")])
        box: mailbox.Mailbox = mailbox.Maildir(source, factory=None, create=False)
    elif source.is_file():
        box = mailbox.mbox(source, create=False)
    else:
        raise PostilError([Problem(str(source), None, None, "no such file or folder", "give an mbox file or a Maildir folder")])
    messages = []
    try:
        for key in box.keys():
            raw = box.get_bytes(key)
            parsed = email.message_from_bytes(raw, policy=email.policy.default)
            messages.append(Message(parsed, raw, _mailbox_date(box.get_message(key))))
    except OSError as exc:
        raise PostilError([Problem(str(source), None, None, f"cannot read the mailbox: {exc.strerror or exc}", "check the path and its permissions")]) from None
    finally:
        box.close()
    if not messages and source.is_file():  # one message saved on its own (.eml), without an mbox From line
        raw = source.read_bytes()
        parsed = email.message_from_bytes(raw, policy=email.policy.default)
        if parsed.get("From") and parsed.get("Subject") is not None:
            messages.append(Message(parsed, raw, None))
    if not messages:
        raise PostilError([Problem(str(source), None, None, "no messages found here",
                                   "give an mbox file (From lines between messages) or a Maildir folder")])
    return messages


def _mailbox_date(message: mailbox.Message) -> dt.datetime | None:
    if isinstance(message, mailbox.MaildirMessage):
        return dt.datetime.fromtimestamp(message.get_date(), dt.timezone.utc)
    if isinstance(message, mailbox.mboxMessage):
        parts = message.get_from().split(None, 1)
        try:
            return dt.datetime.strptime(" ".join(parts[1].split()), "%a %b %d %H:%M:%S %Y").replace(tzinfo=dt.timezone.utc)
        except (IndexError, ValueError):
            return None
    return None


def _date(message: Message) -> dt.datetime | None:
    try:
        header = message.parsed["Date"]
        date = header.datetime if header is not None else None
    except (TypeError, ValueError, AttributeError):
        date = None
    date = date or message.fallback_date
    if date is None:
        return None
    date = date if date.tzinfo else date.replace(tzinfo=dt.timezone.utc)
    return date.astimezone(dt.timezone.utc).replace(microsecond=0)


def _sort_key(message: Message) -> tuple:
    date = _date(message)
    return (date is None, date or dt.datetime.min.replace(tzinfo=dt.timezone.utc), _message_key(message))


def _message_key(message: Message) -> str:
    """A hash of the Message-ID (never the id itself, which looks like an address), or of
    the whole message when it has none."""
    ident = str(message.parsed.get("Message-ID", "") or "").strip().strip("<>").strip()
    data = ident.encode("utf-8", "surrogateescape") if ident else message.raw
    return hashlib.sha256(data).hexdigest()[:32]


def _body_text(message: EmailMessage) -> str:
    """The message's text: its text/plain part, else its HTML (hostile) as Markdown.
    Attachments are never read; the email package undoes quoted-printable, base64 and charsets."""
    part = message.get_body(preferencelist=("plain", "html"))
    if part is None:
        return ""
    try:
        content = part.get_content()
    except (LookupError, UnicodeError):  # an unknown or lying charset
        content = (part.get_payload(decode=True) or b"").decode("latin-1")
    if not isinstance(content, str):
        return ""
    if part.get_content_type() == "text/html":
        return _html_text(content)
    if part.get_param("format", "").lower() == "flowed":
        content = unflowed(content, part.get_param("delsp", "").lower() == "yes")
    return content


def _html_text(html: str) -> str:
    """An HTML-only message as Markdown; the front matter block is taken as plain lines first,
    since the conversion would escape it."""
    soup = BeautifulSoup(html, "html.parser")
    plain = soup.get_text("\n")
    front = reader_text(plain)
    markdown = html_to_markdown(html)
    if not front.front_matter:
        return markdown
    lines = markdown.split("\n")
    fences = [number for number, line in enumerate(lines) if re.fullmatch(r"\s*(?:\\?-){3}\s*", line)]
    if len(fences) >= 2:
        lines = lines[fences[1] + 1 :]
    return "---\n" + front.front_matter + "\n---\n" + "\n".join(lines)


def _automatic(message: EmailMessage) -> str:
    """Why a message is no reader's reply (an out-of-office answer, a bounce, spam), or ""."""
    auto = str(message.get("Auto-Submitted", "") or "").strip().lower()
    precedence = str(message.get("Precedence", "") or "").strip().lower()
    if (auto and auto != "no") or precedence in ("auto_reply", "bulk", "junk") or message.get("X-Autoreply") or message.get("X-Autorespond"):
        return "an automatic message"
    if message.get_content_type() == "multipart/report":
        return "a delivery report"
    if str(message.get("X-Spam-Flag", "") or "").strip().lower() == "yes":
        return "marked as spam"
    return ""


def _author(message: EmailMessage, meta: dict, anonymous: str) -> str:
    """The `author:` the reader wrote, else From's display name (never its address)."""
    written = meta.get("author")
    if isinstance(written, str) and written.strip():
        return author_name(_printable(written), anonymous)
    try:
        sender = message["From"]
        addresses = sender.addresses if sender is not None else ()
        name = addresses[0].display_name if addresses else ""
    except (TypeError, ValueError, AttributeError, IndexError):
        name = email.utils.parseaddr(str(message.get("From", "")))[0]
    return author_name(_printable(name), anonymous)


def _printable(text: str) -> str:
    """One line without control characters: a stranger's subject or name is shown in the
    terminal (where escape sequences would act) and written into front matter."""
    return " ".join(_CONTROL.sub(" ", text).split())


def _planned(message: Message, text: ReaderText, name: str, essay: EssayFile) -> PlannedReply:
    date = _date(message)
    meta: dict = {"author": name}
    if date is not None:
        meta["date"] = date
    parent = text.meta.get("parent")
    if parent is not None and REPLY_ID.fullmatch(str(parent)) and (essay.bundle / REPLIES_DIR / f"{parent}.md").is_file():
        meta["parent"] = str(parent)
    url = homepage(text.meta.get("url"))
    if url:
        meta["url"] = url
    meta["draft"] = True
    day = (date or dt.datetime.now(dt.timezone.utc)).date().isoformat()
    ident = f"{day}-{slug_from_title(name)[:60].strip('-') or 'reader'}"
    return PlannedReply(f"{SOURCE}:{_message_key(message)}", ident, meta, fitted_body(text.body, "in the e-mail it came in"))


class _Essays:
    """Finds the essay a message names: by address, site path, content path or exact title."""

    def __init__(self, site_root: Path, config: Config):
        self.by_url = EssaysByUrl(site_root, config)
        self.files: dict[str, EssayFile] = {}  # essay source → its one EssayFile
        self.by_path: dict[str, EssayFile] = {}
        self.by_title: dict[str, list[EssayFile]] = {}
        for file in self.by_url.files.values():
            if file.essay.source in self.files:
                continue
            self.files[file.essay.source] = file
            essay = file.essay
            for path in (essay.url_path, *essay.aliases):
                self.by_path.setdefault(_path_key(path), file)
                self.by_path.setdefault(_path_key(urlsplit(config.absolute(path)).path), file)
            source = essay.source
            for path in (source, source.removesuffix(".md"), source.removesuffix("/index.md")):
                self.by_path.setdefault("file:" + path.rstrip("/"), file)
            self.by_title.setdefault(_title_key(essay.title), []).append(file)

    def same(self, target: EssayFile) -> EssayFile:
        return self.files.get(target.essay.source, target)

    def at_address(self, text: str) -> EssayFile | None:
        """The first essay `text` names by address: its page's URL, a site path or a content/ path."""
        for found in _ADDRESSES.findall(text):
            found = found.rstrip(".,;:!?")
            if found.startswith(("http://", "https://")):
                file = self.by_url.find(found)
            elif found.startswith(CONTENT_DIR + "/"):
                folder = found.rstrip("/")
                if f"/{REPLIES_DIR}/" in folder + "/":
                    folder = folder[: (folder + "/").index(f"/{REPLIES_DIR}/")]
                file = self.by_path.get("file:" + folder)
            else:
                file = self.by_path.get(_path_key(found))
            if file is not None:
                return file
        return None

    def titled(self, subject: str) -> EssayFile | None:
        """The one essay whose title the subject is ("Re: <title>"), if only one has it."""
        matches = self.by_title.get(_title_key(_REPLY_PREFIX.sub("", subject)), [])
        return matches[0] if len(matches) == 1 else None


def _path_key(path: str) -> str:
    path = path.split("#", 1)[0].split("?", 1)[0]
    path = path[: -len("index.html")] if path.endswith("/index.html") else path
    return "/" + path.strip("/") + "/" if path.strip("/") else "/"


def _title_key(title: str) -> str:
    return normalise(title).casefold().strip(" .")

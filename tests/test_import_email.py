"""`postil import email`: replies sent by e-mail, from mailboxes the tests make, as drafts."""
from __future__ import annotations

import json
import mailbox
from email.message import EmailMessage

from postil.cli import main
from postil.commands.importers.mailtext import reader_text

ESSAY = "The margin is where a reader answers the page, one pencilled line at a time.\n\nA second paragraph.\n"


def message(subject, body, *, sender="Ann Reader <ann@example.com>", date="Tue, 03 Mar 2026 10:00:00 +0100", ident="<a1@mail.example.com>"):
    mail = EmailMessage()
    mail["From"] = sender
    mail["To"] = "essays@example.org"
    mail["Subject"] = subject
    mail["Date"] = date
    if ident:
        mail["Message-ID"] = ident
    mail.set_content(body)
    return mail


def mbox(path, *messages):
    box = mailbox.mbox(path)
    for item in messages:
        box.add(item if isinstance(item, (bytes, EmailMessage)) else item)
    box.close()
    return path


def run(site, *args):
    return main(["-C", str(site.root), "import", "email", *map(str, args)])


def replies_of(site, bundle="talk"):
    folder = site.root / "content" / bundle / "replies"
    return {path.name: path.read_text(encoding="utf-8") for path in sorted(folder.glob("*.md"))}


def every_file_text(site):
    return "".join(path.read_bytes().decode("utf-8", "replace") for path in site.root.rglob("*") if path.is_file())


def test_a_multipart_reply_becomes_a_draft_on_the_essay_its_subject_names(site, tmp_path, capsys):
    site.essay("talk.md", title="Talk", date="2026-03-01", body=ESSAY)
    mail = message("Re: Talk (/talk/)", (
        "---\nauthor: \ndraft: true\n---\n"
        "> The margin is where a reader answers the page\n\n"
        "I answer in the margin too.\n\n"
        "Sent from my iPhone\n\n"
        "On Mon, 2 Mar 2026 at 09:12, The Author <essays@example.org>\nwrote:\n> Thanks for reading.\n>\n> Me\n"))
    mail.add_alternative("<p>I answer in the margin too.</p>", subtype="html")
    mail.add_attachment(b"%PDF-1.4 secret", maintype="application", subtype="pdf", filename="notes.pdf")
    assert run(site, mbox(tmp_path / "in.mbox", mail)) == 0
    captured = capsys.readouterr()
    assert "content/talk.md became content/talk/index.md" in captured.out
    assert "Imported 1 new reply" in captured.out
    assert replies_of(site) == {"2026-03-03-ann-reader.md": (
        "---\nauthor: Ann Reader\ndate: '2026-03-03T09:00:00Z'\ndraft: true\n---\n"
        "> The margin is where a reader answers the page\n\nI answer in the margin too.\n")}
    everything = every_file_text(site)
    assert "ann@example.com" not in everything and "a1@mail.example.com" not in everything and "PDF" not in everything
    record = json.loads((site.root / "content/talk/replies/.imported.json").read_text(encoding="utf-8"))
    assert [key.split(":")[0] for key in record["replies"]] == ["email"]
    # A draft: the build leaves it out, check lists it without failing.
    assert site.build() == 0
    assert site.html("talk/index.html").css_first("#reply-2026-03-03-ann-reader") is None
    assert main(["-C", str(site.root), "check"]) == 0
    assert "content/talk/replies/2026-03-03-ann-reader.md:4: draft reply" in capsys.readouterr().out


def test_an_html_only_message_is_converted_and_cleaned_like_any_stranger_s_words(site, tmp_path):
    site.essay("talk/index.md", title="Talk", date="2026-03-01", body=ESSAY)
    mail = EmailMessage()
    mail["From"] = "Mallory <m@evil.example>"
    mail["Subject"] = "RE: talk"
    mail["Date"] = "Wed, 04 Mar 2026 08:00:00 +0000"
    mail["Message-ID"] = "<h1@evil.example>"
    mail.set_content(
        "<html><head><style>p{color:red}</style><script>alert(1)</script></head><body>"
        "<p>I <b>strongly</b> disagree, see <a href='javascript:alert(2)'>this</a> and "
        "<a href='https://mallory.example/why'>why</a>.</p><img src='https://track.example/p.gif'>"
        "<iframe src='https://evil.example/'></iframe><p>Write me at <a href='mailto:m@evil.example'>m@evil.example</a></p>"
        "</body></html>", subtype="html")
    assert run(site, mbox(tmp_path / "in.mbox", mail)) == 0
    (text,) = replies_of(site).values()
    assert "I **strongly** disagree, see this and [why](https://mallory.example/why)." in text
    for bad in ("script", "alert", "javascript", "iframe", "color:red", "<", "m@evil.example"):
        assert bad not in text
    assert "[image](https://track.example/p.gif)" in text  # a link, never an embedded image
    assert "Write me at [e-mail address removed]" in text


def test_quoted_printable_latin_1_and_base64_bodies_and_encoded_names_are_decoded(site, tmp_path):
    site.essay("talk/index.md", title="Talk", date="2026-03-01", body=ESSAY)
    latin = (b"From: =?iso-8859-1?q?Ren=E9e_Fran=E7ois?= <renee@example.fr>\r\n"
             b"Subject: Re: Talk (/talk/)\r\nDate: Thu, 05 Mar 2026 12:30:00 +0000\r\nMessage-ID: <q1@example.fr>\r\n"
             b"MIME-Version: 1.0\r\nContent-Type: text/plain; charset=iso-8859-1\r\nContent-Transfer-Encoding: quoted-printable\r\n\r\n"
             b"Un caf=E9 dans la marge, s'il vous pla=EEt. Une ligne tr=E8s longue qui est coup=\r\n"
             b"=E9e par le codage.\r\n")
    utf8 = message("Re: Talk (/talk/)", "Ünïcode über alles — with a dash.", sender="Jürgen <j@example.de>",
                   date="Fri, 06 Mar 2026 12:00:00 +0000", ident="<b64@example.de>")
    utf8.set_content("Ünïcode über alles — with a dash.", cte="base64")
    assert run(site, mbox(tmp_path / "in.mbox", latin, utf8)) == 0
    texts = replies_of(site)
    assert sorted(texts) == ["2026-03-05-renee-francois.md", "2026-03-06-jurgen.md"]
    assert "author: Renée François" in texts["2026-03-05-renee-francois.md"]
    assert "Un café dans la marge, s'il vous plaît. Une ligne très longue qui est coupée par le codage." in texts["2026-03-05-renee-francois.md"]
    assert "author: Jürgen" in texts["2026-03-06-jurgen.md"] and "Ünïcode über alles — with a dash." in texts["2026-03-06-jurgen.md"]


def test_a_reply_to_a_reply_keeps_its_parent_and_the_name_the_reader_wrote(site, tmp_path):
    site.essay("talk/index.md", title="Talk", date="2026-03-01", body=ESSAY)
    site.write("content/talk/replies/r01.md", "---\nauthor: Ben\ndate: 2026-03-02T10:00:00Z\n---\nFirst!\n", dedent=False)
    body = ("---\n# A reply to a reply on Talk: write below the second '---'.\nauthor: \"Ann R., who reads margins\"\n"
            "draft: true\nparent: r01\n---\nBen, you were first but wrong.\n\n-- \nAnn\nhttps://ann.example/\n")
    assert run(site, mbox(tmp_path / "in.mbox", message("Re: Talk (/talk/)", body, sender="ann@example.com"))) == 0
    (name, text), = [(n, t) for n, t in replies_of(site).items() if n != "r01.md"]
    assert text == ("---\nauthor: Ann R., who reads margins\ndate: '2026-03-03T09:00:00Z'\nparent: r01\ndraft: true\n---\n"
                    "Ben, you were first but wrong.\n")
    assert name == "2026-03-03-ann-r-who-reads-margins.md"


def test_the_essay_is_found_in_the_front_matter_or_given_with_to_and_a_message_for_none_is_listed(site, tmp_path, capsys):
    site.essay("talk/index.md", title="Talk", date="2026-03-01", body=ESSAY)
    site.essay("other.md", title="Other", date="2026-03-01", body="Other text.\n")
    by_front_matter = message("my thoughts", "---\n# Save as content/other/replies/<name>.md\nauthor:\n---\nGood.\n", ident="<f1@x.example>")
    lost = message("Hello!", "Do you have a newsletter?", sender="=?utf-8?q?Zo=C3=AB?= <zoe@example.com>", ident="<l1@x.example>")
    path = mbox(tmp_path / "in.mbox", by_front_matter, lost)
    assert run(site, path) == 0
    assert "not imported: Hello! from Zoë (it names no essay of this site" in capsys.readouterr().err
    assert list(replies_of(site, "other")) == ["2026-03-03-ann-reader.md"]
    assert not (site.root / "content/talk/replies").exists()
    assert run(site, path, "--to", "content/talk/") == 0
    assert list(replies_of(site, "talk")) == ["2026-03-03-zoe.md"]
    assert list(replies_of(site, "other")) == ["2026-03-03-ann-reader.md"]  # it named its essay: --to is for the rest


def test_importing_again_adds_only_new_messages_and_leaves_published_and_deleted_replies_alone(site, tmp_path, capsys):
    site.essay("talk/index.md", title="Talk", date="2026-03-01", body=ESSAY)
    first = message("Re: Talk (/talk/)", "One.", ident="<m1@x.example>")
    second = message("Re: Talk (/talk/)", "Two.", sender="Ben <ben@x.example>", ident="<m2@x.example>")
    path = mbox(tmp_path / "in.mbox", first, second)
    assert run(site, path) == 0
    folder = site.root / "content/talk/replies"
    before = {p.name: p.read_bytes() for p in folder.iterdir()}
    capsys.readouterr()
    assert run(site, path) == 0
    assert "Imported 0 new replies; 0 refreshed, 2 unchanged" in capsys.readouterr().out
    assert {p.name: p.read_bytes() for p in folder.iterdir()} == before
    # Publish one, reject (delete) the other, then a third message arrives.
    assert main(["-C", str(site.root), "replies", "publish", "2026-03-03-ann-reader"]) == 0
    published = (folder / "2026-03-03-ann-reader.md").read_bytes()
    (folder / "2026-03-03-ben.md").unlink()
    third = message("Re: Talk (/talk/)", "Three.", sender="Cy <cy@x.example>", date="Sat, 07 Mar 2026 10:00:00 +0000", ident="<m3@x.example>")
    mbox(path, third)
    capsys.readouterr()
    assert run(site, path) == 0
    captured = capsys.readouterr()
    assert "Imported 1 new reply; 0 refreshed, 2 unchanged, 0 left alone" in captured.out
    assert "edited by hand" not in captured.err and "deleted" not in captured.err
    assert sorted(p.name for p in folder.glob("*.md")) == ["2026-03-03-ann-reader.md", "2026-03-07-cy.md"]
    assert (folder / "2026-03-03-ann-reader.md").read_bytes() == published


def test_a_maildir_folder_is_read_too(site, tmp_path):
    site.essay("talk/index.md", title="Talk", date="2026-03-01", body=ESSAY)
    box = mailbox.Maildir(tmp_path / "Mail", create=True)
    box.add(message("Re: Talk (https://example.org/talk/)", "From a Maildir."))
    box.close()
    assert run(site, tmp_path / "Mail") == 0
    assert "From a Maildir." in replies_of(site)["2026-03-03-ann-reader.md"]


def test_a_source_that_is_no_mailbox_is_a_clear_error(site, tmp_path, capsys):
    site.essay("talk/index.md", title="Talk", date="2026-03-01", body=ESSAY)
    (tmp_path / "folder").mkdir()
    assert run(site, tmp_path / "folder") == 1
    assert "not a Maildir folder: it has no cur/ and new/" in capsys.readouterr().err
    assert run(site, tmp_path / "missing.mbox") == 1
    assert "missing.mbox: error: no such file or folder" in capsys.readouterr().err


def test_reader_text_keeps_the_reader_s_words_and_the_passage_quote():
    text = reader_text(
        "> A passage of the essay,\n> over two lines.\n\nMy answer.\n\n> A quote in the middle stays.\n\nMore.\n\n"
        "Get Outlook for Android\n\nAm Mo., 2. März 2026 um 10:00 Uhr schrieb Autor <a@b.example>:\n> alt\n")
    assert text.body == "> A passage of the essay,\n> over two lines.\n\nMy answer.\n\n> A quote in the middle stays.\n\nMore."
    assert reader_text("Answer.\n\n-----Original Message-----\nFrom: x\n\nold").body == "Answer."
    assert reader_text("Answer.\n\n> A closing quote without an attribution stays.\n").body.endswith("stays.")
    assert reader_text("```\n--\n```\nAfter the code.\n--\nSig").body == "```\n--\n```\nAfter the code."


def test_the_ready_reply_a_reply_link_sends_is_recognised_by_the_essay_address_in_its_front_matter(site, tmp_path):
    """The body as the site's "Reply to this" mailto: link writes it (CRLF, as RFC 6068 wants),
    on a site where two essays share the subject's title."""
    site.essay("talk/index.md", title="Talk", date="2026-03-01", body=ESSAY)
    site.essay("talk-again/index.md", title="Talk", date="2026-03-02", body="Again.\n")
    site.write("content/talk-again/replies/r01.md", "---\nauthor: Ben\ndate: 2026-03-02T10:00:00Z\n---\nFirst!\n", dedent=False)
    body = ("---\r\n# A reply to \u201cTalk\u201d (https://example.org/talk-again/).\r\n"
            "# Write it in Markdown below the last ---, and your name after author:\r\n"
            "author: \r\nparent: r01\r\ndraft: true\r\n---\r\n\r\nA reply to Ben's reply.\r\n")
    assert run(site, mbox(tmp_path / "in.mbox", message("Re: Talk", body, sender='"Ann Reader" <ann@example.com>'))) == 0
    assert replies_of(site, "talk-again")["2026-03-03-ann-reader.md"] == (
        "---\nauthor: Ann Reader\ndate: '2026-03-03T09:00:00Z'\nparent: r01\ndraft: true\n---\nA reply to Ben's reply.\n")
    assert not (site.root / "content/talk/replies").exists()


def test_flowed_text_an_unknown_charset_and_control_characters_are_handled(site, tmp_path, capsys):
    site.essay("talk/index.md", title="Talk", date="2026-03-01", body=ESSAY)
    flowed = (b"From: Ann <ann@example.com>\nSubject: Re: Talk (/talk/)\nDate: Tue, 03 Mar 2026 10:00:00 +0000\nMessage-ID: <fl@x>\n"
              b"Content-Type: text/plain; charset=utf-8; format=flowed; delsp=yes\n\n"
              b"A long line that a mail program wr \napped, and went on.\n")
    odd = (b"From: =?utf-8?q?Eve=1B=5B31m?= <eve@example.com>\nSubject: \x1b[2JRe: Talk (/talk/)\nDate: Wed, 04 Mar 2026 10:00:00 +0000\n"
           b"Message-ID: <odd@x>\nContent-Type: text/plain; charset=x-no-such-charset\n\nCaf\xe9 au lait.\n")
    lost = b"From: \x1b[31mMallory <m@x>\nSubject: \x1b[2Jhi\nMessage-ID: <lost@x>\n\nNothing.\n"
    assert run(site, mbox(tmp_path / "in.mbox", flowed, odd, lost)) == 0
    assert "\x1b" not in capsys.readouterr().err
    texts = replies_of(site)
    assert "A long line that a mail program wrapped, and went on." in texts["2026-03-03-ann.md"]
    assert "author: Eve [31m" in texts["2026-03-04-eve-31m.md"] and "Café au lait." in texts["2026-03-04-eve-31m.md"]
    assert "\x1b" not in "".join(texts.values())


def test_a_message_is_imported_once_even_to_another_essay_or_twice_in_the_mailbox(site, tmp_path, capsys):
    site.essay("talk/index.md", title="Talk", date="2026-03-01", body=ESSAY)
    site.essay("other/index.md", title="Other", date="2026-03-01", body="Other.\n")
    unnamed = message("Thoughts", "Which essay was it?", ident="<u1@x.example>")
    path = mbox(tmp_path / "in.mbox", unnamed, unnamed)
    assert run(site, path, "--to", "content/talk/") == 0
    assert "Imported 1 new reply; 0 refreshed, 1 unchanged" in capsys.readouterr().out
    assert run(site, path, "--to", "content/other/") == 0
    assert "Imported 0 new replies; 0 refreshed, 2 unchanged" in capsys.readouterr().out
    assert not (site.root / "content/other/replies").exists()


def test_an_html_only_ready_reply_keeps_its_front_matter_and_loses_its_signature(site, tmp_path):
    site.essay("talk/index.md", title="Talk", date="2026-03-01", body=ESSAY)
    site.write("content/talk/replies/r01.md", "---\nauthor: Ben\ndate: 2026-03-02T10:00:00Z\n---\nFirst!\n", dedent=False)
    mail = message("Re: Talk", "")
    mail.set_content(
        "<div>---<br># A reply to \u201cTalk\u201d (https://example.org/talk/).<br>author: Ann_B<br>parent: r01<br>draft: true<br>---<br><br></div>"
        "<blockquote>The margin is where a reader answers the page</blockquote><div>My <i>answer</i> here.</div>"
        "<div><br></div><div>-- <br>Ann, ann@example.com</div>", subtype="html")
    assert run(site, mbox(tmp_path / "in.mbox", mail)) == 0
    assert replies_of(site)["2026-03-03-ann-b.md"] == (
        "---\nauthor: Ann_B\ndate: '2026-03-03T09:00:00Z'\nparent: r01\ndraft: true\n---\n"
        "> The margin is where a reader answers the page\n\nMy *answer* here.\n")


def test_out_of_office_answers_bounces_and_spam_are_listed_not_imported(site, tmp_path, capsys):
    site.essay("talk/index.md", title="Talk", date="2026-03-01", body=ESSAY)
    away = message("Re: Talk (/talk/)", "I am away until Monday.", sender="Away <a@x.example>", ident="<o1@x>")
    away["Auto-Submitted"] = "auto-replied"
    spam = message("Re: Talk (/talk/)", "Cheap pills.", sender="Spammer <s@x.example>", ident="<s1@x>")
    spam["X-Spam-Flag"] = "YES"
    bounce = message("Re: Talk (/talk/)", "Delivery failed.", sender="Mail Delivery System <mailer-daemon@x.example>", ident="<b1@x>")
    bounce.make_mixed()
    bounce.replace_header("Content-Type", 'multipart/report; report-type=delivery-status; boundary="b"')
    real = message("Re: Talk (/talk/)", "A real reply.", ident="<r1@x>")
    assert run(site, mbox(tmp_path / "in.mbox", away, spam, bounce, real)) == 0
    err = capsys.readouterr().err
    assert "not imported: Re: Talk (/talk/) from Away (an automatic message)" in err
    assert "not imported: Re: Talk (/talk/) from Spammer (marked as spam)" in err
    assert "not imported: Re: Talk (/talk/) from Mail Delivery System (a delivery report)" in err
    assert list(replies_of(site)) == ["2026-03-03-ann-reader.md"]


def test_one_message_saved_as_an_eml_file_is_imported(site, tmp_path, capsys):
    site.essay("talk/index.md", title="Talk", date="2026-03-01", body=ESSAY)
    saved = tmp_path / "reply.eml"
    saved.write_bytes(bytes(message("Re: Talk (/talk/)", "Saved from my mail program.")))
    assert run(site, saved) == 0
    assert "Saved from my mail program." in replies_of(site)["2026-03-03-ann-reader.md"]
    (tmp_path / "notes.txt").write_text("Just some notes.\n", encoding="utf-8")
    capsys.readouterr()
    assert run(site, tmp_path / "notes.txt") == 1
    assert "notes.txt: error: no messages found here" in capsys.readouterr().err

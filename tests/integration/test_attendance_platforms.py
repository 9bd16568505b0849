"""Check-in with the event's code and the certificate as a PDF on Telegram (the Bot API
stand-in, real PTB client: sendDocument) and Matrix (real Synapse: an uploaded m.file)."""

from __future__ import annotations

import io

from nio import DownloadResponse, RoomMessageFile
from pypdf import PdfReader

from core.attendance import attendance_code
from tests.integration.test_matrix_adapter import Human, humans, invited_and_greeted, matrix_app
from tests.integration.test_matrix_adapter import running as matrix_running
from tests.support import factories
from tests.support.telegram_rig import running_rig

__all__ = ["humans"]  # the Matrix test module's fixture

ANNA = {"id": 701, "first_name": "Anna", "last_name": "Łukasiewicz", "language_code": "de"}


async def soon_running(app):
    """An event that starts in ten minutes: its check-in window is open."""
    event = await factories.event(app, title="Kurzformat Ehrenamt", days=10 / (24 * 60))
    _, code = await attendance_code(
        app.uow(), actor_id=None, event_id=event.id, now=app.clock.now()
    )
    return event, code


def pdf_text(content: bytes) -> str:
    return " ".join(PdfReader(io.BytesIO(content)).pages[0].extract_text().split())


async def test_telegram(telegram_api_factory, sqlite_database, tmp_path):
    api = await telegram_api_factory(global_limit=100)
    async with running_rig(api, sqlite_database, tmp_path) as rig:
        event, code = await soon_running(rig.app)
        api.inject_message(ANNA["id"], ANNA, f"/anmelden {event.id}")
        await api.wait_for_sent(ANNA["id"], 1)
        api.inject_message(ANNA["id"], ANNA, f"/start a_{code}")  # t.me/<bot>?start=a_<code>
        checked = await api.wait_for_sent(ANNA["id"], 2)
        assert "als anwesend eingetragen" in checked[1].params["text"]
        api.inject_message(ANNA["id"], ANNA, f"/bescheinigung {event.id}")
        (document,) = await api.wait_for_sent(ANNA["id"], 1, method="sendDocument")
    upload = document.params["document"]
    assert upload.filename == f"teilnahmebescheinigung-{event.id}.pdf"
    words = pdf_text(upload.content)
    assert "Anna Łukasiewicz" in words and "Kurzformat Ehrenamt" in words
    assert rig.app.translator.date("de", event.starts_at) in words


async def test_matrix(synapse, sqlite_database, humans, tmp_path):
    bot = synapse.register_user()
    app = await matrix_app(sqlite_database, synapse, bot, tmp_path)
    event, code = await soon_running(app)
    bob: Human = await humans(bot)
    async with matrix_running(app):
        direct = await bob.create_room(bot.user_id, direct=True)
        await invited_and_greeted(bob, direct)
        assert "angemeldet" in (await bob.command(direct, f"!anmelden {event.id}")).body
        checked = await bob.command(direct, f"!start a_{code}")
        assert "als anwesend eingetragen" in checked.body
        refused = await bob.command(direct, "!start a_Falsch")
        assert "kenne ich nicht" in refused.body
        await bob.say(direct, f"!bescheinigung {event.id}")
        files = await bob.wait(
            lambda: [e for r, e in bob.events if r == direct and isinstance(e, RoomMessageFile)]
        )
        downloaded = await bob.client.download(files[0].url)
    assert isinstance(downloaded, DownloadResponse), downloaded
    assert files[0].source["content"]["info"]["mimetype"] == "application/pdf"
    words = pdf_text(downloaded.body)
    assert "Kurzformat Ehrenamt" in words and "Teilnahmebescheinigung" in words

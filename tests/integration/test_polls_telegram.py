"""Polls on Telegram against the Bot API stand-in: native polls, vote buttons, admins, close."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import pytest
from telegram import Update

from core.domain.people import ChatIdentity, Platform, Role
from core.polls import live_results
from tests.support import factories
from tests.support.telegram_rig import Rig, running_rig

SARA = {"id": 601, "first_name": "Sara", "last_name": "Sprecherin", "language_code": "de"}
BERND = {"id": 602, "first_name": "Bernd"}
CARL = {"id": 603, "first_name": "Carl"}
DORA = {"id": 604, "first_name": "Dora"}
GROUP = -100888


@pytest.fixture
async def rig(telegram_api_factory, sqlite_database, tmp_path) -> AsyncIterator[Rig]:
    api = await telegram_api_factory(global_limit=100, group_limit=100, group_window=1.0)
    async with running_rig(api, sqlite_database, tmp_path) as rig:
        yield rig


async def linked_speaker(rig: Rig):
    sara = await factories.person(rig.app, "Sara Sprecherin", roles={Role.SPEAKER})
    async with rig.app.uow() as uow:
        await uow.identities.add(
            ChatIdentity(
                Platform.TELEGRAM, str(SARA["id"]), sara.id, created_at=rig.app.clock.now()
            )
        )
        await uow.commit()
    rig.api.inject_message(SARA["id"], SARA, "/start")  # opens her private chat
    await rig.api.wait_for_sent(SARA["id"])
    return sara


async def tally(rig: Rig, poll_id: int):
    async with rig.app.uow() as uow:
        poll = await uow.polls.get(poll_id)
    results = await live_results(rig.app.uow(), token=poll.token)
    return results.tally.counts, results.tally.participants


async def linked_member(rig: Rig, user: dict):
    """A person of the network whose Telegram account is ``user``, a member of the group."""
    person = await factories.person(rig.app, user["first_name"])
    async with rig.app.uow() as uow:
        await uow.identities.add(
            ChatIdentity(
                Platform.TELEGRAM, str(user["id"]), person.id, created_at=rig.app.clock.now()
            )
        )
        await uow.commit()
    rig.api.set_chat_member(GROUP, user, "member")
    return person


async def test_named_poll_is_a_native_telegram_poll_and_answers_are_votes(rig):
    await linked_speaker(rig)
    await linked_member(rig, BERND)
    rig.api.set_chat_member(GROUP, SARA, "member")
    rig.api.inject_message(GROUP, SARA, "/umfrage Format? | Präsenz | Online", "supergroup")
    (posted,) = await rig.api.wait_for_sent(GROUP, 1, method="sendPoll")
    assert posted.params["question"] == "Format?"
    assert posted.params["is_anonymous"] is False  # answers must reach us per person
    telegram_poll = posted.result["poll"]["id"]
    # Sara gets the live link privately.
    await rig.api.wait_for(lambda: any("/live/poll/" in t for t in rig.api.texts_to(SARA["id"])))

    await _until(lambda: _posted_as(rig, telegram_poll))
    first = rig.api.inject_poll_answer(telegram_poll, BERND, [1])
    rig.api.inject_poll_answer(telegram_poll, SARA, [0])
    await _settled(rig, 1, ((1, 1), 2))
    rig.api.inject_poll_answer(telegram_poll, BERND, [])  # Bernd retracts
    await _settled(rig, 1, ((1, 0), 1))
    # His first answer delivered again (a webhook retry): handled once, so it stays retracted.
    again = {"update_id": first, "poll_answer": _answer(rig, telegram_poll, BERND, [1])}
    await rig.transport.process(Update.de_json(again, rig.transport.bot))
    assert await tally(rig, 1) == ((1, 0), 1)

    rig.api.inject_message(GROUP, SARA, "/umfrage_ende", "supergroup")
    await rig.api.wait_for(lambda: rig.api.sent_to(GROUP, "stopPoll"))
    result = await rig.api.wait_for(
        lambda: [t for t in rig.api.texts_to(GROUP) if "Umfrage Nr. 1 ist beendet" in t]
    )
    assert "████████ 100 % (1)" in result[0]
    assert rig.api.polls[telegram_poll]["is_closed"]


async def test_anonymous_poll_by_a_group_admin_uses_vote_buttons(rig):
    rig.api.set_admins(GROUP, [BERND])
    rig.api.inject_message(GROUP, CARL, "/umfrage Darf ich? | Ja | Nein", "supergroup")
    refusal = await rig.api.wait_for_sent(GROUP, 1)
    assert "Umfragen starten dürfen Sprecherinnen" in refusal[0].params["text"]

    rig.api.inject_message(
        GROUP,
        BERND,
        "/umfrage Zufrieden? | Ja | Teils | Nein --anonym --mehrfach 2 --offen",
        "supergroup",
    )
    message = await rig.api.wait_for(
        lambda: [
            c for c in rig.api.sent_to(GROUP, "sendMessage") if "Zufrieden?" in c.params["text"]
        ]
    )
    assert not rig.api.sent_to(GROUP, "sendPoll")  # Telegram's poll cannot be ours: buttons
    keyboard = message[0].params["reply_markup"]["inline_keyboard"]
    assert [row[0]["callback_data"] for row in keyboard] == ["v:1:+0", "v:1:+1", "v:1:+2"]
    message_id = message[0].result["message_id"]

    for user, data in ((CARL, "v:1:+0"), (CARL, "v:1:+2"), (DORA, "v:1:+2"), (DORA, "v:1:+1")):
        rig.api.inject_callback(GROUP, user, data, message_id)
    await rig.api.wait_for(lambda: len(rig.api.callback_answers) == 4)
    toasts = [a.get("text", "") for a in rig.api.callback_answers.values()]
    assert all("anonym" in t for t in toasts)
    await _settled(rig, 1, ((1, 1, 2), 2))
    rig.api.inject_callback(GROUP, DORA, "v:1:+0", message_id)  # a third choice: refused
    await rig.api.wait_for(lambda: len(rig.api.callback_answers) == 5)
    assert "höchstens 2" in list(rig.api.callback_answers.values())[-1]["text"]
    await _settled(rig, 1, ((1, 1, 2), 2))

    rig.api.inject_message(GROUP, BERND, "/umfrage_ende 1", "supergroup")
    await rig.api.wait_for(lambda: rig.api.sent_to(GROUP, "editMessageReplyMarkup"))
    rig.api.inject_callback(GROUP, CARL, "v:1:+1", message_id)  # a stale button
    await rig.api.wait_for(lambda: len(rig.api.callback_answers) == 6)
    assert "beendet" in list(rig.api.callback_answers.values())[-1]["text"]
    texts = rig.api.texts_to(GROUP)
    assert all("Carl" not in t and "Dora" not in t for t in texts)


def _answer(rig: Rig, poll_id: str, user: dict, option_ids: list[int]) -> dict:
    return {
        "poll_id": poll_id,
        "user": rig.api.user(user),
        "option_ids": option_ids,
        "option_persistent_ids": [str(i) for i in option_ids],
    }


async def _posted_as(rig: Rig, telegram_poll: str) -> bool:
    async with rig.app.uow() as uow:
        return await uow.polls.room_for(Platform.TELEGRAM, telegram_poll) is not None


async def _until(condition, timeout: float = 5.0) -> None:
    for _ in range(int(timeout / 0.02)):
        if await condition():
            return
        await asyncio.sleep(0.02)
    assert await condition()


async def _settled(rig: Rig, poll_id: int, expected) -> None:
    """Wait until the stored tally is ``expected`` (updates are handled in the background)."""

    async def reached() -> bool:
        return await tally(rig, poll_id) == expected

    await _until(reached)


OTHER_GROUP = -100999


async def test_chat_admins_run_polls_only_in_their_own_group(rig):
    """getChatMember decides: an admin of one group controls the polls started there, not
    those of another group, and nothing from a private chat."""
    rig.api.set_admins(GROUP, [BERND])
    rig.api.set_admins(OTHER_GROUP, [CARL])
    rig.api.inject_message(GROUP, BERND, "/umfrage Pause? | Ja | Nein", "supergroup")
    await rig.api.wait_for_sent(GROUP, 1, method="sendPoll")
    rig.api.inject_message(OTHER_GROUP, CARL, "/umfrage_ende 1", "supergroup")
    (refused,) = await rig.api.wait_for_sent(OTHER_GROUP, 1)
    assert "leiten Sie nicht" in refused.params["text"]
    rig.api.inject_message(CARL["id"], CARL, "/umfrage A? | B | C")
    (private,) = await rig.api.wait_for_sent(CARL["id"], 1)
    assert "Umfragen starten dürfen" in private.params["text"]
    rig.api.inject_message(GROUP, BERND, "/umfrage_ende 1", "supergroup")
    await rig.api.wait_for(lambda: rig.api.sent_to(GROUP, "stopPoll"))
    asked = [c for c in rig.api.calls if c.method == "getChatMember"]
    assert {int(c.params["chat_id"]) for c in asked} == {GROUP, OTHER_GROUP}  # asked per action


async def test_twenty_new_accounts_pressing_vote_buttons_add_nothing(rig):
    await linked_speaker(rig)
    rig.api.inject_message(GROUP, SARA, "/umfrage Geheim? | Ja | Nein --anonym", "supergroup")
    (posted,) = await rig.api.wait_for(
        lambda: [c for c in rig.api.sent_to(GROUP, "sendMessage") if "Geheim?" in c.params["text"]]
    )
    message_id = posted.result["message_id"]
    for n in range(20):
        stranger = {"id": 7100 + n, "first_name": f"Neu{n}"}
        rig.api.set_chat_member(GROUP, stranger, "member")
        rig.api.inject_callback(GROUP, stranger, "v:1:0", message_id)
    await rig.api.wait_for(lambda: len(rig.api.callback_answers) == 20, timeout=10)
    toasts = [a.get("text", "") for a in rig.api.callback_answers.values()]
    assert all("Personen des Netzwerks" in t for t in toasts)
    assert await tally(rig, 1) == ((0, 0), 0)


async def test_a_vote_from_a_private_chat_counts_only_for_members_of_the_poll_s_group(rig):
    await linked_speaker(rig)
    dora = await factories.person(rig.app, "Dora")
    async with rig.app.uow() as uow:
        await uow.identities.add(
            ChatIdentity(
                Platform.TELEGRAM, str(DORA["id"]), dora.id, created_at=rig.app.clock.now()
            )
        )
        await uow.commit()
    rig.api.inject_message(GROUP, SARA, "/umfrage Format? | Präsenz | Online", "supergroup")
    await rig.api.wait_for_sent(GROUP, 1, method="sendPoll")
    rig.api.inject_message(DORA["id"], DORA, "/abstimmen 1 2")
    (refused,) = await rig.api.wait_for_sent(DORA["id"], 1)
    assert "in einem der Chats der Umfrage" in refused.params["text"]
    rig.api.set_chat_member(GROUP, DORA, "member")
    rig.api.inject_message(DORA["id"], DORA, "/abstimmen 1 2")
    (_, counted) = await rig.api.wait_for_sent(DORA["id"], 2)
    assert "Ihre Stimme" in counted.params["text"]
    rig.api.set_chat_member(GROUP, DORA, "kicked")
    rig.api.inject_message(DORA["id"], DORA, "/abstimmen 1 1")
    (*_, after_ban) = await rig.api.wait_for_sent(DORA["id"], 3)
    assert "in einem der Chats der Umfrage" in after_ban.params["text"]
    assert await tally(rig, 1) == ((0, 1), 1)


@pytest.mark.parametrize("bot_is_admin", [True, False])
async def test_an_anonymous_vote_typed_into_the_group_is_refused_and_deleted(rig, bot_is_admin):
    await linked_speaker(rig)
    await linked_member(rig, DORA)
    if bot_is_admin:
        rig.api.set_chat_member(GROUP, rig.api.bot_user, "administrator")
    rig.api.inject_message(GROUP, SARA, "/umfrage Geheim? | Ja | Nein --anonym", "supergroup")
    await rig.api.wait_for(
        lambda: [c for c in rig.api.sent_to(GROUP, "sendMessage") if "Geheim?" in c.params["text"]]
    )
    typed = rig.api.make_message_update(GROUP, DORA, "/abstimmen 1 1", "supergroup")
    rig.api.inject_update(typed)
    message_id = typed["message"]["message_id"]
    hint = await rig.api.wait_for(
        lambda: [
            c
            for c in rig.api.sent_to(GROUP, "sendMessage")
            if "Direktchat" in c.params["text"] and "anonym" in c.params["text"]
        ]
    )
    assert hint
    if bot_is_admin:
        await rig.api.wait_for(lambda: not rig.api.message_exists(GROUP, message_id))
    else:
        tried = await rig.api.wait_for(
            lambda: [c for c in rig.api.calls if c.method == "deleteMessage"]
        )
        assert tried[0].status == 400  # Telegram refused: the hint has to do
        assert rig.api.message_exists(GROUP, message_id)
    assert await tally(rig, 1) == ((0, 0), 0)


async def test_a_poll_that_closed_while_its_post_was_retried_is_never_posted(rig):
    # sendPoll fails (502); the speaker ends the poll before the outbox tries again. The
    # retry must not post an open native poll after the result was announced.
    import sqlalchemy as sa

    from storage.tables import outbox

    await linked_speaker(rig)
    rig.api.set_chat_member(GROUP, SARA, "member")
    rig.api.fail_next("sendPoll", status=502)
    rig.api.inject_message(GROUP, SARA, "/umfrage Format? | Präsenz | Online", "supergroup")
    await rig.api.wait_for(lambda: [c for c in rig.api.calls if c.method == "sendPoll"])
    rig.api.inject_message(GROUP, SARA, "/umfrage_ende 1", "supergroup")
    await rig.api.wait_for(
        lambda: [t for t in rig.api.texts_to(GROUP) if "Umfrage Nr. 1 ist beendet" in t]
    )

    async def all_handled() -> bool:  # the retry (after its backoff) has run
        async with rig.app.database.engine.connect() as conn:
            rows = await conn.execute(sa.select(outbox.c.sent_at, outbox.c.failed_at))
            return all(sent or failed for sent, failed in rows)

    await _until(all_handled, timeout=15)
    assert rig.api.sent_to(GROUP, "sendPoll") == []  # no successful post, ever

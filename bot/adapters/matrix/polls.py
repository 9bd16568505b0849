"""Quick polls as Matrix polls (MSC3381): start and end events out, responses in as votes.

We send the unstable ``org.matrix.msc3381.poll.*`` events Element understands, each with the
MSC1767 text fallback (our poll text with the ``!abstimmen`` hint) for clients without polls.
Responses are read in both namespaces, unstable (``org.matrix.msc3381.poll.response`` with
``answers``) and stable (``m.poll.response`` with ``m.selections``), and become votes in the one
tally of the poll, each response exactly once (its event id is claimed like a message's).

Tally rules of MSC3381: a person's last response wins (we handle the timeline in order, and every
response replaces the vote); selections are cut to ``max_selections``; a response naming an
unknown answer is spoiled, like one with no selection, and withdraws the vote; responses after
the end (closed by hand, or timestamped after the deadline) are not counted.

Anonymous polls are not posted as Matrix polls: every room member sees who responded what, so
there the text (vote with ``!abstimmen``, best in a direct chat) stays the only way to vote.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from markupsafe import Markup

from bot.adapters.matrix.text import button_commands, hint_commands
from bot.messages import IncomingVote
from bot.reply import PollSpec, Reply, plain_text
from core.domain.authority import Place
from core.domain.people import Platform
from core.polls import Room, record_posted

if TYPE_CHECKING:
    from nio import MatrixRoom

    from bot.app import App


START = "org.matrix.msc3381.poll.start"
END = "org.matrix.msc3381.poll.end"
RESPONSE = "org.matrix.msc3381.poll.response"
STABLE_RESPONSE = "m.poll.response"
RESPONSE_TYPES = frozenset({RESPONSE, STABLE_RESPONSE})
TEXT = "org.matrix.msc1767.text"
DISCLOSED = "org.matrix.msc3381.poll.disclosed"
UNDISCLOSED = "org.matrix.msc3381.poll.undisclosed"
REFERENCE = "m.reference"

#: ``send(room_id, content, tx_id, event_type)`` → the event id (the sender's ``_room_send``).
Send = Callable[[str, dict[str, Any], str, str], Awaitable[str]]


# --- content -----------------------------------------------------------------------------------


def answer_id(index: int) -> str:
    """Option ``index`` (from 0) as an MSC3381 answer id: the number people see (``"1"``)."""
    return str(index + 1)


def native(spec: PollSpec) -> bool:
    """Posted as a Matrix poll unless anonymous (responses are visible to the whole room)."""
    return not spec.anonymous


def start_content(spec: PollSpec, fallback: str) -> dict[str, Any]:
    """An ``org.matrix.msc3381.poll.start`` with the text fallback clients without polls show."""
    return {
        START: {
            "question": {TEXT: spec.question, "body": spec.question, "msgtype": "m.text"},
            "kind": UNDISCLOSED if spec.hidden_results else DISCLOSED,
            "max_selections": spec.max_choices,
            "answers": [
                {"id": answer_id(n), TEXT: option} for n, option in enumerate(spec.options)
            ],
        },
        TEXT: fallback,
        "body": fallback,
    }


def end_content(start_event_id: str, fallback: str) -> dict[str, Any]:
    """An ``org.matrix.msc3381.poll.end`` referring to the poll's start event."""
    return {
        "m.relates_to": {"rel_type": REFERENCE, "event_id": start_event_id},
        END: {},
        TEXT: fallback,
        "body": fallback,
    }


def fallback_text(reply: Reply, prefix: str, hint: Callable[[Markup], Markup]) -> str:
    """The reply as plain text, with the vote commands written the Matrix way at the end."""
    text = reply.text
    commands = button_commands(reply, prefix)
    if commands:
        text = Markup("{}\n\n{}").format(text, hint(hint_commands(commands)))
    return plain_text(text)


# --- responses ---------------------------------------------------------------------------------


def poll_response(event: Any) -> tuple[str, list[str] | None] | None:
    """``(start event id, selections)`` for a poll response in either namespace, else ``None``.

    Selections are ``None`` when the response is malformed (a spoiled vote).
    """
    if getattr(event, "type", None) not in RESPONSE_TYPES:
        return None
    content = (getattr(event, "source", None) or {}).get("content")
    if not isinstance(content, dict):
        return None
    relation = content.get("m.relates_to")
    if not isinstance(relation, dict) or not isinstance(relation.get("event_id"), str):
        return None
    if "m.selections" in content:
        selections = content["m.selections"]
    else:
        block = content.get(RESPONSE)
        selections = block.get("answers") if isinstance(block, dict) else None
    if not isinstance(selections, list) or not all(isinstance(s, str) for s in selections):
        return relation["event_id"], None
    return relation["event_id"], selections


def choices_of(selections: list[str] | None, options: int, max_selections: int) -> list[int]:
    """MSC3381: cut to ``max_selections``; any unknown answer spoils the vote (no choice)."""
    if not selections:
        return []
    ids = {answer_id(n): n for n in range(options)}
    kept = selections[: max(max_selections, 1)]
    if any(s not in ids for s in kept):
        return []
    return sorted({ids[s] for s in kept})


def is_poll_response(event: Any) -> bool:
    return getattr(event, "type", None) in RESPONSE_TYPES


async def record_response(app: App, room: MatrixRoom, event: Any) -> None:
    """Count one poll response as a vote, exactly once (by the router, which claims its event
    id in the vote's transaction). Responses to polls that are not ours, after the end, or
    from the bot count nothing; Element shows the voter their choice, so we send no
    confirmation."""
    parsed = poll_response(event)
    if parsed is None or event.sender == app.settings.matrix_user_id:
        return
    start_id, selections = parsed
    sent_at = getattr(event, "server_timestamp", None)
    # Counted as of its timestamp (MSC3381), never later than now: a response sent before
    # the deadline still counts when we read it late, one sent after it does not.
    cast_at = None
    if isinstance(sent_at, int) and sent_at > 0:
        cast_at = datetime.fromtimestamp(sent_at / 1000, UTC)
    # The router pauses a flood of responses from one account, like its messages.
    await app.router.vote(
        IncomingVote(
            Platform.MATRIX,
            event.event_id,
            event.sender,
            room.user_name(event.sender) or event.sender,
            # The response was sent in this room: its sender is in it.
            Place(Platform.MATRIX, room.room_id, False, event.sender),
            external_poll_id=start_id,
            choices_for=lambda poll: choices_of(selections, len(poll.options), poll.max_choices),
            cast_at=cast_at,
        )
    )


# --- sending -----------------------------------------------------------------------------------


async def send_poll_events(app: App, room_id: str, reply: Reply, tx_id: str, send: Send) -> bool:
    """Before a reply with a poll is posted: an open poll goes out as a start event (returns
    True: it replaces the text); for a closed poll, the end event goes out (returns False: the
    result text follows). Anonymous polls stay text only."""
    spec = reply.poll
    if spec is None or not native(spec):
        return False
    if spec.closed:
        await _end(app, room_id, reply, spec, tx_id, send)
        return False
    settings = app.settings
    language = settings.default_language

    def hint(commands: Markup) -> Markup:
        return app.translator.t(language, "adapter.hint_buttons", commands=commands)

    content = start_content(spec, fallback_text(reply, settings.matrix_command_prefix, hint))
    event_id = await send(room_id, content, tx_id, START)
    await record_posted(
        app.uow(),
        poll_id=spec.poll_id,
        room=Room(Platform.MATRIX, room_id),
        external_poll_id=event_id,
        message_id=event_id,
    )
    return True


async def _end(
    app: App, room_id: str, reply: Reply, spec: PollSpec, tx_id: str, send: Send
) -> None:
    async with app.uow() as uow:
        rooms = await uow.polls.rooms(spec.poll_id)
    posted = next(
        (r for r in rooms if r.platform is Platform.MATRIX and r.chat_id == room_id), None
    )
    if posted is None or not posted.external_poll_id:
        return  # not posted here as a Matrix poll (text only, or posted elsewhere)
    content = end_content(posted.external_poll_id, plain_text(reply.text))
    await send(room_id, content, f"{tx_id}.end", END)

"""The Synapse harness works with real matrix-nio clients and shows real rate limits."""

from __future__ import annotations

import secrets
from typing import Any

import httpx
from nio import (
    AsyncClient,
    JoinResponse,
    RoomCreateResponse,
    RoomInviteResponse,
    RoomMessageNotice,
    RoomSendResponse,
    SyncResponse,
)

from tests.support import synapse as harness
from tests.support.synapse import RegisteredUser, SynapseServer, sync_until

# The session fixtures, bound by name for pytest. (`from ... import synapse` works as well, but
# then ruff reports F811 at every test parameter of that name.)
synapse = harness.synapse
synapse_default_limits = harness.synapse_default_limits


def _events(response: SyncResponse, room_id: str) -> list[Any]:
    room = response.rooms.join.get(room_id)
    return room.timeline.events if room else []


async def _create_room(client: AsyncClient) -> str:
    created = await client.room_create(name="harness")
    assert isinstance(created, RoomCreateResponse), created
    return created.room_id


def _send_raw(server: SynapseServer, user: RegisteredUser, room_id: str) -> httpx.Response:
    """One PUT /send with a fresh transaction id, bypassing nio's 429 retries."""
    return server.http.put(
        f"/_matrix/client/v3/rooms/{room_id}/send/m.room.message/{secrets.token_hex(8)}",
        json={"msgtype": "m.text", "body": "burst"},
        headers={"Authorization": f"Bearer {user.access_token}"},
    )


def _create_room_raw(server: SynapseServer, user: RegisteredUser) -> str:
    response = server.http.post(
        "/_matrix/client/v3/createRoom",
        json={"name": "burst"},
        headers={"Authorization": f"Bearer {user.access_token}"},
    )
    assert response.status_code == 200, response.text
    return response.json()["room_id"]


async def test_invite_join_and_formatted_notice(synapse: SynapseServer) -> None:
    alice_id, alice_password, _ = synapse.register_user()
    bob_id, bob_password, _ = synapse.register_user()
    alice = await synapse.login(alice_id, alice_password)
    bob = await synapse.login(bob_id, bob_password)
    try:
        room_id = await _create_room(alice)
        assert isinstance(await alice.room_invite(room_id, bob_id), RoomInviteResponse)

        await sync_until(bob, lambda r: room_id if room_id in r.rooms.invite else None)
        assert isinstance(await bob.join(room_id), JoinResponse)

        content = {
            "msgtype": "m.notice",
            "body": "Termine: Sommerfest",
            "format": "org.matrix.custom.html",
            "formatted_body": "<b>Termine</b>: Sommerfest",
        }
        sent = await alice.room_send(room_id, "m.room.message", content)
        assert isinstance(sent, RoomSendResponse), sent

        def notice(response: SyncResponse) -> RoomMessageNotice | None:
            return next(
                (e for e in _events(response, room_id) if e.event_id == sent.event_id), None
            )

        received = await sync_until(bob, notice)
        assert isinstance(received, RoomMessageNotice)
        assert received.sender == alice_id
        assert received.source["content"] == content
    finally:
        await alice.close()
        await bob.close()


async def test_same_transaction_id_returns_same_event(synapse: SynapseServer) -> None:
    async with synapse.human() as alice:
        room_id = await _create_room(alice)
        content = {"msgtype": "m.text", "body": f"once {secrets.token_hex(4)}"}
        tx_id = secrets.token_hex(8)

        first = await alice.room_send(room_id, "m.room.message", content, tx_id=tx_id)
        again = await alice.room_send(room_id, "m.room.message", content, tx_id=tx_id)
        assert isinstance(first, RoomSendResponse), first
        assert isinstance(again, RoomSendResponse), again
        assert again.event_id == first.event_id

        # A later marker bounds the wait; by then the timeline holds the message exactly once.
        marker = await alice.room_send(
            room_id, "m.room.message", {"msgtype": "m.text", "body": "."}
        )
        assert isinstance(marker, RoomSendResponse), marker
        seen: list[str] = []

        def collect_until_marker(response: SyncResponse) -> bool | None:
            events = _events(response, room_id)
            seen.extend(e.event_id for e in events if e.source["content"] == content)
            return True if any(e.event_id == marker.event_id for e in events) else None

        await sync_until(alice, collect_until_marker)
        assert seen == [first.event_id]


def test_fast_profile_allows_a_burst(synapse: SynapseServer) -> None:
    user = synapse.register_user()
    room_id = _create_room_raw(synapse, user)
    statuses = [_send_raw(synapse, user, room_id).status_code for _ in range(30)]
    assert statuses == [200] * 30


def test_default_limits_yield_429_until_overridden(
    synapse_default_limits: SynapseServer,
) -> None:
    server = synapse_default_limits
    user = server.register_user()
    room_id = _create_room_raw(server, user)

    limited = None
    for _ in range(50):  # Synapse's default rc_message burst is 10
        response = _send_raw(server, user, room_id)
        if response.status_code == 429:
            limited = response
            break
        assert response.status_code == 200, response.text
    assert limited is not None, "no 429 within 50 messages"
    body = limited.json()
    assert body["errcode"] == "M_LIMIT_EXCEEDED"
    assert isinstance(body["retry_after_ms"], int)
    assert body["retry_after_ms"] > 0

    server.override_ratelimit(user.user_id)
    statuses = [_send_raw(server, user, room_id).status_code for _ in range(30)]
    assert statuses == [200] * 30

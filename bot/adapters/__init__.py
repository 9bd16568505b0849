"""Platform adapters. Only these modules import ``telegram`` or ``nio``."""

from __future__ import annotations

from typing import Protocol

from fastapi import APIRouter

from core.domain.people import Platform


class Transport(Protocol):
    """A chat platform connection that ``engagiert-bot serve`` runs inside its event loop."""

    platform: Platform
    #: For /healthz: "starting", "down" (set by ``serve``), or the transport's own word for
    #: running ("polling", "webhook", "syncing") and "degraded" while it cannot reach its
    #: server.
    state: str

    def routes(self) -> APIRouter | None:
        """HTTP routes the transport needs (a webhook), mounted on the service's app."""
        ...

    async def start(self) -> None:
        """Connect, then receive in background tasks; return once running."""
        ...

    async def stop(self) -> None:
        """Finish the update in hand, stop receiving, close connections."""
        ...

"""Matrix rooms and direct chats through matrix-nio (see ``transport``)."""

from bot.adapters.matrix.transport import MatrixTransport

__all__ = ["MatrixTransport"]

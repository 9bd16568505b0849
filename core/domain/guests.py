"""What a guest may do at most. A guest is a chat account that no one has linked to a person
of the network (no invitation redeemed): anyone can create such accounts in numbers, so their
reach into shared resources (event places, the office's attention) is bounded."""

from __future__ import annotations

from datetime import timedelta

#: Active registrations (confirmed or waiting) for events that have not ended.
ACTIVE_REGISTRATIONS = 2
#: Questions forwarded with ``/weiterleiten`` within :data:`FORWARD_WINDOW`.
FORWARDS = 3
FORWARD_WINDOW = timedelta(days=1)

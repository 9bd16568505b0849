"""The database schema (SQLAlchemy Core). Alembic migrations must match it; a test checks."""

from __future__ import annotations

from datetime import UTC, datetime

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql
from sqlalchemy.engine import Dialect

#: PostgreSQL keeps jsonb keys in its own order (by length, then bytes): not the order of voting.
BALLOTS = sa.JSON().with_variant(postgresql.JSONB(), "postgresql")

metadata = sa.MetaData(
    naming_convention={
        "ix": "ix_%(column_0_label)s",
        "uq": "uq_%(table_name)s_%(column_0_name)s",
        "ck": "ck_%(table_name)s_%(constraint_name)s",
        "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
        "pk": "pk_%(table_name)s",
    }
)


class UTCDateTime(sa.TypeDecorator[datetime]):
    """Aware datetimes in, aware UTC datetimes out — on SQLite as on PostgreSQL."""

    impl = sa.DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to the database")
        value = value.astimezone(UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


ACTIVE_REGISTRATION = sa.text("status IN ('confirmed', 'waitlisted')")

members = sa.Table(
    "members",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("name", sa.String(120), nullable=False, unique=True),
    sa.Column("kind", sa.String(32), nullable=False),
    sa.Column("municipality_key", sa.String(8)),
    sa.Column("joined_on", sa.Date),
)

#: Ids that people type or read in messages (person numbers, question numbers) are never
#: handed out again after a delete (SQLite reuses the highest rowid without AUTOINCREMENT;
#: PostgreSQL's sequences never do).
NEVER_REUSED = {"sqlite_autoincrement": True}

persons = sa.Table(
    "persons",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("display_name", sa.String(120), nullable=False),
    sa.Column("member_id", sa.ForeignKey("members.id", ondelete="SET NULL"), index=True),
    sa.Column("roles", sa.JSON, nullable=False),
    sa.Column("supporter_topics", sa.JSON, nullable=False),
    sa.Column("language", sa.String(2), nullable=False),
    sa.Column("is_guest", sa.Boolean, nullable=False),
    sa.Column("created_at", UTCDateTime, nullable=False),
    #: Came in through a chat account under a name of its own choosing (not ``person add``).
    sa.Column("self_registered", sa.Boolean, nullable=False),
    #: When the short privacy notice was shown in a chat (DSGVO Art. 13).
    sa.Column("privacy_notice_at", UTCDateTime),
    **NEVER_REUSED,
)

chat_identities = sa.Table(
    "chat_identities",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("platform", sa.String(16), nullable=False),
    sa.Column("external_id", sa.String(255), nullable=False),
    sa.Column(
        "person_id", sa.ForeignKey("persons.id", ondelete="CASCADE"), nullable=False, index=True
    ),
    sa.Column("display_name", sa.String(255)),
    sa.Column("created_at", UTCDateTime, nullable=False),
    sa.UniqueConstraint("platform", "external_id", name="uq_chat_identities_platform"),
)

events = sa.Table(
    "events",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("kind", sa.String(32), nullable=False),
    sa.Column("title", sa.String(200), nullable=False),
    sa.Column("description", sa.Text, nullable=False),
    sa.Column("starts_at", UTCDateTime, nullable=False, index=True),
    sa.Column("ends_at", UTCDateTime, nullable=False),
    sa.Column("place", sa.String(300)),
    sa.Column("video_url", sa.String(500)),
    sa.Column("capacity", sa.Integer),
    sa.Column("online_capacity", sa.Integer),
    sa.Column("registration_deadline", UTCDateTime),
    sa.Column("audience", sa.String(16), nullable=False),
    sa.Column("cancelled", sa.Boolean, nullable=False),
    sa.Column("speaker_id", sa.ForeignKey("persons.id", ondelete="SET NULL"), index=True),
    #: A freed place is offered to the first person waiting (``core.signup``), not given.
    sa.Column("waitlist_offers", sa.Boolean, nullable=False, server_default=sa.false()),
    sa.Column("sequence", sa.Integer, nullable=False, server_default="0"),
    sa.Column("updated_at", UTCDateTime),
    #: The series the event is a date of (``series`` below); its dates are ordered by id.
    sa.Column("series_id", sa.ForeignKey("series.id", ondelete="SET NULL"), index=True),
)

registrations = sa.Table(
    "registrations",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("event_id", sa.ForeignKey("events.id", ondelete="CASCADE"), nullable=False),
    sa.Column("person_id", sa.ForeignKey("persons.id", ondelete="SET NULL"), index=True),
    sa.Column("status", sa.String(16), nullable=False),
    #: "on_site" or "online" (core.domain.registrations.Mode): each has its own waiting list.
    sa.Column("mode", sa.String(16), nullable=False, server_default="on_site"),
    sa.Column("waitlist_position", sa.Integer),
    #: Someone waiting who was offered a place holds it until then (``waitlist_offers``).
    sa.Column("offered_until", UTCDateTime, index=True),
    sa.Column("created_at", UTCDateTime, nullable=False),
    sa.Column("updated_at", UTCDateTime, nullable=False),
    sa.Index("ix_registrations_event_status", "event_id", "mode", "status", "waitlist_position"),
    sa.Index(
        "uq_registrations_active",
        "event_id",
        "person_id",
        unique=True,
        postgresql_where=ACTIVE_REGISTRATION,
        sqlite_where=ACTIVE_REGISTRATION,
    ),
)

invitations = sa.Table(
    "invitations",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("code_hash", sa.String(64), nullable=False, unique=True),
    sa.Column("member_id", sa.ForeignKey("members.id", ondelete="CASCADE"), index=True),
    #: A personal invitation links a chat account to this person.
    sa.Column("person_id", sa.ForeignKey("persons.id", ondelete="CASCADE"), index=True),
    sa.Column("created_by", sa.ForeignKey("persons.id", ondelete="SET NULL"), index=True),
    sa.Column("created_at", UTCDateTime, nullable=False),
    sa.Column("expires_at", UTCDateTime, nullable=False),
    sa.Column("max_uses", sa.Integer, nullable=False),
    sa.Column("uses", sa.Integer, nullable=False),
    sa.CheckConstraint("(member_id IS NULL) <> (person_id IS NULL)", name="one_target"),
)

# --- delivery: exactly-once input, durable output, transport cursors --------------------------

processed_inputs = sa.Table(
    "processed_inputs",
    metadata,
    sa.Column("platform", sa.String(16), primary_key=True),
    sa.Column("external_id", sa.String(255), primary_key=True),
    sa.Column("processed_at", UTCDateTime, nullable=False, index=True),
)

#: What the bot waits for from a person: one pending dialogue step each (``core.dialogues``).
dialogues = sa.Table(
    "dialogues",
    metadata,
    sa.Column("person_id", sa.ForeignKey("persons.id", ondelete="CASCADE"), primary_key=True),
    sa.Column("kind", sa.String(32), nullable=False),
    sa.Column("data", sa.JSON, nullable=False),
    sa.Column("expires_at", UTCDateTime, nullable=False),
)

transport_state = sa.Table(
    "transport_state",
    metadata,
    sa.Column("key", sa.String(64), primary_key=True),
    sa.Column("value", sa.Text, nullable=False),
    sa.Column("updated_at", UTCDateTime, nullable=False),
)

outbox = sa.Table(
    "outbox",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("platform", sa.String(16), nullable=False),
    sa.Column("chat_id", sa.String(255), nullable=False),
    sa.Column("payload", sa.JSON, nullable=False),
    sa.Column("tx_id", sa.String(64), nullable=False, unique=True),
    sa.Column("created_at", UTCDateTime, nullable=False),
    sa.Column("next_attempt_at", UTCDateTime, nullable=False),
    sa.Column("claimed_until", UTCDateTime),
    #: The process (``App.instance``) whose lease ``claimed_until`` is.
    sa.Column("claimed_by", sa.String(100)),
    sa.Column("attempts", sa.Integer, nullable=False),
    sa.Column("sent_at", UTCDateTime),
    sa.Column("failed_at", UTCDateTime),
    sa.Column("last_error", sa.Text),
    sa.Index("ix_outbox_due", "platform", "sent_at", "failed_at", "next_attempt_at"),
)

# --- knowledge base: entries, questions forwarded to people, unanswered queries ------------

faq_entries = sa.Table(
    "faq_entries",
    metadata,
    sa.Column("id", sa.String(100), primary_key=True),
    sa.Column("position", sa.Integer, nullable=False),
    sa.Column("question", sa.Text, nullable=False),
    sa.Column("answer", sa.Text, nullable=False),
    sa.Column("variants", sa.JSON, nullable=False),
    sa.Column("tags", sa.JSON, nullable=False),
    sa.Column("links", sa.JSON, nullable=False),
    sa.Column("topic", sa.String(100)),
    sa.Column("updated_at", UTCDateTime, nullable=False),
)

faq_questions = sa.Table(
    "faq_questions",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column(
        "asker_id", sa.ForeignKey("persons.id", ondelete="CASCADE"), nullable=False, index=True
    ),
    sa.Column("text", sa.Text, nullable=False),
    sa.Column("topic", sa.String(100)),
    sa.Column("created_at", UTCDateTime, nullable=False),
    sa.Column("answered_by", sa.ForeignKey("persons.id", ondelete="SET NULL"), index=True),
    sa.Column("answered_at", UTCDateTime),
    sa.Column("answer", sa.Text),
    **NEVER_REUSED,
)

#: Normalised query text and counts only: who asked is not recorded.
#: "Hat das geholfen?" per entry: counts only, nobody's name (an entry's feedback outlives it
#: only until the entry is deleted; see FaqFeedbackRepository).
faq_feedback = sa.Table(
    "faq_feedback",
    metadata,
    sa.Column("entry_id", sa.String(100), primary_key=True),
    sa.Column("helpful", sa.Integer, nullable=False),
    sa.Column("unhelpful", sa.Integer, nullable=False),
)

faq_gaps = sa.Table(
    "faq_gaps",
    metadata,
    sa.Column("query", sa.String(300), primary_key=True),
    sa.Column("count", sa.Integer, nullable=False),
    sa.Column("first_seen", UTCDateTime, nullable=False),
    sa.Column("last_seen", UTCDateTime, nullable=False),
)

# --- reminders, announcements, calendar feeds --------------------------------------------

#: Notices to persons, due at a time; the hub turns each into one outbox row (or a console line).
notifications = sa.Table(
    "notifications",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column(
        "person_id", sa.ForeignKey("persons.id", ondelete="CASCADE"), nullable=False, index=True
    ),
    sa.Column("key", sa.String(64), nullable=False),
    sa.Column("params", sa.JSON, nullable=False),
    sa.Column("due_at", UTCDateTime, nullable=False),
    sa.Column("dedupe_key", sa.String(200), unique=True),
    sa.Column("event_id", sa.ForeignKey("events.id", ondelete="CASCADE"), index=True),
    sa.Column("announcement_id", sa.ForeignKey("announcements.id", ondelete="CASCADE"), index=True),
    sa.Column("platform", sa.String(16)),
    sa.Column("outbox_id", sa.Integer, index=True),
    sa.Column("sent_at", UTCDateTime),
    sa.Column("failed_at", UTCDateTime),
    sa.Column("last_error", sa.Text),
    sa.Index("ix_notifications_due", "sent_at", "failed_at", "due_at"),
)

person_preferences = sa.Table(
    "person_preferences",
    metadata,
    sa.Column("person_id", sa.ForeignKey("persons.id", ondelete="CASCADE"), primary_key=True),
    sa.Column("reminders", sa.Boolean, nullable=False),
    sa.Column("deadline_reminders", sa.Boolean, nullable=False),
    sa.Column("preferred_platform", sa.String(16)),
    sa.Column("calendar_token_hash", sa.String(64), unique=True),
    #: ``core.domain.mail.Channel``: chat first, e-mail first, or both for announcements.
    sa.Column("channel", sa.String(8), nullable=False, server_default="chat"),
)

#: A person's e-mail address (double opt-in): the confirmed one and one awaiting confirmation.
email_addresses = sa.Table(
    "email_addresses",
    metadata,
    sa.Column("person_id", sa.ForeignKey("persons.id", ondelete="CASCADE"), primary_key=True),
    sa.Column("address", sa.String(254), index=True),
    sa.Column("confirmed_at", UTCDateTime),
    sa.Column("pending_address", sa.String(254)),
    sa.Column("pending_token_hash", sa.String(64), unique=True),
    sa.Column("pending_since", UTCDateTime),
    sa.Column("undeliverable_at", UTCDateTime),
    sa.Column("problem", sa.String(300)),
    sa.Column("announcements", sa.Boolean, nullable=False),
    sa.Column("pending_problem", sa.String(300)),
)

#: Whose calendar holds an event from a mailed invitation (iTIP ``REQUEST``): changes and
#: cancellations go to them by mail too, whatever channel they chose.
mail_calendar = sa.Table(
    "mail_calendar",
    metadata,
    sa.Column("person_id", sa.ForeignKey("persons.id", ondelete="CASCADE"), primary_key=True),
    sa.Column("event_id", sa.ForeignKey("events.id", ondelete="CASCADE"), primary_key=True),
)

#: Reminder offsets (minutes before the start) for events that do not use the defaults.
event_reminders = sa.Table(
    "event_reminders",
    metadata,
    sa.Column("event_id", sa.ForeignKey("events.id", ondelete="CASCADE"), primary_key=True),
    sa.Column("minutes_before", sa.JSON, nullable=False),
)

announcements = sa.Table(
    "announcements",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("text", sa.Text, nullable=False),
    sa.Column("audience", sa.String(16), nullable=False),
    sa.Column("audience_ref", sa.String(200)),
    sa.Column("author_id", sa.ForeignKey("persons.id", ondelete="SET NULL"), index=True),
    sa.Column("created_at", UTCDateTime, nullable=False),
    sa.Column("recipients", sa.Integer, nullable=False),
    sa.Column("completed_at", UTCDateTime),
    # The desk's preview key: one announcement per preview, however often it is sent.
    sa.Column("draft", sa.String(64)),
    #: An information mail's subject (the text is its Markdown body).
    sa.Column("subject", sa.String(200)),
    #: The event the mail invites to: each mail carries a personal "Anmelden" link.
    sa.Column("event_id", sa.ForeignKey("events.id", ondelete="SET NULL")),
    sa.UniqueConstraint("draft", name="uq_announcements_draft"),
)

# --- quick polls: the poll, the rooms it was posted to, the current votes ---------------------

polls = sa.Table(
    "polls",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("question", sa.String(300), nullable=False),
    sa.Column("options", sa.JSON, nullable=False),
    sa.Column("max_choices", sa.Integer, nullable=False),
    sa.Column("anonymous", sa.Boolean, nullable=False),
    sa.Column("hidden_results", sa.Boolean, nullable=False),
    sa.Column("closes_at", UTCDateTime, index=True),
    sa.Column("event_id", sa.ForeignKey("events.id", ondelete="SET NULL")),
    sa.Column("creator_id", sa.ForeignKey("persons.id", ondelete="SET NULL"), index=True),
    sa.Column("created_at", UTCDateTime, nullable=False),
    sa.Column("closed_at", UTCDateTime),
    sa.Column("token", sa.String(64), nullable=False, unique=True),
    sa.Column("join_code", sa.String(16), nullable=False, unique=True),
    #: Anonymous polls: the per-poll value that, with the server's secret key (never in the
    #: database), makes the voter pseudonyms; set to NULL when the poll closes.
    sa.Column("salt", sa.LargeBinary(32)),
    #: Anonymous polls while open: {pseudonym: [choices bit mask, times changed]}, pseudonyms
    #: sorted, so that neither row order nor ids nor times tell who voted when; NULL at closing.
    sa.Column("ballots", BALLOTS),
    #: Frozen at closing: {"counts": [...], "participants": n}.
    sa.Column("result", sa.JSON),
    #: The chat the poll was started in (its moderators may run it there).
    sa.Column("origin_platform", sa.String(16)),
    sa.Column("origin_chat_id", sa.String(255)),
    sa.Column("open_to_guests", sa.Boolean, nullable=False),
)

poll_rooms = sa.Table(
    "poll_rooms",
    metadata,
    sa.Column("poll_id", sa.ForeignKey("polls.id", ondelete="CASCADE"), primary_key=True),
    sa.Column("platform", sa.String(16), primary_key=True),
    sa.Column("chat_id", sa.String(255), primary_key=True),
    #: The platform's id of the posted poll (Telegram poll id, Matrix poll start event id).
    sa.Column("external_poll_id", sa.String(255)),
    sa.Column("message_id", sa.String(255)),
    sa.Column("created_at", UTCDateTime, nullable=False),
    sa.UniqueConstraint("platform", "external_poll_id", name="uq_poll_rooms_external"),
)

#: A person's current choice in a named poll (a bit per option). No timestamps. (Anonymous
#: votes are no rows at all: see ``polls.ballots``.)
poll_votes = sa.Table(
    "poll_votes",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("poll_id", sa.ForeignKey("polls.id", ondelete="CASCADE"), nullable=False),
    sa.Column(
        "person_id", sa.ForeignKey("persons.id", ondelete="CASCADE"), nullable=False, index=True
    ),
    sa.Column("choices", sa.Integer, nullable=False),
    sa.Column("changes", sa.Integer, nullable=False),  # how often replaced, for the wording
    sa.UniqueConstraint("poll_id", "person_id", name="uq_poll_votes_person"),
)

#: The chats where one event's participants sit (the Telegram group and Matrix room of a short
#: format): a poll started for the event is posted into all of them at once.
event_rooms = sa.Table(
    "event_rooms",
    metadata,
    sa.Column("event_id", sa.ForeignKey("events.id", ondelete="CASCADE"), primary_key=True),
    sa.Column("platform", sa.String(16), primary_key=True),
    sa.Column("chat_id", sa.String(255), primary_key=True),
    sa.Column("linked_at", UTCDateTime, nullable=False),
)

#: The office's web desk: one-time sign-in links (``kind`` "link", ten minutes) and the
#: sessions they open ("session", a working day). Only hashes of the tokens are kept.
web_access = sa.Table(
    "web_access",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("token_hash", sa.String(64), nullable=False, unique=True),
    sa.Column("kind", sa.String(8), nullable=False),
    sa.Column(
        "person_id", sa.ForeignKey("persons.id", ondelete="CASCADE"), nullable=False, index=True
    ),
    sa.Column("created_at", UTCDateTime, nullable=False),
    sa.Column("expires_at", UTCDateTime, nullable=False),
    sa.Column("used_at", UTCDateTime),
)

#: Bearer tokens of the REST API: a name, a scope (read, write) and the token's hash.
api_tokens = sa.Table(
    "api_tokens",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("name", sa.String(64), nullable=False, unique=True),
    sa.Column("token_hash", sa.String(64), nullable=False, unique=True),
    sa.Column("scope", sa.String(8), nullable=False),
    sa.Column("created_at", UTCDateTime, nullable=False),
    sa.Column("last_used_at", UTCDateTime),
    sa.Column("revoked_at", UTCDateTime),
)

#: What the office and API clients did: ``actor_id`` (a person, ``NULL`` for the operator or
#: an API client, named in ``via``), the action, its subject and the names of changed fields.
audit_log = sa.Table(
    "audit_log",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("at", UTCDateTime, nullable=False, index=True),
    sa.Column("actor_id", sa.ForeignKey("persons.id", ondelete="SET NULL"), index=True),
    sa.Column("via", sa.String(80), nullable=False),
    sa.Column("action", sa.String(40), nullable=False),
    sa.Column("subject", sa.String(80), nullable=False),
    sa.Column("details", sa.JSON, nullable=False),
)

# --- attendance: check-ins at events and the codes members scan ------------------------------

#: Who was at an event (checked in by the office or the event's speaker, or with the event's
#: code): for Teilnahmebescheinigungen and the attendance per municipality.
attendance = sa.Table(
    "attendance",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("event_id", sa.ForeignKey("events.id", ondelete="CASCADE"), nullable=False),
    sa.Column(
        "person_id", sa.ForeignKey("persons.id", ondelete="CASCADE"), nullable=False, index=True
    ),
    sa.Column("checked_in_at", UTCDateTime, nullable=False),
    #: ``core.domain.attendance.CheckInMethod``: "office" or "code".
    sa.Column("method", sa.String(8), nullable=False),
    #: When the office sent this person's certificate (``/bescheinigung ID alle``).
    sa.Column("certificate_sent_at", UTCDateTime),
    sa.UniqueConstraint("event_id", "person_id", name="uq_attendance_event_id"),
)

#: Each event's attendance code (``/start a_<code>``), shown to the office and the speaker.
attendance_codes = sa.Table(
    "attendance_codes",
    metadata,
    sa.Column("event_id", sa.ForeignKey("events.id", ondelete="CASCADE"), primary_key=True),
    sa.Column("code", sa.String(32), nullable=False, unique=True),
    sa.Column("created_at", UTCDateTime, nullable=False),
)

# --- event series: the rule of repeated events; each date is a row of ``events`` -------------

#: A series' rule (``core.domain.series.Series``): its dates are the events with its id.
series = sa.Table(
    "series",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    #: ``core.domain.series.Frequency``: weekly, biweekly, monthly, monthly-day.
    sa.Column("frequency", sa.String(16), nullable=False),
    #: The first date's planned start; the rule repeats its wall-clock time in ``timezone``.
    sa.Column("first_start", UTCDateTime, nullable=False),
    sa.Column("duration_seconds", sa.Integer, nullable=False),
    sa.Column("count", sa.Integer),
    sa.Column("until", sa.Date),
    sa.Column("timezone", sa.String(64), nullable=False),
    sa.Column("created_at", UTCDateTime, nullable=False),
)

# --- evaluation surveys: anonymous answers, kept apart from who was asked -------------------

#: One survey per event. ``responses``: the answers, one list per respondent, under random
#: keys (a map with no person, no time and no order of answering: jsonb keeps its keys in its
#: own order, SQLite's text is rewritten sorted); ``salt`` makes the "has answered"
#: pseudonyms with the server's secret and is destroyed at closing.
surveys = sa.Table(
    "surveys",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column(
        "event_id",
        sa.ForeignKey("events.id", ondelete="CASCADE"),
        nullable=False,
        unique=True,
    ),
    sa.Column("title", sa.String(200), nullable=False),
    sa.Column("questions", sa.JSON, nullable=False),
    sa.Column("created_at", UTCDateTime, nullable=False),
    sa.Column("send_at", UTCDateTime, nullable=False),
    sa.Column("reminder_after_s", sa.Integer, nullable=False),
    sa.Column("open_for_s", sa.Integer, nullable=False),
    sa.Column("sent_at", UTCDateTime),
    sa.Column("remind_at", UTCDateTime),
    sa.Column("reminded_at", UTCDateTime),
    sa.Column("closes_at", UTCDateTime),
    sa.Column("closed_at", UTCDateTime),
    sa.Column("invited", sa.Integer, nullable=False, server_default="0"),
    sa.Column("salt", sa.LargeBinary(32)),
    sa.Column("responses", BALLOTS, nullable=False),
)

#: Who a survey was sent to, and their answers so far while they are answering (``draft``,
#: deleted with the last answer, which goes into ``surveys.responses``). Deleted at closing.
survey_recipients = sa.Table(
    "survey_recipients",
    metadata,
    sa.Column("survey_id", sa.ForeignKey("surveys.id", ondelete="CASCADE"), primary_key=True),
    sa.Column(
        "person_id", sa.ForeignKey("persons.id", ondelete="CASCADE"), primary_key=True, index=True
    ),
    sa.Column("draft", sa.JSON),
)

#: "Has answered": a pseudonym per respondent (HMAC under a key derived from the survey's
#: salt and the server's secret, which the database does not hold). No time. Deleted at
#: closing.
survey_answered = sa.Table(
    "survey_answered",
    metadata,
    sa.Column("survey_id", sa.ForeignKey("surveys.id", ondelete="CASCADE"), primary_key=True),
    sa.Column("voter_key", sa.String(64), primary_key=True),
)

# --- event rooms: registered members invited to an event's Matrix room ---------------------

#: The event rooms whose confirmed participants the bot invites (``/termin_raum ID einladen``);
#: unlinking the room ends it, a room upgrade moves it along (``core.event_rooms``).
event_room_invitations = sa.Table(
    "event_room_invitations",
    metadata,
    sa.Column("event_id", sa.Integer, primary_key=True),
    sa.Column("platform", sa.String(16), primary_key=True),
    sa.Column("chat_id", sa.String(255), primary_key=True),
    sa.Column("since", UTCDateTime, nullable=False),
    sa.ForeignKeyConstraint(
        ["event_id", "platform", "chat_id"],
        ["event_rooms.event_id", "event_rooms.platform", "event_rooms.chat_id"],
        ondelete="CASCADE",
        onupdate="CASCADE",
    ),
)

#: Whom the bot invited to an event room, with the outbox row of the invitation: only those
#: whose invitation went out are removed again when they are no longer registered.
event_room_invites = sa.Table(
    "event_room_invites",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("event_id", sa.Integer, nullable=False),
    sa.Column("platform", sa.String(16), nullable=False),
    sa.Column("chat_id", sa.String(255), nullable=False),
    sa.Column(
        "person_id", sa.ForeignKey("persons.id", ondelete="CASCADE"), nullable=False, index=True
    ),
    #: The account invited (a Matrix user id).
    sa.Column("user_id", sa.String(255), nullable=False),
    sa.Column("outbox_id", sa.ForeignKey("outbox.id", ondelete="SET NULL")),
    sa.Column("invited_at", UTCDateTime, nullable=False),
    sa.ForeignKeyConstraint(
        ["event_id", "platform", "chat_id"],
        [
            "event_room_invitations.event_id",
            "event_room_invitations.platform",
            "event_room_invitations.chat_id",
        ],
        ondelete="CASCADE",
        onupdate="CASCADE",
    ),
    sa.UniqueConstraint("event_id", "platform", "chat_id", "user_id", name="uq_event_room_invites"),
)

#: What an organizer asks everyone who signs up for an event (``core.questions``).
event_questions = sa.Table(
    "event_questions",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("event_id", sa.ForeignKey("events.id", ondelete="CASCADE"), nullable=False),
    sa.Column("position", sa.Integer, nullable=False),  # 1, 2, … in the order they are asked
    sa.Column("kind", sa.String(8), nullable=False),  # core.domain.questions.QuestionKind
    sa.Column("prompt", sa.String(300), nullable=False),
    sa.Column("options", sa.JSON, nullable=False),  # the choices of a "choice" question
    sa.Column("required", sa.Boolean, nullable=False),
    sa.UniqueConstraint("event_id", "position", name="uq_event_questions_event_id"),
)

#: A person's answers to an event's registration questions, deleted some days after the
#: event (``ENGAGIERT_RETENTION_ANSWERS_DAYS``).
registration_answers = sa.Table(
    "registration_answers",
    metadata,
    sa.Column(
        "question_id",
        sa.ForeignKey("event_questions.id", ondelete="CASCADE"),
        primary_key=True,
    ),
    sa.Column(
        "person_id", sa.ForeignKey("persons.id", ondelete="CASCADE"), primary_key=True, index=True
    ),
    sa.Column("value", sa.String(500), nullable=False),
)

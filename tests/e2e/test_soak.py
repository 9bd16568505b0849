"""The soak run of ``bench/soak.py`` for one minute: ``serve`` on PostgreSQL with Telegram and
Matrix under a mixed load, the database connection cut twice for 10 s (through a TCP proxy,
never by stopping the shared server) and the process killed once; afterwards every command
was answered exactly once – save an answer the killed process was handing over at the very
moment of the kill, which the outbox sends again (at least once at that boundary) –
``/healthz`` is green and SIGTERM stops it cleanly."""

from __future__ import annotations

from bench.soak import soak
from tests.support.synapse import SynapseServer

DURATION = 60.0


async def test_one_minute_soak_answers_every_command_exactly_once(synapse: SynapseServer, tmp_path):
    report = await soak(DURATION, tmp_path, synapse)
    table = report.table()
    print(table)
    assert len(report.commands) > 100, table
    assert report.outages == 2 and report.restarts == 1, table
    assert not report.missing, table
    assert not report.doubled, table
    assert len(report.resent_at_kill) <= 2, table  # only what was in flight at the kill
    assert not report.vote_problems, table
    assert report.health_green, table
    assert report.exit_codes == [-9, 0], table  # killed once, then stopped cleanly

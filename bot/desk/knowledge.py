"""The desk's knowledge base (organizers): the entries with a search through the bot's own
retrieval, the form to write or change an entry with a preview of its answer as the chat
shows it, deleting with a confirmation, the topics with their supporters, the forwarded
questions with their answers, and the gaps, each a click away from a new entry."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import Response
from markupsafe import Markup

from bot.desk.pages import Desk, Field
from bot.markdown import markdown
from core.domain.errors import InvalidInput
from core.domain.faq import FaqEntry, topic_label
from core.faq import FaqResult
from core.kb import (
    LONG_GAP,
    answered_questions,
    delete_entry,
    draft_entry,
    entries_to_manage,
    entry_problems,
    get_entry,
    list_gaps,
    open_questions,
    save_entry,
    search,
    topic_coverage,
    unhelpful_entries,
)
from core.web_access import Session

#: How many hits the search box shows.
HITS = 10
#: Which form field an error of the core belongs to (``faq_too_long`` names its own).
FIELD_OF = {
    "faq_id_invalid": "id",
    "faq_id_taken": "id",
    "faq_question_empty": "question",
    "faq_answer_empty": "answer",
}


def add_knowledge_routes(router: APIRouter, desk: Desk) -> None:
    app = desk.app

    @router.get("/wissen", include_in_schema=False)
    async def entries(request: Request, suche: str = "") -> Response:
        async def page(session: Session) -> Response:
            stored = await entries_to_manage(app.uow(), actor_id=session.person.id)
            hits, problem = [], ""
            if suche.strip():
                try:
                    hits = _hits(search(app.faq, query=suche, limit=HITS))
                except InvalidInput as exc:
                    problem = desk.explained(exc)
            rows = [
                {
                    "id": e.id,
                    "question": e.question,
                    "topic": topic_label(e.topic) if e.topic else "",
                    "updated": app.translator.date("de", e.updated) if e.updated else "",
                }
                for e in stored
            ]
            return desk.page(
                request,
                "kb_entries.html",
                "Wissensbasis",
                session=session,
                entries=rows,
                query=suche,
                hits=hits,
                problem=problem,
            )

        return await desk.guarded(request, page)

    @router.get("/wissen/neu", include_in_schema=False)
    async def new_form(request: Request, frage: str = "") -> Response:
        async def page(session: Session) -> Response:
            topics = await _topics(session)
            draft = draft_entry(app.faq, frage) if frage.strip() else FaqEntry("", "", "")
            return _form(request, session, _fields(draft, new=True), topics, new=True)

        return await desk.guarded(request, page)

    @router.post("/wissen/neu", include_in_schema=False)
    async def new_entry(request: Request) -> Response:
        async def page(session: Session) -> Response:
            return await _sent(request, session, None)

        return await desk.guarded(request, page, posted=True)

    @router.get("/wissen/themen", include_in_schema=False)
    async def topics(request: Request) -> Response:
        async def page(session: Session) -> Response:
            coverage = await topic_coverage(app.uow(), actor_id=session.person.id)
            rows = [
                {"topic": topic_label(c.topic), "entries": c.entries, "supporters": c.supporters}
                for c in coverage.topics
            ]
            return desk.page(
                request,
                "kb_topics.html",
                "Themen und Unterstützung",
                session=session,
                topics=rows,
                generalists=coverage.generalists,
            )

        return await desk.guarded(request, page)

    @router.get("/wissen/fragen", include_in_schema=False)
    async def questions(request: Request) -> Response:
        async def page(session: Session) -> Response:
            answered = await answered_questions(app.uow(), actor_id=session.person.id)
            waiting = await open_questions(app.uow(), actor_id=session.person.id)
            t = app.translator
            return desk.page(
                request,
                "kb_questions.html",
                "Weitergeleitete Fragen",
                session=session,
                waiting=[
                    {
                        "id": q.id,
                        "asked": t.datetime("de", q.created_at),
                        "topic": topic_label(q.topic) if q.topic else "",
                        "text": q.text,
                    }
                    for q in waiting
                ],
                answered=[
                    {
                        "id": a.question.id,
                        "text": a.question.text,
                        "answer": markdown(a.question.answer or ""),
                        "by": a.by or "(gelöscht)",
                        "at": t.datetime("de", a.question.answered_at)
                        if a.question.answered_at
                        else "",
                    }
                    for a in answered
                ],
            )

        return await desk.guarded(request, page)

    @router.get("/wissen/luecken", include_in_schema=False)
    async def gaps(request: Request) -> Response:
        async def page(session: Session) -> Response:
            found = await list_gaps(app.uow(), app.faq, actor_id=session.person.id)
            rated = await unhelpful_entries(app.uow(), actor_id=session.person.id)
            rows = [
                {
                    "query": "" if g.query == LONG_GAP else g.query,
                    "count": g.count,
                    "last": app.translator.date("de", g.last_seen),
                }
                for g in found
            ]
            return desk.page(
                request,
                "kb_gaps.html",
                "Lücken der Wissensbasis",
                session=session,
                gaps=rows,
                rated=rated,
            )

        return await desk.guarded(request, page)

    @router.get("/wissen/eintrag/{entry_id}", include_in_schema=False)
    async def edit_form(request: Request, entry_id: str, gespeichert: str = "") -> Response:
        async def page(session: Session) -> Response:
            entry = await get_entry(app.uow(), actor_id=session.person.id, entry_id=entry_id)
            topics = await _topics(session)
            fields = _fields(entry, new=False)
            return _form(request, session, fields, topics, new=False, saved=bool(gespeichert))

        return await desk.guarded(request, page)

    @router.post("/wissen/eintrag/{entry_id}", include_in_schema=False)
    async def edit(request: Request, entry_id: str) -> Response:
        async def page(session: Session) -> Response:
            stored = await get_entry(app.uow(), actor_id=session.person.id, entry_id=entry_id)
            return await _sent(request, session, stored)

        return await desk.guarded(request, page, posted=True)

    @router.get("/wissen/eintrag/{entry_id}/loeschen", include_in_schema=False)
    async def delete_form(request: Request, entry_id: str) -> Response:
        async def page(session: Session) -> Response:
            entry = await get_entry(app.uow(), actor_id=session.person.id, entry_id=entry_id)
            return desk.page(
                request, "kb_delete.html", "Eintrag löschen", session=session, entry=entry
            )

        return await desk.guarded(request, page)

    @router.post("/wissen/eintrag/{entry_id}/loeschen", include_in_schema=False)
    async def delete(request: Request, entry_id: str) -> Response:
        async def page(session: Session) -> Response:
            await delete_entry(
                app.uow(),
                app.faq,
                actor_id=session.person.id,
                entry_id=entry_id,
                now=app.clock.now(),
            )
            return desk.see("/admin/wissen")

        return await desk.guarded(request, page, posted=True)

    async def _topics(session: Session) -> list[str]:
        """The topics in use (suggested in the form); checks that ``session`` may edit."""
        stored = await entries_to_manage(app.uow(), actor_id=session.person.id)
        return sorted({e.topic for e in stored if e.topic})

    async def _sent(request: Request, session: Session, stored: FaqEntry | None) -> Response:
        """A sent form: its preview (``aktion=vorschau``), or saved and on to the entry, or
        shown again with its errors by the fields (422, nothing saved)."""
        topics = await _topics(session)
        form = await desk.form(request)
        new = stored is None
        fields = _fields(stored or FaqEntry("", "", ""), new=new, given=form)
        entry = _entry(fields, stored)
        if form.get("aktion") == "vorschau":
            preview = markdown(entry.answer)
            return _form(request, session, fields, topics, new=new, preview=preview)
        for problem in entry_problems(entry):
            _mark(fields, _field_of(problem), explained(problem))
        if not any(f.error for f in fields):
            try:
                await save_entry(
                    app.uow(),
                    app.faq,
                    entry,
                    actor_id=session.person.id,
                    new=new,
                    now=app.clock.now(),
                )
            except InvalidInput as exc:
                _mark(fields, _field_of(exc), explained(exc))
            else:
                return desk.see(f"/admin/wissen/eintrag/{entry.id}?gespeichert=1")
        return _form(request, session, fields, topics, new=new, status=422)

    def explained(problem: InvalidInput) -> str:
        """The chat's message, but a length by its field needs no entry and field name."""
        if problem.code == "faq_too_long":
            return f"Bitte höchstens {problem.params['max']} Zeichen."
        return desk.explained(problem)

    def _form(
        request: Request,
        session: Session,
        fields: list[Field],
        topics: list[str],
        *,
        new: bool,
        status: int = 200,
        preview: Markup | None = None,
        saved: bool = False,
    ) -> Response:
        values = {f.name: f.value for f in fields}
        return desk.page(
            request,
            "kb_edit.html",
            "Neuer Eintrag" if new else "Eintrag bearbeiten",
            status=status,
            session=session,
            fields=[f for f in fields if new or f.name != "id"],
            entry_id=values["id"],
            new=new,
            topics=topics,
            errors=any(f.error for f in fields),
            preview=preview,
            preview_question=values["question"],
            saved=saved,
        )


def _hits(result: FaqResult) -> list[dict[str, Any]]:
    """The ranked hits with what ``/faq`` does with each."""
    near = {hit.entry.id for hit in result.near}
    rows = []
    for rank, hit in enumerate(result.hits, 1):
        if result.answered and not result.ambiguous:
            shown = "Antwort" if rank == 1 else "nicht gezeigt"
        elif result.answered:
            shown = "zur Auswahl"
        else:
            shown = "als ähnlich angeboten" if hit.entry.id in near else "nicht gezeigt"
        rows.append(
            {
                "rank": rank,
                "id": hit.entry.id,
                "question": hit.entry.question,
                "score": f"{round(hit.score * 100)} %",
                "shown": shown,
            }
        )
    return rows


def _fields(entry: FaqEntry, *, new: bool, given: dict[str, str] | None = None) -> list[Field]:
    """The form's fields with ``entry``'s values, or what was sent."""
    fields = [
        Field(
            "id",
            "Kennung",
            "text",
            entry.id,
            "Kleinbuchstaben, Ziffern und Bindestriche, z. B. mitglied-werden; "
            "im Chat: /faq_zeigen KENNUNG. Später nicht mehr änderbar.",
        ),
        Field("question", "Frage", "text", entry.question),
        Field(
            "variants",
            "Andere Formulierungen der Frage",
            "textarea",
            "\n".join(entry.variants),
            "Eine je Zeile; so fragen Mitglieder auch.",
        ),
        Field(
            "topic",
            "Thema",
            "text",
            entry.topic or "",
            "Weitergeleitete Fragen zu diesem Thema gehen an die Unterstützerinnen und "
            "Unterstützer mit diesem Thema. Leer lassen: kein Thema.",
        ),
        Field(
            "answer",
            "Antwort",
            "textarea",
            entry.answer,
            "Markdown: **fett**, *kursiv*, [Linktext](https://…), Listen mit - am Zeilenanfang.",
        ),
    ]
    if given is not None:
        for field in fields:
            if new or field.name != "id":
                field.value = given.get(field.name, "").strip()
    return fields


def _entry(fields: list[Field], stored: FaqEntry | None) -> FaqEntry:
    """The entry the form describes; what the form does not show (tags, links) stays."""
    values = {f.name: f.value for f in fields}
    variants = tuple(line.strip() for line in values["variants"].splitlines() if line.strip())
    kept = stored or FaqEntry(values["id"], "", "")
    return replace(
        kept,
        question=values["question"],
        answer=values["answer"],
        variants=variants,
        topic=values["topic"] or None,
    )


def _field_of(problem: InvalidInput) -> str:
    """The form field an error of the core belongs to (links are not on the form: a bad
    one stored from elsewhere is shown by the answer)."""
    return FIELD_OF.get(problem.code) or str(problem.params.get("field", "answer"))


def _mark(fields: list[Field], name: str, text: str) -> None:
    """Put ``text`` by the field ``name`` (the first error there stays)."""
    field = next(f for f in fields if f.name == name)
    field.error = field.error or text

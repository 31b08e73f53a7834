"""`resize`'s recovery: which backup a run may use (only `--resume`, or a confirmation, uses
one; a backup another run still holds is refused, naming it), and what a fresh read says
after a write whose answer was lost (the orphan DELETE, the POST that creates the set again).
The decisions are core.resize's (backup_verdict, lost_delete, lost_create); this module
reads, asks and says."""

from typing import TYPE_CHECKING, Any, Dict, Optional

import click

from ...errors import Conflict, NotFound, StsError, UsageError, reworded
from ..recreate import default_backup, writer_alive  # noqa: F401 (default_backup: resize's)
from ..shell import check_writes, confirm, get_statefulset, sts_path

if TYPE_CHECKING:
    from . import Resize, ResizeOptions

Obj = Dict[str, Any]


def holder(session: "Resize", doc: Obj) -> str:
    return "another resize of %s (run %s, pid %s on %s, %s) holds its backup %s" % (
        session.name, doc.get("run") or "?", doc.get("pid") or "?", doc.get("host") or "?",
        "size %s" % doc.get("size"), session.backup)


def verdict(session: "Resize", doc: Optional[Obj], live_uid: Optional[str]) -> str:
    from ...core.resize import backup_verdict
    return backup_verdict(doc, live_uid, session.run_id,
                          doc is not None and writer_alive(doc))


def check_busy(session: "Resize", sts: Obj, changed: str = "nothing was changed") -> None:
    """Before a run that writes (and again before it saves its backup): refuse (exit 6) when
    another run that still runs holds the backup (it deletes and creates this set again);
    --force takes it over. `changed`: what this run changed so far."""
    doc = session.load_backup()
    if verdict(session, doc, sts["metadata"]["uid"]) == "busy" and not session.force:
        assert doc is not None
        raise Conflict("error: %s: wait for it to finish, or take over with --force if it "
                       "no longer runs; %s" % (holder(session, doc), changed), 409)


def missing(session: "Resize", options: "ResizeOptions", exc: NotFound) -> int:
    """The set is missing. Its backup is used only by --resume, or at a terminal when the user
    confirms; never by a dry run, never when another run holds it, never a spent one."""
    doc = session.load_backup()
    found = verdict(session, doc, None)
    if found == "none" or doc is None:
        raise exc
    if found == "busy" and not options.force:
        raise Conflict("error: statefulset %s is missing and %s: it is creating the set "
                       "again; wait for it (or take over with --resume --force if it no "
                       "longer runs)" % (session.name, holder(session, doc)), 409)
    from ...core.resize import parse_size
    size, resume = doc.get("size"), "kubectl sts resize %s --size %s --resume" % (
        session.name, doc.get("size"))
    session.say("statefulset %s is missing; the backup of an interrupted resize (run %s, "
                "size %s) is %s" % (session.name, doc.get("run") or "?", size, session.backup))
    if options.dry_run != "none":
        session.say("dry-run (%s): nothing was sent; finish with: %s (it creates the set "
                    "again with %s for %s)" % (options.dry_run, resume, size,
                                               doc.get("template")))
        return 0
    if parse_size(options.size) != size:
        raise UsageError("error: the interrupted run grew the volumes to %s, not %s: finish "
                         "it with: %s" % (size, options.size, resume))
    if not options.resume:
        import sys
        if not sys.stdin.isatty():
            raise NotFound("error: statefulset %s is missing; finish the interrupted resize "
                           "with: %s (backup: %s)" % (session.name, resume, session.backup),
                           404)
        if not confirm("create statefulset %s again from the backup of run %s (%s)?"
                       % (session.name, doc.get("run") or "?", size), False):
            session.say("nothing changed")
            return 0
    check_writes(session.conn, "resize --resume")
    return session.resume(doc)


def release(session: "Resize") -> None:
    """When a run ends: the backup it holds is interrupted when the run deleted the set (or
    may have) and did not create it again: only --resume uses it then; else it is spent (a
    set deleted later by someone else is never created again from it)."""
    from ...core.resize import INTERRUPTED, SPENT
    if session.saved is not None:
        interrupted = session.delete_sent and not session.recreated
        try:
            session.save_backup(session.saved, INTERRUPTED if interrupted else SPENT)
        except OSError as exc:
            click.echo("warning: the backup %s could not be marked: %s" % (session.backup,
                                                                          exc), err=True)


def after_lost_delete(session: "Resize", live: Obj, exc: StsError) -> None:
    """The orphan DELETE's answer was lost: read the set again. Applied: say so and go on;
    not applied: the run stops (the template is unchanged); unreadable: say how to finish."""
    from ...core.resize import lost_delete
    name, uid = session.name, live["metadata"]["uid"]
    try:
        current = _get_or_none(session)
    except StsError:
        reworded(exc, "error: the delete of statefulset %s may have been applied (%s); "
                       "its pods keep running; finish with: kubectl sts resize %s --size %s "
                       "--resume (backup: %s)" % (name, exc.message, name, session.size,
                                                  session.backup))
        raise exc
    if not lost_delete(current, uid):
        session.delete_sent = False
        reworded(exc, "error: the delete of statefulset %s was not applied (%s); the "
                       "volumes have the new size, the template not: run the same command "
                       "again" % (name, exc.message))
        raise exc
    click.echo("the answer to the delete of statefulset %s was lost (%s), but a fresh read "
               "shows it was applied" % (name, exc.message), err=True)


def after_lost_create(session: "Resize", live: Obj, size: Optional[str],
                      exc: StsError) -> Optional[Obj]:
    """The POST's answer was lost (or AlreadyExists): the set created meanwhile with `size`
    (None: any), or None when it is not there (the caller goes on as after a failure)."""
    from ...core.resize import lost_create
    assert session.template is not None
    try:
        current = _get_or_none(session)
    except StsError:
        reworded(exc, "error: creating statefulset %s may have been applied (%s); its "
                       "pods keep running; finish with: kubectl sts resize %s --size %s "
                       "--resume (backup: %s)" % (session.name, exc.message, session.name,
                                                  session.size, session.backup))
        raise exc
    if lost_create(current, live["metadata"]["uid"], session.template, size) != "created":
        return None
    click.echo("the answer to creating statefulset %s was lost (%s), but a fresh read shows "
               "it was created" % (session.name, exc.message), err=True)
    return current


def _get_or_none(session: "Resize") -> Optional[Obj]:
    try:
        return get_statefulset(session.conn, session.ns, session.name)
    except NotFound:
        return None


def post(session: "Resize", live: Obj, body: Obj, size: Optional[str]) -> Obj:
    """POST the set; an answer lost (a reset, a 5xx) or AlreadyExists is checked with a fresh
    read: the set created meanwhile with `size` is the answer (None: any size)."""
    from ...core.lost import may_have_been_applied
    try:
        created: Obj = session.conn.request("POST", sts_path(session.ns),
                                            body=body)
        return created
    except StsError as exc:
        exists = isinstance(exc, Conflict) and exc.reason == "AlreadyExists"
        if not (exists or may_have_been_applied(exc)):
            raise
        found = after_lost_create(session, live, size, exc)
        if found is None:
            raise
        return found

"""The clinic app's database: SQLite through SQLAlchemy 2.x, with a schema version and migrations.

One file, ``gaitvision.db`` in the data folder, shared by the web server and
the analysis worker (WAL journal, a busy timeout, short transactions). The
schema version lives in ``schema_version``; :func:`migrate` applies every
step of :data:`MIGRATIONS` above it, each in its own transaction, and
refuses a database written by a newer gaitvision.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any, TypeVar

from sqlalchemy import (
    Boolean,
    Connection,
    DateTime,
    Float,
    ForeignKey,
    Integer,
    String,
    Text,
    create_engine,
    event,
    inspect,
    select,
    text,
)
from sqlalchemy.engine import Engine
from sqlalchemy.orm import DeclarativeBase, Mapped, Session, mapped_column, relationship, sessionmaker

from gaitvision.errors import ConfigError

__all__ = [
    "MIGRATIONS", "SCHEMA_VERSION", "Base", "Clip", "CorrectionRow", "Database", "Job", "NotFound", "Patient", "Visit",
    "get_or_404", "migrate", "now", "row_dict",
]


def now() -> dt.datetime:
    """The current time in UTC, without microseconds."""
    return dt.datetime.now(dt.timezone.utc).replace(microsecond=0, tzinfo=None)


class NotFound(LookupError):
    """No such patient, visit, clip, job or correction (the server answers 404)."""


class Base(DeclarativeBase):
    """Declarative base of the app's tables."""


class Patient(Base):
    """A patient: a name, an optional clinic id, notes."""

    __tablename__ = "patients"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    external_id: Mapped[str] = mapped_column(String(100), default="")
    notes: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[dt.datetime] = mapped_column(DateTime, default=now)
    visits: Mapped[list[Visit]] = relationship(back_populates="patient", cascade="all, delete-orphan",
                                               order_by="Visit.date")


class Visit(Base):
    """One visit: a date, treadmill speed, shoes, notes, and up to one side and one rear clip."""

    __tablename__ = "visits"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    patient_id: Mapped[int] = mapped_column(ForeignKey("patients.id", ondelete="CASCADE"), index=True)
    date: Mapped[dt.date] = mapped_column()
    speed: Mapped[str] = mapped_column(String(50), default="")
    shoes: Mapped[str] = mapped_column(String(200), default="")
    notes: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[dt.datetime] = mapped_column(DateTime, default=now)
    patient: Mapped[Patient] = relationship(back_populates="visits")
    clips: Mapped[list[Clip]] = relationship(back_populates="visit", cascade="all, delete-orphan",
                                             order_by="Clip.id")


class Clip(Base):
    """An uploaded clip, stored under a generated name, and where its analysis goes."""

    __tablename__ = "clips"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    visit_id: Mapped[int] = mapped_column(ForeignKey("visits.id", ondelete="CASCADE"), index=True)
    #: what the PT said: auto, side or rear (front counts as rear: frontal metrics)
    view_hint: Mapped[str] = mapped_column(String(20), default="auto")
    #: the view the analysis found (side-left, side-right, rear, front), "" before
    view: Mapped[str] = mapped_column(String(20), default="")
    #: the folder name under clips/ (generated) holding the clip and its analysis
    folder: Mapped[str] = mapped_column(String(64), unique=True)
    stored_name: Mapped[str] = mapped_column(String(64))
    original_name: Mapped[str] = mapped_column(String(300), default="")
    size_bytes: Mapped[int] = mapped_column(Integer, default=0)
    codec: Mapped[str] = mapped_column(String(40), default="")
    pix_fmt: Mapped[str] = mapped_column(String(40), default="")
    container: Mapped[str] = mapped_column(String(80), default="")
    #: the file the browser plays: the clip itself, or a browser-playable copy
    playable_name: Mapped[str] = mapped_column(String(64), default="")
    created_at: Mapped[dt.datetime] = mapped_column(DateTime, default=now)
    visit: Mapped[Visit] = relationship(back_populates="clips")
    jobs: Mapped[list[Job]] = relationship(back_populates="clip", cascade="all, delete-orphan", order_by="Job.id")
    corrections: Mapped[list[CorrectionRow]] = relationship(back_populates="clip", cascade="all, delete-orphan",
                                                            order_by="CorrectionRow.id")


class Job(Base):
    """One analysis of one clip, run by the worker process.

    ``state``: queued, running, done, failed, or interrupted (the server
    stopped while it ran; it is queued again at the next start).
    """

    __tablename__ = "jobs"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    clip_id: Mapped[int] = mapped_column(ForeignKey("clips.id", ondelete="CASCADE"), index=True)
    state: Mapped[str] = mapped_column(String(20), default="queued", index=True)
    stage: Mapped[str] = mapped_column(String(40), default="queued")
    progress: Mapped[float] = mapped_column(Float, default=0.0)
    error: Mapped[str] = mapped_column(Text, default="")
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    interrupted: Mapped[int] = mapped_column(Integer, default=0)
    worker_pid: Mapped[int] = mapped_column(Integer, default=0)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime, default=now)
    started_at: Mapped[dt.datetime | None] = mapped_column(DateTime, nullable=True)
    finished_at: Mapped[dt.datetime | None] = mapped_column(DateTime, nullable=True)
    clip: Mapped[Clip] = relationship(back_populates="jobs")


class CorrectionRow(Base):
    """One correction by the PT: what, the automatic value, the new value, when, and whether undone."""

    __tablename__ = "corrections"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    clip_id: Mapped[int] = mapped_column(ForeignKey("clips.id", ondelete="CASCADE"), index=True)
    kind: Mapped[str] = mapped_column(String(30))
    #: the correction as gaitvision.measure.corrections' to_dict(), JSON
    data: Mapped[str] = mapped_column(Text)
    automatic_value: Mapped[str] = mapped_column(Text, default="null")
    new_value: Mapped[str] = mapped_column(Text, default="null")
    reason: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[dt.datetime] = mapped_column(DateTime, default=now)
    undone: Mapped[bool] = mapped_column(Boolean, default=False)
    undone_at: Mapped[dt.datetime | None] = mapped_column(DateTime, nullable=True)
    clip: Mapped[Clip] = relationship(back_populates="corrections")


_Row = TypeVar("_Row", bound=Base)


def get_or_404(s: Session, model: type[_Row], row_id: int) -> _Row:
    """The ``model`` row with this id, or :class:`NotFound` naming it ("There is no visit 7.")."""
    row = s.get(model, row_id)
    if row is None:
        raise NotFound(f"There is no {model.__name__.lower()} {row_id}.")
    return row


def row_dict(row: Base, *names: str, **derived: Any) -> dict[str, Any]:
    """The row as the API shows it: ``names`` in that order, dates and times as ISO text (None stays None).

    Each name is the row's attribute of that name, or the value ``derived``
    gives for it (a computed or renamed entry in its place).
    """
    if unknown := set(derived) - set(names):
        raise TypeError(f"row_dict: {sorted(unknown)} given but not among the names {names}")
    values = ((n, derived[n] if n in derived else getattr(row, n)) for n in names)
    return {n: v.isoformat() if isinstance(v, dt.date) else v for n, v in values}


def _v1(conn: Connection) -> None:
    """The first schema: patients, visits, clips, jobs, corrections."""
    Base.metadata.create_all(conn)


#: (version, step); each step brings the schema from version - 1 to version.
MIGRATIONS: tuple[tuple[int, Callable[[Connection], None]], ...] = ((1, _v1),)
SCHEMA_VERSION = MIGRATIONS[-1][0]


def _current_version(conn: Connection) -> int:
    if not inspect(conn).has_table("schema_version"):
        conn.execute(text("CREATE TABLE schema_version (version INTEGER NOT NULL)"))
        conn.execute(text("INSERT INTO schema_version (version) VALUES (0)"))
        return 0
    row = conn.execute(text("SELECT version FROM schema_version")).first()
    return int(row[0]) if row else 0


def migrate(engine: Engine) -> int:
    """Bring the database to :data:`SCHEMA_VERSION`; return the version it had.

    Raises
    ------
    ConfigError
        If the database was written by a newer gaitvision (a higher version).
    """
    with engine.begin() as conn:
        before = _current_version(conn)
    if before > SCHEMA_VERSION:
        raise ConfigError(f"The database has schema version {before}, newer than this gaitvision's "
                          f"{SCHEMA_VERSION}; update gaitvision or use another --data folder.")
    for version, step in MIGRATIONS:
        if version <= before:
            continue
        with engine.begin() as conn:
            step(conn)
            conn.execute(text("UPDATE schema_version SET version = :v"), {"v": version})
    return before


def _sqlite_pragmas(dbapi_conn: Any, _record: Any) -> None:
    cur = dbapi_conn.cursor()
    cur.execute("PRAGMA journal_mode=WAL")
    cur.execute("PRAGMA foreign_keys=ON")
    cur.execute("PRAGMA busy_timeout=30000")
    cur.close()


class Database:
    """The engine and session factory of one data folder's ``gaitvision.db`` (migrated on open)."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.engine = create_engine(f"sqlite:///{path}", connect_args={"timeout": 30, "check_same_thread": False})
        event.listen(self.engine, "connect", _sqlite_pragmas)
        self.version_before = migrate(self.engine)
        self._factory = sessionmaker(self.engine, expire_on_commit=False)

    @contextmanager
    def session(self) -> Iterator[Session]:
        """A session committed on success, rolled back on error."""
        s = self._factory()
        try:
            yield s
            s.commit()
        except BaseException:
            s.rollback()
            raise
        finally:
            s.close()

    def schema_version(self) -> int:
        """The version stored in the database."""
        with self.engine.connect() as conn:
            return int(conn.execute(select(text("version")).select_from(text("schema_version"))).scalar_one())

    def dispose(self) -> None:
        """Close every pooled connection."""
        self.engine.dispose()

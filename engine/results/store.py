"""The run history: one SQLite file (stdlib sqlite3, WAL) holding every RunResult. Torch-free.

Each run is one row: a few columns to list and filter by, plus the whole result as JSON (the truth;
the columns are derived from it on insert). `PRAGMA user_version` carries the schema version so a
later release can migrate the file; a file from a newer release is refused, not damaged.

A run may have a profile (engine.profile.ProfileResult): one row of the `profiles` table under the
run's id, the whole profile as JSON. The table is created when a history is opened for writing, so an
older file gains it on its next write; until then (or read-only) it simply has no profiles.

Connections are opened per call: the GUI reads from its thread while a worker process writes, and
WAL lets readers and one writer proceed together.
"""
from __future__ import annotations

import json
import os
import sqlite3
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from pydantic import ValidationError

from engine.errors import BadResultFile, BadStoreFile
from engine.json_file import read_json
from engine.profile.result import ProfileResult, profile_from_dict
from engine.results.levers import config_levers
from engine.results.migrate import upgrade
from engine.results.result import RESULT_VERSION, RunResult
from engine.shown_text import one_line

SCHEMA_VERSION = 1
REPORT_FORMAT = "tradeoff-lab/report"  # the app's own report JSON: several runs in one file
__all__ = ["RESULT_VERSION", "RunRow", "RunStore", "decode_result", "read_result_file", "read_results_file"]
_BUSY_TIMEOUT_S = 10.0
_SQLITE_INT_MAX = 2**63 - 1

_SCHEMA = """
CREATE TABLE IF NOT EXISTS runs (
    run_id TEXT PRIMARY KEY,
    created_at TEXT NOT NULL,
    network TEXT NOT NULL,
    device TEXT,
    device_name TEXT,
    precision TEXT,
    batch INTEGER,
    mode TEXT,
    status TEXT NOT NULL,
    throughput_sps REAL,
    energy_per_sample_j REAL,
    accuracy REAL,
    result_json TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS runs_created ON runs(created_at);
-- The filters' choices and counts read these small indexes, not the rows with their whole results.
CREATE INDEX IF NOT EXISTS runs_network ON runs(network);
CREATE INDEX IF NOT EXISTS runs_device ON runs(device, device_name);
CREATE INDEX IF NOT EXISTS runs_precision ON runs(precision);
CREATE INDEX IF NOT EXISTS runs_status ON runs(status);
CREATE TABLE IF NOT EXISTS profiles (
    run_id TEXT PRIMARY KEY,
    created_at TEXT NOT NULL,
    profile_json TEXT NOT NULL
);
"""

_ROW_COLUMNS = ("run_id", "created_at", "network", "device", "device_name", "precision", "batch", "mode",
                "status", "throughput_sps", "energy_per_sample_j", "accuracy")
# Why the run's figures may be disturbed (a "machine busy" quality sentence, or the disturbed flag),
# read from the stored result: the history badges it without a column of its own.
_BUSY_SQL = ("COALESCE((SELECT value FROM json_each(result_json, '$.quality') WHERE value LIKE 'machine busy%' "
             "LIMIT 1), CASE WHEN json_extract(result_json, '$.disturbed') THEN 'machine busy during the run' END)")
_PROFILED_SQL = "EXISTS(SELECT 1 FROM profiles WHERE profiles.run_id = runs.run_id)"
# Processes of a job over several devices (its ranks; a failed job's world size), 1 for any other run.
_DEVICES_SQL = ("COALESCE(NULLIF(json_array_length(result_json, '$.devices'), 0), "
                "json_extract(result_json, '$.parallel.world_size'), 1)")
_CONFIG_SQL = "json_extract(result_json, '$.config')"  # the levers that tell runs apart (engine.results.levers)
_ORDER_SQL = {"device_count": _DEVICES_SQL, "levers": _CONFIG_SQL}  # list orders that are read from the result, not a column
_TEXT_COLUMNS = {"network", "device", "device_name", "precision", "mode", "status"}


@dataclass(frozen=True)
class RunRow:
    """One line of the history list: what a table of past runs shows, without the series."""
    run_id: str
    created_at: str
    network: str
    device: str | None
    device_name: str | None
    precision: str | None
    batch: int | None
    mode: str | None
    status: str
    throughput_sps: float | None
    energy_per_sample_j: float | None
    accuracy: float | None
    busy: str | None = None  # the machine was busy during the run: the sentence that says so
    device_count: int = 1  # processes of a job over several devices (its ranks), else 1
    levers: str = ""  # the levers its configuration set, in words (config_levers), "" for none
    has_profile: bool = False  # a profile run is stored with it (RunStore.get_profile)


def _levers(config_json: str | None) -> str:
    try:
        config = json.loads(config_json) if config_json else {}
    except ValueError:
        return ""
    return config_levers(config) if isinstance(config, dict) else ""


class RunStore:
    def __init__(self, path: str | Path | None = None) -> None:
        if path is None:
            from engine.paths import default_db_path
            path = default_db_path()
        self.path = Path(path)
        self.read_only: str | None = None  # why the history can only be read (a read-only folder, a full disk)
        self._init()

    # -- connection ---------------------------------------------------------------------------
    @contextmanager
    def _connect(self, write: bool = False) -> Iterator[sqlite3.Connection]:
        try:
            if self.read_only and not write:  # no journal or WAL files: works on a read-only or full disk
                conn = sqlite3.connect(f"{self.path.resolve().as_uri()}?mode=ro", uri=True, timeout=_BUSY_TIMEOUT_S)
            else:
                conn = sqlite3.connect(os.fsencode(self.path), timeout=_BUSY_TIMEOUT_S)  # bytes: any file name
        except sqlite3.Error as exc:
            raise BadStoreFile(f"{self.path}: cannot open the run history ({exc})") from None
        try:
            with conn:  # commits on success, rolls back on error
                yield conn
        except sqlite3.DatabaseError as exc:
            raise BadStoreFile(f"{self.path}: the run history cannot be used ({exc})") from None
        finally:
            conn.close()

    def _init(self) -> None:
        if self.path.is_dir():
            raise BadStoreFile(f"{self.path}: is a folder, not a run history file")
        existed = self.path.is_file() and self.path.stat().st_size > 0
        try:
            self._prepare()
        except BadStoreFile as exc:
            if not existed or "newer than this app" in str(exc):
                raise
            # A read-only folder or a full disk: the history can still be read, just not added to.
            self.read_only = str(exc).removeprefix(f"{self.path}: ")
            with self._connect() as conn:  # raises BadStoreFile if it cannot even be read
                self._check_version(conn)
                conn.execute("SELECT COUNT(*) FROM runs").fetchone()

    def _prepare(self) -> None:
        """Create the folder, the file and the schema (all idempotent): at start, and again before
        each write, so a history deleted while a run went on is recreated when the run is stored."""
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise BadStoreFile(f"{self.path}: cannot create its folder ({exc.strerror})") from None
        with self._connect(write=True) as conn:
            version = self._check_version(conn)
            conn.execute("PRAGMA journal_mode=WAL")
            conn.executescript(_SCHEMA)
            if version < SCHEMA_VERSION:
                conn.execute(f"PRAGMA user_version = {SCHEMA_VERSION}")

    def _check_version(self, conn: sqlite3.Connection) -> int:
        version = conn.execute("PRAGMA user_version").fetchone()[0]
        if version > SCHEMA_VERSION:
            raise BadStoreFile(f"{self.path}: run history schema version {version} is newer than this "
                               f"app reads ({SCHEMA_VERSION}); update Tradeoff Lab")
        return version

    # -- writing ------------------------------------------------------------------------------
    def add(self, result: RunResult) -> None:
        """Insert, or replace the run with the same run_id."""
        self.add_many([result])

    def add_many(self, results: Iterable[RunResult]) -> None:
        """Insert (or replace) several runs in one transaction. Text UTF-8 cannot encode is stored
        escaped; a history deleted meanwhile is recreated first."""
        rows = []
        for result in results:
            result, text = storable(result)
            cfg = result.config
            rows.append((result.run_id, result.created_at, result.network.name, cfg.device,
                         result.hardware.device_name, cfg.precision, cfg.batch, cfg.mode,
                         result.status, result.throughput_sps, result.energy_per_sample_j.total, result.accuracy,
                         text))
        self._prepare()
        self.read_only = None
        with self._connect(write=True) as conn:
            conn.executemany(f"INSERT OR REPLACE INTO runs ({', '.join(_ROW_COLUMNS)}, result_json) "
                             f"VALUES ({', '.join('?' * (len(_ROW_COLUMNS) + 1))})", rows)

    def delete(self, run_ids: Iterable[str]) -> int:
        ids = list(run_ids)
        if not ids:
            return 0
        with self._connect(write=True) as conn:
            keys = [_escaped(i) for i in ids]
            cur = conn.execute(f"DELETE FROM runs WHERE run_id IN ({', '.join('?' * len(ids))})", keys)
            if _has_profiles(conn):
                conn.execute(f"DELETE FROM profiles WHERE run_id IN ({', '.join('?' * len(ids))})", keys)
            return cur.rowcount

    # -- profiles -----------------------------------------------------------------------------
    def add_profile(self, profile: ProfileResult) -> None:
        """Store (or replace) the profile of run `profile.run_id`. The run itself is stored first by
        the caller; a profile without its run is still kept (the run may be imported later)."""
        text = profile.model_dump_json().encode("utf-8", "backslashreplace").decode("utf-8")
        self._prepare()
        self.read_only = None
        with self._connect(write=True) as conn:
            conn.execute("INSERT OR REPLACE INTO profiles (run_id, created_at, profile_json) VALUES (?, ?, ?)",
                         (_escaped(profile.run_id), profile.created_utc, text))

    def get_profile(self, run_id: str) -> ProfileResult | None:
        """The profile stored with this run, None if it has none (or the history predates profiles);
        BadStoreFile if the stored profile is damaged."""
        with self._connect() as conn:
            if not _has_profiles(conn):
                return None
            row = conn.execute("SELECT profile_json FROM profiles WHERE run_id = ?", (_escaped(run_id),)).fetchone()
        if row is None:
            return None
        source = f"profile of run {one_line(run_id, 80)}"
        try:
            return profile_from_dict(json.loads(row[0]), source)
        except (BadResultFile, ValueError, TypeError, RecursionError) as exc:
            raise BadStoreFile(f"{self.path}: {source} is damaged ({one_line(str(exc), 200)})") from None

    def profiled(self, run_ids: Iterable[str]) -> set[str]:
        """Which of these runs have a stored profile."""
        ids = [_escaped(i) for i in run_ids]
        if not ids:
            return set()
        with self._connect() as conn:
            if not _has_profiles(conn):
                return set()
            rows = conn.execute(f"SELECT run_id FROM profiles WHERE run_id IN ({', '.join('?' * len(ids))})", ids)
            return {r[0] for r in rows}

    def import_json(self, path: str | Path) -> list[RunResult]:
        """Add the runs of a JSON file written elsewhere: one result (`run --json` on a GPU server) or
        the app's own report JSON (`report --json`, every run in it). All or nothing: a file with
        one bad run adds none. Returns the runs added."""
        results = read_results_file(path)
        return self.import_results(results, str(path))

    def import_results(self, results: list[RunResult], source: str) -> list[RunResult]:
        """Add imported runs; the ones added (the very same result already stored is left alone). A
        different result under a stored run_id refuses the whole file (BadResultFile naming `source`):
        a stored run is never silently replaced."""
        added = []
        for result in results:
            stored = self.get(result.run_id)
            if stored is None:
                added.append(result)
            elif stored.model_dump(mode="json") != storable(result)[0].model_dump(mode="json"):
                raise BadResultFile(f"{source}: run {one_line(result.run_id, 80)} is already in the run history with "
                                    f"different figures; not replaced (delete the stored run first to replace it)")
        self.add_many(added)
        return added

    # -- reading ------------------------------------------------------------------------------
    def get(self, run_id: str) -> RunResult | None:
        """The stored run, None if there is none; BadStoreFile if its stored result is damaged."""
        with self._connect() as conn:
            row = conn.execute("SELECT run_id, result_json FROM runs WHERE run_id = ?", (_escaped(run_id),)).fetchone()
        if row is None:
            return None
        result, problem = _parse_row(*row)
        if result is None:
            raise BadStoreFile(f"{self.path}: {problem}")
        return result

    def list(self, network: str | None = None, device: str | None = None, precision: str | None = None,
             status: str | None = None, limit: int | None = None, offset: int = 0, order_by: str = "created_at",
             descending: bool = True) -> list[RunRow]:
        """Runs newest first (or by another list column), optionally filtered (exact match on each given
        field); `limit`/`offset` read one page of a long history."""
        if order_by not in _ROW_COLUMNS and order_by not in _ORDER_SQL:
            raise ValueError(f"cannot order runs by {order_by!r}")
        where, args = self._where(network, device, precision, status)
        direction = "DESC" if descending else "ASC"
        text = " COLLATE NOCASE" if order_by in _TEXT_COLUMNS else ""
        order = _ORDER_SQL.get(order_by, order_by)
        sql = (f"SELECT {', '.join(_ROW_COLUMNS)}, {_BUSY_SQL}, {_DEVICES_SQL}, {_CONFIG_SQL} FROM runs{where} "
               f"ORDER BY {order}{text} {direction}")
        if order_by != "created_at":
            sql += f", created_at {direction}"
        sql += f", rowid {direction}"
        if limit is not None:
            sql += " LIMIT ? OFFSET ?"
            args += [min(int(limit), _SQLITE_INT_MAX), min(int(offset), _SQLITE_INT_MAX)]
        n = len(_ROW_COLUMNS) + 2
        with self._connect() as conn:
            if not _has_profiles(conn):
                return [RunRow(*row[:n], levers=_levers(row[n])) for row in conn.execute(sql, args).fetchall()]
            sql = sql.replace(f", {_CONFIG_SQL} FROM runs", f", {_CONFIG_SQL}, {_PROFILED_SQL} FROM runs", 1)
            return [RunRow(*row[:n], levers=_levers(row[n]), has_profile=bool(row[n + 1]))
                    for row in conn.execute(sql, args).fetchall()]

    def count(self, network: str | None = None, device: str | None = None, precision: str | None = None,
              status: str | None = None) -> int:
        """How many runs pass these filters."""
        where, args = self._where(network, device, precision, status)
        with self._connect() as conn:
            return conn.execute(f"SELECT COUNT(*) FROM runs{where}", args).fetchone()[0]

    def choices(self) -> dict[str, list[str]]:
        """The distinct values of each filter column, sorted, and "device_name:<device>" -> a name."""
        out: dict[str, list[str]] = {}
        with self._connect() as conn:
            for column in ("network", "device", "precision", "status"):
                rows = conn.execute(f"SELECT DISTINCT {column} FROM runs WHERE {column} IS NOT NULL "
                                    f"AND {column} != '' ORDER BY {column}").fetchall()
                out[column] = [r[0] for r in rows]
            for device, name in conn.execute("SELECT device, MIN(device_name) FROM runs WHERE device IS NOT NULL "
                                             "AND device_name IS NOT NULL AND device_name != '' GROUP BY device"):
                out[f"device_name:{device}"] = [name]
        return out

    @staticmethod
    def _where(network, device, precision, status) -> tuple[str, list]:
        where, args = [], []
        for column, value in (("network", network), ("device", device), ("precision", precision),
                              ("status", status)):
            if value is not None:
                where.append(f"{column} = ?")
                args.append(_escaped(value))  # stored text is escaped the same way (storable)
        return (" WHERE " + " AND ".join(where) if where else ""), args

    def last(self, n: int, skipped: list[str] | None = None) -> list[RunResult]:
        """The n newest results, newest first. A damaged row is left out; `skipped` (if given)
        gets one line per row left out, naming the run and the damage."""
        with self._connect() as conn:
            rows = conn.execute("SELECT run_id, result_json FROM runs ORDER BY created_at DESC, rowid DESC "
                                "LIMIT ?", (min(int(n), _SQLITE_INT_MAX),)).fetchall()
        results = []
        for row in rows:
            result, problem = _parse_row(*row)
            if result is not None:
                results.append(result)
            elif skipped is not None:
                skipped.append(problem)
        return results

    def signature(self) -> tuple:
        """Changes when runs are added, replaced or deleted: a view can skip reloading an unchanged history."""
        with self._connect() as conn:
            return tuple(conn.execute("SELECT COUNT(*), MAX(rowid), MAX(created_at) FROM runs").fetchone())

    def __len__(self) -> int:
        with self._connect() as conn:
            return conn.execute("SELECT COUNT(*) FROM runs").fetchone()[0]


def _has_profiles(conn: sqlite3.Connection) -> bool:
    """False for a history written before profiles existed and not written to since (read-only)."""
    return conn.execute("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'profiles'").fetchone() is not None


def _parse_row(run_id: object, text: object) -> tuple[RunResult | None, str]:
    """A stored row -> its RunResult, or None and what is wrong with it (one line, naming the run)."""
    source = f"run {one_line(run_id, 80)}"
    try:
        return decode_result(str(text), source), ""
    except (BadResultFile, ValueError, TypeError, AttributeError, RecursionError) as exc:
        return None, f"{source}: its stored result is damaged ({one_line(str(exc).removeprefix(source + ': '), 200)})"


def storable(result: RunResult) -> tuple[RunResult, str]:
    """The result and its JSON, with any text that cannot be encoded (a lone surrogate from a file
    name or an error message) escaped, so storing the run never fails on it."""
    try:
        return result, result.model_dump_json()
    except ValueError:  # PydanticSerializationError: a string UTF-8 cannot encode
        pass
    todo: list[object] = [data := result.model_dump(mode="json")]
    while todo:
        item = todo.pop()
        pairs = item.items() if isinstance(item, dict) else enumerate(item) if isinstance(item, list) else ()
        for key, value in list(pairs):
            if isinstance(value, str):
                item[key] = _escaped(value)  # type: ignore[index]
            else:
                todo.append(value)
        if isinstance(item, dict):
            for key in [k for k in item if isinstance(k, str) and k != _escaped(k)]:
                item[_escaped(key)] = item.pop(key)
    safe = RunResult.model_validate(data)
    safe.quality.append("some text could not be encoded (a lone surrogate) and was stored escaped")
    return safe, safe.model_dump_json()


def _escaped(text: str) -> str:
    """`text` as the store keeps it: a lone surrogate (not encodable) written as its escape."""
    return text.encode("utf-8", "backslashreplace").decode("utf-8")


def decode_result(text: str, source: str) -> RunResult:
    """A stored result's JSON -> RunResult, upgrading an older version on the way (the row is left
    as written). BadResultFile names `source` and the first problem."""
    try:
        return RunResult.model_validate_json(text)  # the current version: no detour through a dict
    except ValidationError:
        return _decode_older(text, source)  # an older version (or a bad row): upgrade through a dict


def _decode_older(text: str, source: str) -> RunResult:
    try:
        data = json.loads(text)
    except (ValueError, RecursionError) as exc:
        raise BadResultFile(f"{source}: not valid JSON ({exc})") from None
    return result_from_dict(data, source)


def result_from_dict(data: object, source: str) -> RunResult:
    """A parsed result object of any version this app reads -> RunResult, or BadResultFile."""
    if not isinstance(data, dict):
        raise BadResultFile(f"{source}: expected a JSON object (a run result), got {type(data).__name__}")
    try:
        return RunResult.model_validate(upgrade(data, source))
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(x) for x in first.get("loc", ())) or "result"
        more = f" (and {exc.error_count() - 1} more problems)" if exc.error_count() > 1 else ""
        raise BadResultFile(f"{source}: not a run result: {where}: {first.get('msg')}{more}") from None


def read_result_file(path: str | Path) -> RunResult:
    """Parse a result JSON file (one run); BadResultFile names the file and the problem."""
    p = Path(path)
    return result_from_dict(read_json(p, BadResultFile, "result file"), str(p))


def read_results_file(path: str | Path) -> list[RunResult]:
    """The runs of a result JSON (one run) or of the app's report JSON (its `runs`)."""
    p = Path(path)
    data = read_json(p, BadResultFile, "result file")
    if isinstance(data, dict) and data.get("format") == REPORT_FORMAT:
        runs = data.get("runs")
        if not isinstance(runs, list) or not runs:
            raise BadResultFile(f"{p}: a report JSON without runs")
        return [result_from_dict(run, f"{p}: runs[{i}]") for i, run in enumerate(runs)]
    return [result_from_dict(data, str(p))]

"""The catalogs in use: shipped files, the site's override files over them, last good versions.

Each file is loaded on its own. A file with any error is refused: the last good
version of it keeps serving (none at all for a file broken from the start), the
problems are logged on ``facteur.locales`` and handed to listeners, once: the same
refusal of an unchanged file is not said again (a second ``configure``, a watcher's
wake-up), so each problem is one line per process until the file changes. Readers never
lock: the merged catalogs are an immutable mapping replaced in one assignment.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path

from locales.catalog_cache import CatalogCache
from locales.catalogs import (
    DEFAULT_LANGUAGE,
    LANGUAGES,
    SHIPPED_DIR,
    Catalog,
    Translator,
    normalize_language,
    po_path,
)
from locales.marks import N_
from locales.problems import CatalogError, Problem, error, warning

log = logging.getLogger("facteur.locales")

Stamp = tuple[int, int] | None  # (mtime_ns, size) of a file, None when it does not exist


@dataclass(frozen=True)
class ReloadEvent:
    """One file (re)loaded: ``applied`` False means refused, the last good version serving."""

    path: Path
    language: str
    applied: bool
    problems: tuple[Problem, ...] = ()
    kept: bool = False  # refused while an earlier good version of the file keeps serving


Listener = Callable[[ReloadEvent], None]


class Registry:
    """Loads, layers and reloads the catalogs; hands out ``Translator`` objects reading them."""

    def __init__(
        self,
        shipped_dir: Path = SHIPPED_DIR,
        override_dir: Path | None = None,
        log_language: str | None = None,
        cache: CatalogCache | None = None,
    ) -> None:
        self._lock = threading.RLock()
        # Without one, every file is parsed: the registries tests build keep nothing between runs.
        self.cache = cache or CatalogCache(enabled=False)
        self._listeners: list[Listener] = []
        self._merged: dict[str, Catalog] = {}
        self._said: dict[Path, tuple[Stamp, tuple[Problem, ...]]] = {}  # the refusals already reported
        self._setup(shipped_dir, override_dir, log_language)

    def _setup(self, shipped_dir: Path, override_dir: Path | None, log_language: str | None) -> None:
        self.shipped_dir = shipped_dir.resolve()
        self.override_dir = override_dir.resolve() if override_dir else None
        self.log_language = log_language
        self._layers: dict[Path, Catalog] = {}
        self._stamps: dict[Path, Stamp] = {}
        self._refused: dict[Path, ReloadEvent] = {}  # the files refused now, with their problems
        self._loaded = False  # the catalogs serving until the new ones are merged stay in _merged

    def configure(
        self,
        override_dir: Path | None,
        *,
        shipped_dir: Path = SHIPPED_DIR,
        log_language: str | None = None,
        quiet: bool = False,
    ) -> list[ReloadEvent]:
        """Start over with these folders and load every catalog now; translators keep working.

        The same folders again (the CLI, then the TUI it starts, configure alike) only look for
        files changed on disk: parsing every catalog is the costliest part of starting up.
        ``quiet``: report nothing (a helper process whose parent already said it)."""
        with self._lock:
            same = (
                self._loaded
                and shipped_dir.resolve() == self.shipped_dir
                and (override_dir.resolve() if override_dir else None) == self.override_dir
            )
            if same:
                self.log_language = log_language
                events = self._refresh(force=())
            else:
                self._setup(shipped_dir, override_dir, log_language)
                events = self._refresh(force=(), remerge=True)
        if quiet:
            return events
        self._report(events)
        if self.override_dir and not self.override_dir.is_dir():
            log.warning(self._tr().format(_NO_OVERRIDE_DIR, path=str(self.override_dir)))
        return events

    def files(self, language: str) -> list[Path]:
        """``language``'s catalog files, bottom layer first."""
        dirs = [self.shipped_dir, *([self.override_dir] if self.override_dir else [])]
        return [po_path(language, base) for base in dirs]

    def watch_dirs(self) -> list[Path]:
        """The existing folders a watcher should watch."""
        return [d for d in (self.shipped_dir, self.override_dir) if d and d.is_dir()]

    def catalog(self, language: str) -> Catalog:
        """The merged catalog now serving ``language`` (loads everything at first use)."""
        if not self._loaded:
            self.refresh()
        return self._merged.get(language) or Catalog(language)

    def translator(self, language: str | None = None, default: str | None = None) -> Translator:
        """The reader's language, then ``default`` (the clinic's), then French."""
        chain: list[str] = []
        for candidate in (normalize_language(language), normalize_language(default), DEFAULT_LANGUAGE):
            if candidate and candidate not in chain:
                chain.append(candidate)
        return Translator(chain[0], tuple(chain), self)

    def refusals(self) -> list[ReloadEvent]:
        """The files refused now, with their problems: for a screen that opens after they were said."""
        with self._lock:
            return list(self._refused.values())

    def refresh(self, force: Iterable[Path] = (), *, notify: bool = True) -> list[ReloadEvent]:
        """Reload the files changed on disk (and those in ``force``); report what happened."""
        with self._lock:
            events = self._refresh(force)
        if notify:
            self._report(events)
        return events

    def _refresh(self, force: Iterable[Path], remerge: bool = False) -> list[ReloadEvent]:
        forced = {Path(path).resolve() for path in force}
        events: list[ReloadEvent] = []
        for language in LANGUAGES:
            changed = False
            for path in self.files(language):
                stamp = _stamp(path)
                if path in self._stamps and stamp == self._stamps[path] and path not in forced:
                    continue
                self._stamps[path] = stamp
                event = self._load(path, language, stamp)
                if event is not None:
                    events.append(event)
                    changed = changed or event.applied
            if changed or remerge or language not in self._merged:
                self._merge(language)
        self._loaded = True
        return events

    def _load(self, path: Path, language: str, stamp: Stamp) -> ReloadEvent | None:
        event = self._read(path, language, stamp)
        if event is not None and event.applied:
            self._refused.pop(path, None)
        elif event is not None and event.problems and event.problems[0].is_error:
            self._refused[path] = event
        return event

    def _read(self, path: Path, language: str, stamp: Stamp) -> ReloadEvent | None:
        kept = path in self._layers
        if stamp is None:
            # a shipped file removed by hand keeps serving; a removed override file stops overriding
            if kept and path == po_path(language, self.shipped_dir):
                return ReloadEvent(path, language, False, (warning(path, 0, _GONE),), kept=True)
            return ReloadEvent(path, language, True) if self._layers.pop(path, None) else None
        if path != po_path(language, self.shipped_dir) and path.is_symlink():
            # The clinic's folder is the admins' to write; Facteur reads it as the data's owner, so a
            # link there could make it read (and quote, in its errors) a file the admins may not.
            return ReloadEvent(path, language, False, (error(path, 0, _LINK),), kept=kept)
        try:
            self._layers[path] = self.cache.load(path, language)
        except CatalogError as exc:
            return ReloadEvent(path, language, False, exc.problems, kept=kept)
        return ReloadEvent(path, language, True)

    def _merge(self, language: str) -> None:
        merged = Catalog(language)
        for path in self.files(language):
            layer = self._layers.get(path)
            if layer is not None:
                merged = merged.layered(layer)
        self._merged = {**self._merged, language: merged}  # one assignment: readers never lock

    def add_listener(self, listener: Listener) -> Callable[[], None]:
        """Call ``listener`` with every ``ReloadEvent``; returns a function removing it."""
        with self._lock:
            self._listeners.append(listener)

        def remove() -> None:
            with self._lock:
                if listener in self._listeners:
                    self._listeners.remove(listener)

        return remove

    def notify(self, events: Iterable[ReloadEvent]) -> None:
        """Log ``events`` and hand them to the listeners (in the calling thread)."""
        self._report(list(events))

    def _news(self, events: list[ReloadEvent]) -> list[ReloadEvent]:
        """``events`` less the refusals of unchanged files already reported."""
        news: list[ReloadEvent] = []
        with self._lock:
            for event in events:
                if event.applied:
                    self._said.pop(event.path, None)
                else:
                    said = (self._stamps.get(event.path), event.problems)
                    if self._said.get(event.path) == said:
                        continue
                    self._said[event.path] = said
                news.append(event)
        return news

    def _report(self, events: list[ReloadEvent]) -> None:
        events = self._news(events)
        if not events:
            return
        tr = self._tr()
        for event in events:
            for problem in event.problems:
                extra = {"path": str(problem.path), "line": problem.line}
                log.log(
                    logging.ERROR if problem.is_error else logging.WARNING, problem.render(tr), extra=extra
                )
            if not event.applied:
                message = tr.format(_KEPT if event.kept else _REFUSED, path=str(event.path))
                log.error(message, extra={"path": str(event.path), "line": 0})
            else:
                log.info(tr.format(_LOADED, path=str(event.path)))
        with self._lock:
            listeners = list(self._listeners)
        for event in events:
            for listener in listeners:
                try:
                    listener(event)
                except Exception:
                    log.exception(tr.format(_LISTENER_FAILED, listener=repr(listener)))

    def _tr(self) -> Translator:
        return self.translator(self.log_language)


_GONE = N_("this catalog file is gone; its last good version keeps serving")
_LINK = N_("this catalog file is a symbolic link: put the file itself in the folder")
_KEPT = N_("{path}: not loaded; the last good version of this catalog keeps serving")
_REFUSED = N_("{path}: not loaded; until it is fixed, its texts come from the other catalogs")
_LISTENER_FAILED = N_("a catalog listener failed: {listener}")
_LOADED = N_("{path}: catalog loaded")
_NO_OVERRIDE_DIR = N_("the override folder {path} does not exist; the shipped wording is used")


def _stamp(path: Path) -> Stamp:
    try:
        status = path.stat()
    except OSError:
        return None
    return status.st_mtime_ns, status.st_size


_default = Registry(cache=CatalogCache())  # the process's: catalogs kept between runs (``catalog_cache``)


def default_registry() -> Registry:
    """The process's registry, the one ``translator()`` and ``configure()`` use."""
    return _default


def configure(
    override_dir: Path | None = None,
    *,
    log_language: str | None = None,
    shipped_dir: Path = SHIPPED_DIR,
    quiet: bool = False,
) -> list[ReloadEvent]:
    """Set the site's override folder (None: none) and load every catalog; call once at startup
    (``quiet`` in a helper process: its parent reports the catalogs' problems)."""
    return _default.configure(override_dir, shipped_dir=shipped_dir, log_language=log_language, quiet=quiet)


def translator(language: str | None = None, default: str | None = None) -> Translator:
    """The catalog for ``language``, falling back to ``default`` (the clinic's), then French."""
    return _default.translator(language, default)


def add_listener(listener: Listener) -> Callable[[], None]:
    """Hear about every (re)load of a catalog file; returns a function removing the listener."""
    return _default.add_listener(listener)

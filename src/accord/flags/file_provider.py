"""flagd's evaluation of a flag file, in-process, without flagd's gRPC machinery.

:class:`FileProvider` is what ``ACCORD_FLAGS_PROVIDER=file`` builds: an OpenFeature
provider that evaluates with flagd's own evaluator (``FlagdCore``, the engine of
``openfeature-provider-flagd``'s in-process mode, so flags mean exactly what they mean to
flagd) and reloads the file when it changes. flagd's provider would do the same, but
imports gRPC and protobuf for its other modes, about 12 MiB in every process that reads
a flag file (decision 0021).

- A thread looks at the file every ``poll_ms`` (its modification time, size and inode);
  a new file is parsed, checked against flagd's schema, and swapped in whole. A file
  that is missing, unreadable, not JSON or against the schema is refused with a
  ``PROVIDER_ERROR`` event, and the last good flags stay.
- :meth:`FileProvider.quick`: flags without targeting, and ``fractional`` splits, are
  answered from a snapshot rebuilt at each load (:mod:`accord.flags.snapshot`), with no
  rule engine and no evaluation context; everything else goes through flagd's evaluator.
"""

from __future__ import annotations

import json
import os
import threading
from collections.abc import Mapping
from typing import Any

from openfeature.contrib.tools.flagd.core import FlagdCore
from openfeature.evaluation_context import EvaluationContext
from openfeature.event import ProviderEventDetails
from openfeature.exception import ErrorCode, ProviderNotReadyError
from openfeature.flag_evaluation import FlagResolutionDetails, Reason
from openfeature.provider import AbstractProvider
from openfeature.provider.metadata import Metadata

from accord.flags.files import FlagFileError
from accord.flags.schema import schema_problems
from accord.flags.snapshot import Split, Static, compile_snapshot

__all__ = ["PROVIDER_NAME", "FileProvider", "Quick"]

#: What :meth:`FileProvider.quick` answers: value, variant, reason, flag metadata.
Quick = tuple[Any, str, Reason, Mapping[str, Any]]

#: The provider's name in span events: flagd's, whose evaluation this is.
PROVIDER_NAME = "FlagdProvider"


class FileProvider(AbstractProvider):
    """A flagd flag file evaluated in-process (see the module docstring)."""

    def __init__(self, path: str, *, poll_ms: int = 500) -> None:
        super().__init__()
        self.path = path
        self._poll = poll_ms / 1000
        self._core = FlagdCore()
        self._snapshot: dict[str, Static | Split] = {}
        self._seen: tuple[int, int, int] | None = None
        self._failing = False
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def get_metadata(self) -> Metadata:
        """flagd's name (see :data:`PROVIDER_NAME`)."""
        return Metadata(name=PROVIDER_NAME)

    def initialize(self, evaluation_context: EvaluationContext) -> None:
        """Start watching; raise when the file cannot be used now (it is still watched)."""
        self._thread = threading.Thread(target=self._watch, name="accord-flags", daemon=True)
        self._thread.start()
        try:
            self._load()
        except FlagFileError as exc:
            self._failing = True
            raise ProviderNotReadyError(str(exc)) from exc

    def shutdown(self) -> None:
        """Stop watching."""
        self._stop.set()

    # -- the file ----------------------------------------------------------------------

    def _watch(self) -> None:
        while not self._stop.wait(self._poll):
            try:
                self._load()
            except FlagFileError as exc:
                self._failing = True
                self.emit_provider_error(
                    ProviderEventDetails(message=str(exc), error_code=ErrorCode.PARSE_ERROR)
                )
            except Exception as exc:  # the watcher must outlive any surprise
                self.emit_provider_error(ProviderEventDetails(message=f"{exc!r}"))

    def _load(self) -> None:
        """Read the file if it changed since the last look, and apply it whole."""
        with self._lock:
            self._load_locked()

    def _load_locked(self) -> None:
        try:
            stat = os.stat(self.path)
        except FileNotFoundError:
            self._seen = None
            raise FlagFileError("no such file") from None
        except OSError as exc:
            raise FlagFileError(f"cannot read it: {exc.strerror}") from None
        seen = (stat.st_mtime_ns, stat.st_size, stat.st_ino)
        if seen == self._seen:
            return
        self._seen = seen  # a refused file is not read again until it changes
        document = self._read()
        problems = schema_problems(document)
        if problems:
            raise FlagFileError(problems[0])
        changed = self._core.set_flags_and_get_changed_keys(json.dumps(document))
        self._snapshot = compile_snapshot(document)
        if self._failing:
            self._failing = False
            self.emit_provider_ready(ProviderEventDetails(message="the flags file is good again"))
        self.emit_provider_configuration_changed(ProviderEventDetails(flags_changed=changed))

    def _read(self) -> Any:
        try:
            with open(self.path, encoding="utf-8") as file:
                if self.path.endswith((".yaml", ".yml")):
                    import yaml

                    return yaml.safe_load(file)
                return json.load(file)
        except OSError as exc:
            raise FlagFileError(f"cannot read it: {exc.strerror}") from None
        except ValueError as exc:
            raise FlagFileError(f"not valid JSON: {exc}") from None
        except Exception as exc:  # yaml's errors, without importing yaml to name them
            raise FlagFileError(f"not valid YAML: {exc}") from None

    # -- evaluation --------------------------------------------------------------------

    def quick(self, key: str, targeting_key: str | None) -> Quick | None:
        """``(value, variant, reason, metadata)`` of ``key`` from the snapshot, or None
        when flagd's evaluator must answer (a flag with rules, a split without a
        targeting key)."""
        entry = self._snapshot.get(key)
        if entry is None:
            return None
        if isinstance(entry, Static):
            return entry.value, entry.variant, Reason.STATIC, entry.metadata
        if not targeting_key:
            return None
        index = entry.pick(targeting_key)
        if index is None:
            return None
        return entry.values[index], entry.variants[index], Reason.TARGETING_MATCH, entry.metadata

    def resolve_boolean_details(
        self,
        flag_key: str,
        default_value: bool,
        evaluation_context: EvaluationContext | None = None,
    ) -> FlagResolutionDetails[bool]:
        """flagd's evaluation of a boolean flag."""
        return self._core.resolve_boolean_value(flag_key, default_value, evaluation_context)

    def resolve_string_details(
        self, flag_key: str, default_value: str, evaluation_context: EvaluationContext | None = None
    ) -> FlagResolutionDetails[str]:
        """flagd's evaluation of a string flag."""
        return self._core.resolve_string_value(flag_key, default_value, evaluation_context)

    def resolve_integer_details(
        self, flag_key: str, default_value: int, evaluation_context: EvaluationContext | None = None
    ) -> FlagResolutionDetails[int]:
        """flagd's evaluation of an integer flag."""
        return self._core.resolve_integer_value(flag_key, default_value, evaluation_context)

    def resolve_float_details(
        self,
        flag_key: str,
        default_value: float,
        evaluation_context: EvaluationContext | None = None,
    ) -> FlagResolutionDetails[float]:
        """flagd's evaluation of a float flag."""
        return self._core.resolve_float_value(flag_key, default_value, evaluation_context)

    def resolve_object_details(
        self,
        flag_key: str,
        default_value: Any,
        evaluation_context: EvaluationContext | None = None,
    ) -> FlagResolutionDetails[Any]:
        """flagd's evaluation of an object flag."""
        return self._core.resolve_object_value(flag_key, default_value, evaluation_context)

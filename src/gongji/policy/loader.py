"""Reading policy profiles from TOML files, with errors that name the file and the field.

``load_profiles()`` reads every ``*.toml`` in the package's ``profiles/`` folder (or a given
directory) and returns them by code; any problem — TOML syntax, a wrong enum, a negative
amount, a missing key, a file name that does not match ``profile.code`` — becomes one
``ProfileError`` such as ``zhejiang.toml: family.funding_model: Input should be 'direct' or
'allocation'``.
"""

from __future__ import annotations

import tomllib
from collections.abc import Iterable
from importlib import resources
from importlib.resources.abc import Traversable
from pathlib import Path

from pydantic import ValidationError

from gongji.policy.schema import Profile

PROFILE_SUFFIX = ".toml"


class ProfileError(Exception):
    """A profile file that cannot be used.

    ``file`` is the file name, ``field`` the dotted path of the first bad field (``"<toml>"`` for
    a syntax error, ``"<file>"`` when the file cannot be read), ``reason`` what is wrong, and
    ``problems`` every (field, reason) found.
    """

    def __init__(self, file: str, problems: Iterable[tuple[str, str]]) -> None:
        self.problems: tuple[tuple[str, str], ...] = tuple(problems) or (("<file>", "invalid"),)
        self.file = file
        self.field, self.reason = self.problems[0]
        lines = [f"{file}: {field}: {reason}" for field, reason in self.problems]
        super().__init__("\n".join(lines))


def _field_path(loc: tuple[int | str, ...]) -> str:
    path = ""
    for part in loc:
        if isinstance(part, int):
            path += f"[{part}]"
        else:
            path += f".{part}" if path else part
    return path or "<profile>"


def _reason(message: str) -> str:
    # Pydantic prefixes messages raised from validators with "Value error, ".
    return message.removeprefix("Value error, ")


def parse_profile(data: bytes, file_name: str) -> Profile:
    """Parse and validate one profile's bytes; ``file_name`` is used in errors and must be
    ``<profile.code>.toml``."""
    try:
        raw = tomllib.loads(data.decode("utf-8"))
    except UnicodeDecodeError as exc:
        raise ProfileError(file_name, [("<toml>", f"not UTF-8: {exc.reason}")]) from exc
    except tomllib.TOMLDecodeError as exc:
        raise ProfileError(file_name, [("<toml>", str(exc))]) from exc
    try:
        profile = Profile.model_validate(raw)
    except ValidationError as exc:
        problems = [(_field_path(err["loc"]), _reason(err["msg"])) for err in exc.errors()]
        raise ProfileError(file_name, problems) from exc
    stem = file_name.removesuffix(PROFILE_SUFFIX)
    if profile.code != stem:
        raise ProfileError(file_name, [("profile.code", f"'{profile.code}' does not match the file name")])
    return profile


def load_profile(path: str | Path | Traversable) -> Profile:
    """Load and validate one profile file."""
    source = Path(path) if isinstance(path, str) else path
    try:
        data = source.read_bytes()
    except OSError as exc:
        raise ProfileError(source.name, [("<file>", exc.strerror or str(exc))]) from exc
    return parse_profile(data, source.name)


def default_profiles_dir() -> Traversable:
    """The ``profiles/`` folder shipped inside the package."""
    return resources.files("gongji.policy").joinpath("profiles")


def load_profiles(directory: str | Path | Traversable | None = None) -> dict[str, Profile]:
    """Load every ``*.toml`` profile of ``directory`` (default: the shipped profiles), by code."""
    folder: Path | Traversable
    if directory is None:
        folder = default_profiles_dir()
    elif isinstance(directory, str):
        folder = Path(directory)
    else:
        folder = directory
    files = sorted(
        (entry for entry in folder.iterdir() if entry.name.endswith(PROFILE_SUFFIX)),
        key=lambda entry: entry.name,
    )
    profiles = (load_profile(entry) for entry in files)
    return {profile.code: profile for profile in profiles}

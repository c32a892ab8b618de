"""Reading a preset's JSON files with errors that name the file and what is wrong with it."""

import json

from kgen.core.errors import PresetError


def read_json(path, required=()):
    """The object in a preset's JSON file, or a `PresetError` naming the file and what is wrong
    with it (unreadable, not JSON, not an object, or without the `required` keys)."""
    try:
        with open(path, encoding="utf-8") as f:
            value = json.load(f)
    except (UnicodeDecodeError, json.JSONDecodeError) as error:
        raise PresetError(f"{path} is not valid JSON ({error}); restore the file or re-save the preset.") from error
    except OSError as error:
        raise PresetError(f"{path} cannot be read: {error}") from error
    if not isinstance(value, dict):
        raise PresetError(f"{path} must hold a JSON object; it holds a {type(value).__name__}.")
    missing = [key for key in required if key not in value]
    if missing:
        raise PresetError(f"{path} is missing {', '.join(map(repr, missing))}; restore the file or re-save the preset.")
    return value

"""One render job: training settings plus render settings, merged from layers.

Layers, weakest first: built-in defaults, a preset, a TOML config file, command-line flags.
The merged job is written beside the outputs as ``config.toml`` so any video can be
regenerated exactly with ``--config out/config.toml``. TOML is data: nothing is executed.
"""
from __future__ import annotations

import os
import tomllib
from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import Any

import tomli_w

from scenes import resources
from scenes.story.plan import check_fps
from scenes.story.theme import load_theme
from scenes.outputs import (BACKEND_FORMATS, BACKENDS, FORMATS, POSTER_FORMATS, QUALITIES, SCENES, STORY_FORMATS,
                            VIEWS, DEFAULT_VIEWS, output_file_name)
from training.config import SETTINGS, TRAIN_KEYS, TrainConfig, setting_named
from training.data import DataSpec, SYNTHETIC_FIELDS
from training.errors import InputError, listed, shown

__all__ = ["BACKENDS", "FORMATS", "STORY_FORMATS", "BACKEND_FORMATS", "check_backend", "check_formats",
           "split_formats", "output_file_name", "POSTER_FORMATS", "VIEWS", "SCENES",
           "QUALITIES", "RenderSettings", "Job", "preset_names",
           "load_preset", "example_config_names", "load_config_file", "build_job", "job_to_toml", "layers",
           "TRAIN_KEYS"]



@dataclass(frozen=True)
class RenderSettings:
    backend: str = "matplotlib"
    formats: tuple[str, ...] = ("mp4", "gif", "png")
    fps: int = 30
    size: tuple[int, int] = (1280, 720)
    theme: str = "light"
    views: tuple[str, ...] = DEFAULT_VIEWS
    scene: str = "walkthrough"
    quality: str = "high"
    duration: float | None = None
    detail_steps: int | None = None
    max_gif_mb: float | None = None
    stem: str = "sgd"
    explore: bool = False  # html: a grid of runs behind sliders (scenes.web.explore), not one run
    captions: bool = True  # STEM.vtt beside every video, and a soft subtitle track in MP4 and WebM


RENDER_KEYS = tuple(f.name for f in fields(RenderSettings))


@dataclass(frozen=True)
class Job:
    train: TrainConfig = field(default_factory=TrainConfig)
    render: RenderSettings = field(default_factory=RenderSettings)
    out: Path = Path("out")
    preset: str | None = None
    base_dir: Path = field(default_factory=Path.cwd)  # relative data paths resolve here


# ------------------------------------------------------------------ parsing values
def _parse_list(value: Any, name: str, allowed: tuple[str, ...]) -> tuple[str, ...]:
    items = [s.strip().lower() for s in value.split(",")] if isinstance(value, str) else value
    if not isinstance(items, (list, tuple)) or not items or not all(isinstance(i, str) and i for i in items):
        raise InputError(f"{name} must be a comma list of: {', '.join(allowed)}")
    for item in items:
        if item not in allowed:
            raise InputError(f"unknown {name[:-1] if name.endswith('s') else name} {shown(item)}; accepted: {', '.join(allowed)}")
    return tuple(dict.fromkeys(items))


def check_backend(value: Any) -> str:
    """A backend name, lower-cased, or a one-line :class:`InputError`."""
    backend = _expect(value, str, "backend").lower()
    if backend not in BACKENDS:
        raise InputError(f"unknown backend {shown(backend)}; accepted: {', '.join(BACKENDS)}")
    return backend


def check_formats(backend: str, formats: Any) -> tuple[str, ...]:
    """The output formats (a comma list or a sequence), checked against what ``backend``
    writes (:data:`BACKEND_FORMATS`); duplicates dropped, order kept. An unknown format or an
    unsupported backend/format combination is a one-line :class:`InputError`, before any work."""
    backend = check_backend(backend)
    items = _parse_list(formats, "formats", FORMATS)
    writes = BACKEND_FORMATS[backend]
    cannot = [f for f in items if f not in writes]
    if cannot:
        raise InputError(f"the {backend} backend cannot write {', '.join(cannot)}; "
                         f"it writes: {', '.join(writes)}")
    return items


def split_formats(formats: Any) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """(what the backend draws, what scenes.web writes from the story) of checked formats."""
    items = tuple(formats)
    return (tuple(f for f in items if f not in STORY_FORMATS), tuple(f for f in items if f in STORY_FORMATS))


def check_captions(value: Any) -> bool:
    """``on``/``off`` (the command line) or true/false (a config file)."""
    if isinstance(value, str) and value.strip().lower() in ("on", "off"):
        return value.strip().lower() == "on"
    if isinstance(value, bool):
        return value
    raise InputError(f"captions must be on or off, got {shown(value)}")


def parse_size(value: Any) -> tuple[int, int]:
    """``"1280x720"`` (or a pair) to a checked (width, height)."""
    if isinstance(value, str):
        w, sep, h = value.lower().replace(" ", "").partition("x")
        # checked here, so that '640x' is named as typed, not as the pair ('640', '')
        if not (sep and w.isdigit() and h.isdigit()):
            raise InputError(f"size must look like WIDTHxHEIGHT (for example 1280x720), got {shown(value)}")
        value = (w, h)
    return check_size(value)


def check_size(size: Any) -> tuple[int, int]:
    """A frame size both backends and H.264 accept: even numbers, 160x90 up to 8K."""
    try:
        w, h = (int(v) for v in size)
    except (TypeError, ValueError):
        raise InputError(f"size must look like WIDTHxHEIGHT (for example 1280x720), got {shown(size)}") from None
    if not (160 <= w <= 7680 and 90 <= h <= 4320):
        raise InputError(f"size {w}x{h} is out of range: width must be between 160 and 7680, height between 90 and 4320")
    if w % 2 or h % 2:
        raise InputError(f"size {w}x{h} must have an even width and height (H.264 needs it)")
    return w, h


def _expect(value: Any, kind: type | tuple, name: str) -> Any:
    if isinstance(value, bool) and kind in (int, float, (int, float)):
        raise InputError(f"{name} must be a number, got {shown(value)}")
    if kind is float and isinstance(value, int):
        try:
            return float(value)
        except OverflowError:  # a TOML integer of hundreds of digits
            raise InputError(f"{name} must be a finite number, got {shown(value)}") from None
    if not isinstance(value, kind):
        what = {int: "a whole number", float: "a number", bool: "true or false", str: "text"}.get(kind, str(kind))
        raise InputError(f"{name} must be {what}, got {shown(value)}")
    return value


# Each training setting's type, from the one table (training.config.SETTINGS).
_TRAIN_TYPES = {s.name: s.kind for s in SETTINGS if s.name != "data"}


# ------------------------------------------------------------------ layers
def _presets() -> dict:
    """The bundled presets (``assets/presets.toml``), read through importlib.resources."""
    return tomllib.loads(resources.asset_text("presets.toml"))


def preset_names() -> list[str]:
    return sorted(_presets())


def load_preset(name: str) -> dict:
    presets = _presets()
    if not isinstance(name, str) or name not in presets:
        raise InputError(f"unknown preset {shown(name)}; accepted: {', '.join(sorted(presets))}")
    return dict(presets[name])


def example_config_names() -> list[str]:
    """The example configs that ship with sgd-anim (``assets/configs``): ``--config adam`` reads one."""
    return resources.asset_names("configs", ".toml")


def load_config_file(path: str | Path) -> dict:
    """Read a TOML config into a flat settings dict. Data paths become absolute (relative to the file).

    ``path`` is a file, or the bare name of a bundled example config (``adam``, ``momentum``, ...;
    see :func:`example_config_names`) when no file of that name exists."""
    from training.files import display_name
    p = Path(path)
    if not p.exists() and str(path) in example_config_names():
        p = resources.asset_path("configs", f"{path}.toml")  # a real file: its data path is relative to it
    path = display_name(path)  # as messages name it: one line
    if not p.exists():
        raise InputError(f"config file {path} does not exist (bundled examples, named without a path: "
                         f"{', '.join(example_config_names())})")
    from training.files import MAX_TOML_BYTES, read_limited
    # A regular file or a pipe, at most MAX_TOML_BYTES: a device or a directory is refused in one line.
    raw = read_limited(p, what="config file", name=str(path), limit=MAX_TOML_BYTES)
    try:
        doc = tomllib.loads(raw.decode("utf-8-sig"))  # -sig: a BOM from a Windows editor is fine
    except UnicodeDecodeError:
        raise InputError(f"config file {path} is not UTF-8 TOML text") from None
    except tomllib.TOMLDecodeError as e:
        raise InputError(f"config file {path} is not valid TOML: {e}") from None
    except RecursionError:  # tomllib parses arrays and inline tables recursively
        raise InputError(f"config file {path} nests arrays or tables too deeply") from None
    except ValueError as e:  # an integer of more than 4300 digits (sys.get_int_max_str_digits)
        raise InputError(f"config file {path} is not valid TOML: {str(e).split(':')[0]}") from None
    if _holds_nul(doc):  # no path, name or setting has one (os functions raise ValueError on it)
        raise InputError(f"config file {path}: a value holds a NUL character (\\u0000)")
    flat: dict[str, Any] = {}
    sections = {"data": None, "training": TRAIN_KEYS, "render": RENDER_KEYS + ("formats", "preset", "out"),
                "compare": None}
    for key, value in doc.items():
        if key not in sections:
            raise InputError(f"config file {path}: unknown section or key {shown(key)}; accepted sections: [data], [training], [render], [compare]")
        if not isinstance(value, dict):
            raise InputError(f"config file {path}: {shown(key)} must be a [{key}] section")
        if key == "data":
            flat["data"] = _data_from_toml(value, p)
            continue
        if key == "compare":
            flat["compare"] = _compare_from_toml(value, p, str(path))
            continue
        if key == "training" and isinstance(value.get("model"), dict):  # model = {kind = "poly", degree = 3}
            from training.models import model_from_dict
            value = {**value, **model_from_dict(value["model"], lambda m: InputError(f"config file {path}: [training] {m}"))}
        for k, v in value.items():
            if k not in sections[key]:
                raise InputError(f"config file {path}: unknown setting {shown(k)} in [{key}]; accepted: {', '.join(sections[key])}")
            flat[k] = v
    if "out" in flat:
        out = Path(_expect(flat["out"], str, "out"))
        flat["out"] = out if out.is_absolute() else (p.parent / out).resolve()
    if isinstance(flat.get("theme"), str) and flat["theme"].endswith(".toml"):  # a theme file, not a name
        theme = Path(flat["theme"])
        flat["theme"] = str(theme if theme.is_absolute() else (p.parent / theme).resolve())
    return flat


def _holds_nul(value: Any) -> bool:
    stack = [value]
    while stack:
        v = stack.pop()
        if isinstance(v, str) and "\x00" in v:
            return True
        if isinstance(v, dict):
            stack.extend(v.keys())
            stack.extend(v.values())
        elif isinstance(v, list):
            stack.extend(v)
    return False


def _compare_from_toml(section: dict, config_path: Path, name: str) -> dict:
    """The [compare] table: varied settings (``lr = [0.03, 0.1]``), or ``traces = [...]`` (saved
    runs), and ``each = true``. Paths (traces, CSV data) are relative to the config file."""
    from scenes.compare.spec import axes_from_table
    table = dict(section)
    where = f"config file {name}: [compare]"
    result: dict[str, Any] = {"each": _expect(table.pop("each", False), bool, f"{where} each")}
    traces = table.pop("traces", None)
    if traces is not None:
        if not isinstance(traces, list) or not traces or not all(isinstance(t, str) and t for t in traces):
            raise InputError(f"{where} traces must be a non-empty list of trace file paths")
        if table:
            raise InputError(f"{where} traces re-renders saved runs; it cannot be combined with {listed(table)}")
        result["traces"] = [str(t if Path(t).is_absolute() else (config_path.parent / t).resolve()) for t in traces]
        return result
    data = table.get("data")
    if isinstance(data, list):  # a CSV path is relative to the config file, like [data] source
        table["data"] = [str((config_path.parent / d).resolve()) if isinstance(d, str) and d.strip()
                         and d.strip() != "article" and not d.strip().startswith("synthetic")
                         and not Path(d).is_absolute() else d for d in data]
    if not table:
        raise InputError(f"{where} is empty; give the settings to vary, for example lr = [0.03, 0.1, 0.3]")
    result["axes"] = axes_from_table(table, where)
    return result


def _data_from_toml(section: dict, config_path: Path) -> DataSpec:
    section = dict(section)
    source = section.pop("source", "article")
    if not isinstance(source, str):
        raise InputError(f"config file {config_path}: [data] source must be text (article, synthetic or a CSV path)")
    if source == "synthetic":
        unknown = sorted(set(section) - set(SYNTHETIC_FIELDS))
        if unknown:
            raise InputError(f"config file {config_path}: unknown [data] setting(s) {listed(unknown)}; "
                             f"accepted: source, {', '.join(SYNTHETIC_FIELDS)}")
        kwargs = {}
        for k, v in section.items():
            t = SYNTHETIC_FIELDS[k]
            kwargs[k] = _expect(v, t, f"[data] {k}")
        return DataSpec(kind="synthetic", **kwargs)
    if section:
        raise InputError(f"config file {config_path}: [data] settings {listed(sorted(section))} only apply to source = \"synthetic\"")
    if source == "article":
        return DataSpec()
    csv = Path(source)
    return DataSpec(kind="csv", path=str(csv if csv.is_absolute() else (config_path.parent / csv).resolve()))


def layers(args: dict, config_layer: dict) -> list[dict]:
    """Settings, weakest first: a preset (named by a flag, else by the config file), the
    config file, flags."""
    out: list[dict] = []
    preset = args.get("preset", config_layer.pop("preset", None))
    if preset is not None:
        out.append({**load_preset(preset), "preset": preset})
    out.append(config_layer)
    out.append(args)
    return out


# ------------------------------------------------------------------ merging
def build_job(layers: list[dict], base_dir: Path | None = None) -> Job:
    """Merge flat settings dicts (weakest first) into a validated Job."""
    merged: dict[str, Any] = {}
    for layer in layers:
        merged.update({k: v for k, v in layer.items() if v is not None})

    train_kwargs: dict[str, Any] = {}
    for key in TRAIN_KEYS:
        if key in merged:
            kind = _TRAIN_TYPES[key]
            train_kwargs[key] = (setting_named(key).coerce(merged[key]) if kind in (tuple, list)  # "1,150,300" or a list
                                 else _expect(merged[key], kind, key.replace("_", " ")))
    for key in ("optimizer", "model", "activation"):  # words, whatever their case
        if key in train_kwargs:
            train_kwargs[key] = train_kwargs[key].lower()
    if "model" in train_kwargs and train_kwargs["model"] != "line":
        given = [k for k in ("init_a", "init_b") if k in train_kwargs]
        if given:  # even at their defaults: the line's start does not apply
            raise InputError(f"{', '.join(setting_named(k).cli_flag for k in given)}: the line's start does not "
                             f"apply to --model {train_kwargs['model']} (it starts at its family's own start)")
    data = merged.get("data", DataSpec())
    if isinstance(data, str):
        data = DataSpec.parse(data)
    train = TrainConfig(data=data, **train_kwargs)
    train.validate()

    r: dict[str, Any] = {}
    if "backend" in merged:
        r["backend"] = check_backend(merged["backend"])
    r["formats"] = check_formats(r.get("backend", RenderSettings.backend),
                                 merged.get("formats", RenderSettings.formats))
    if "views" in merged:
        r["views"] = _parse_list(merged["views"], "views", VIEWS)
    if "fps" in merged:
        r["fps"] = check_fps(_expect(merged["fps"], int, "fps"))
    if "size" in merged:
        r["size"] = parse_size(merged["size"])
    for key in ("theme", "scene", "quality", "stem"):
        if key in merged:
            r[key] = _expect(merged[key], str, key)
    if r.get("scene", "walkthrough") not in SCENES:
        raise InputError(f"unknown scene {shown(r['scene'])}; accepted: {', '.join(SCENES)}")
    if r.get("quality", "high") not in QUALITIES:
        raise InputError(f"unknown quality {shown(r['quality'])}; accepted: {', '.join(QUALITIES)}")
    if "stem" in r and (not r["stem"] or any(c in r["stem"] for c in "/\\\0") or r["stem"].startswith(".")):
        raise InputError(f"output name must be a plain file name, got {shown(r['stem'])}")
    if "duration" in merged:
        r["duration"] = _expect(merged["duration"], float, "duration")
        if not 1 <= r["duration"] <= 600:
            raise InputError(f"duration must be between 1 and 600 seconds, got {r['duration']:g}")
    if "detail_steps" in merged:
        r["detail_steps"] = _expect(merged["detail_steps"], int, "detail steps")
        if r["detail_steps"] < 0:
            raise InputError(f"detail steps must be >= 0, got {r['detail_steps']}")
    if "max_gif_mb" in merged:
        r["max_gif_mb"] = _expect(merged["max_gif_mb"], float, "max gif mb")
        if not 0 < r["max_gif_mb"] <= 1000:  # also refuses nan
            raise InputError(f"max gif mb must be > 0 and at most 1000, got {r['max_gif_mb']:g}")
    if merged.get("explore") is not None:
        r["explore"] = _expect(merged["explore"], bool, "explore")
        if r["explore"] and r["formats"] != ("html",):
            raise InputError("--explore writes the html explorer only; use it with --format html")
    if merged.get("captions") is not None:
        r["captions"] = check_captions(merged["captions"])
    render = RenderSettings(**r)
    load_theme(render.theme)  # a bad theme is refused now, before any work

    out = Path(merged.get("out", "out"))
    return Job(train=train, render=render, out=out, preset=merged.get("preset"),
               base_dir=base_dir or Path.cwd())



def toml_path(path: str | Path, base_dir: Path, relative_to: Path | None = None) -> str:
    """A file a config names (a CSV, a theme), as a config file written to ``relative_to``
    names it: relative to that folder (paths in a config file are relative to the file)."""
    path = Path(path)
    if not path.is_absolute():
        path = (base_dir / path).resolve()
    if relative_to is not None:
        path = Path(os.path.relpath(path, relative_to.resolve()))
    return path.as_posix()


def job_to_toml(job: Job, relative_to: Path | None = None) -> str:
    """The effective configuration, as a config file that regenerates the same outputs."""
    t = job.train
    data: dict[str, Any]
    if t.data.kind == "csv":
        data = {"source": toml_path(t.data.path or "", job.base_dir, relative_to)}
    elif t.data.kind == "synthetic":
        data = {"source": "synthetic", **{k: getattr(t.data, k) for k in SYNTHETIC_FIELDS}}
    else:
        data = {"source": "article"}
    # None means "the optimizer's default" (momentum): left out, so the file says the same.
    # An empty list (no --graph-steps) is left out too: config.toml is as it was before it existed.
    # The line, the default model, is left out too; and the line's start with any other model.
    skip = {"model"} if t.model == "line" else {"init_a", "init_b"}
    training = {k: getattr(t, k) for k in TRAIN_KEYS if getattr(t, k) not in (None, ()) and k not in skip}
    r = job.render
    theme = r.theme
    if theme.endswith(".toml"):  # a theme file: written relative to the config file, as data paths are
        theme = toml_path(theme, job.base_dir, relative_to)
    render: dict[str, Any] = {
        "backend": r.backend, "formats": list(r.formats), "fps": r.fps, "size": f"{r.size[0]}x{r.size[1]}",
        "theme": theme, "views": list(r.views), "scene": r.scene, "quality": r.quality, "stem": r.stem,
    }
    for key in ("duration", "detail_steps", "max_gif_mb"):
        if getattr(r, key) is not None:
            render[key] = getattr(r, key)
    if r.explore:
        render["explore"] = True
    if not r.captions:
        render["captions"] = False
    from scenes.program import program_name
    header = f"# The effective configuration of this render. Regenerate with:\n#   {program_name()} --config config.toml\n"
    return header + tomli_w.dumps({"data": data, "training": training, "render": render})

"""Training settings as one dataclass: what produced a trace, validated with clear messages.

The class body is the settings table (:mod:`training.settings`): each field declares its
type, default, range, flag, help and page control once; :data:`SETTINGS` lists them.
"""
from __future__ import annotations

from dataclasses import asdict, dataclass, fields

from training.batches import batches_per_epoch
from training.data import DataSpec
from training.errors import InputError, shown
from training.landscape import PLANE_KINDS
from training.models import ACTIVATIONS, FAMILY_SETTINGS, KINDS, MAX_DEGREE, MAX_HIDDEN, Model, model_of
from training.models import NAMES as MODEL_NAMES
from training.optimizers import NAMES as OPTIMIZERS
from training.optimizers import OPTIMIZERS as _SPECS
from training.optimizers import takes_momentum_names
from training.settings import MAX_SEED, Setting, setting, settings_of

__all__ = ["OPTIMIZERS", "MODEL_NAMES", "MAX_STEPS", "MAX_SAMPLES", "STEP_NUMBERS", "MAX_PARAM_VALUES", "max_steps", "MAX_GRAPH_STEPS", "MAX_SEED", "TrainConfig", "SETTINGS", "TRAIN_KEYS",
           "COMPARE_KEYS", "setting_named", "parse_bool"]


def parse_bool(text: str) -> bool | None:
    """A true/false setting written as text (a query string, a --compare value): True, False,
    or None when the text is neither."""
    word = text.strip().lower()
    return True if word in ("true", "yes", "on", "1") else False if word in ("false", "no", "off", "0") else None


# How long a run may be, so that every allowed run fits in 4 GB of memory, recorded, loaded or
# rendered. A trace holds 8 bytes a number: per step 14 numbers and an offset (120 bytes), per
# sample (one per point of each batch) an index, a prediction and a residual (24 bytes).
# Measured, re-rendering 10,000,000 steps to MP4: 3.25 GB with 10,000,000 samples, 4.21 GB with
# 50,000,000; so at most 20,000,000 samples (about 3.5 GB). Recording 1,000,000 steps peaks at
# 0.51 GB (torch alone takes 0.38), so the caps record in about 2 GB.
MAX_STEPS = 10_000_000
MAX_SAMPLES = 20_000_000
MAX_GRAPH_STEPS = 50  # --graph-steps: each recorded graph is kept in the trace
# A model of P parameters (schema 2) holds per step 4 numbers and an offset (epoch, batch, loss,
# full_loss) and P numbers in each of params, grads, updates and, when the optimizer keeps one,
# velocity: at most 5 + 4·P numbers. The line's 15 numbers a step at MAX_STEPS are the budget,
# so the step cap falls as P grows (the MLP at 64 hidden units, P = 193: 193,050 steps), and a
# parameter column holds at most MAX_PARAM_VALUES numbers whatever P is.
STEP_NUMBERS = 15 * MAX_STEPS
MAX_PARAM_VALUES = STEP_NUMBERS // 4


def max_steps(n_params: int | None = None) -> int:
    """The most steps a run may take: MAX_STEPS for the line (``None``), fewer for a model of
    many parameters (see STEP_NUMBERS)."""
    return MAX_STEPS if not n_params else min(MAX_STEPS, STEP_NUMBERS // (5 + 4 * n_params))


def _count(n: int) -> str:
    """A count for a message: ``12,345``, or ``about 10^400`` for one a file made absurd (its
    digits in full would make a message of hundreds of characters, or fail past 4300)."""
    return f"{n:,}" if n < 10**15 else f"about 10^{int(n.bit_length() * 0.30103)}"


@dataclass(frozen=True)
class TrainConfig:
    """Everything that determines a recorded run. Defaults are the article's run."""

    data: DataSpec = setting(DataSpec, default_factory=DataSpec, compare=True,
                             help="'article' (default: the article's six points), a CSV file with columns x,y, "
                                  "or 'synthetic[:n=1000,slope=0.5,intercept=0.1,noise=0.05,outliers=0,seed=0]'")
    lr: float = setting(float, 0.1, label="learning rate", low=0, low_open=True, compare=True,
                        help="learning rate (default: 0.1)",
                        page={"min": -3, "max": 0.5, "step": 0.01, "log": True, "significant": 3})
    batch_size: int = setting(int, 2, low=1, label="batch size", compare=True,
                              help="samples per batch (default: 2)",
                              page={"min": 1, "max": 64, "step": 1, "up_to_points": True})
    epochs: int = setting(int, 100, low=1, compare=True, help="passes over the data (default: 100)",
                          page={"min": 1, "max": 300, "step": 1})
    optimizer: str = setting(str, "sgd", compare=True, help=f"one of: {', '.join(OPTIMIZERS)} (default: sgd)",
                             page={"choices": list(OPTIMIZERS)})
    # None: the optimizer's own default (0.9 for "momentum", else 0), see training.optimizers.
    momentum: float | None = setting(float, None, low=0, high=1, high_open=True, compare=True,
                                     help="momentum in [0, 1) (default: 0.9 for 'momentum', else 0)",
                                     page={"min": 0, "max": 0.99, "step": 0.01, "decimals": 2, "unset": 0})
    nesterov: bool = setting(bool, False, compare=True, help="Nesterov momentum (SGD with momentum only)",
                             page={"label": "Nesterov"})
    beta1: float = setting(float, 0.9, low=0, high=1, high_open=True,
                           help="Adam's first-moment decay (default: 0.9)")
    beta2: float = setting(float, 0.999, low=0, high=1, high_open=True,
                           help="Adam's second-moment decay (default: 0.999)")
    eps: float = setting(float, 1e-8, low=0, low_open=True, help="Adam/RMSprop/Adagrad epsilon (default: 1e-8)")
    alpha: float = setting(float, 0.99, low=0, high=1, high_open=True,
                           help="RMSprop smoothing constant (default: 0.99)")
    weight_decay: float = setting(float, 0.0, low=0, label="weight decay", help="L2 weight decay (default: 0)")
    shuffle: bool = setting(bool, False, compare=True,
                            help="shuffle the samples every epoch (default: off, as in the article)", page={})
    seed: int = setting(int, 0, low=0, high=MAX_SEED, compare=True,
                        help="seed for shuffling and synthetic data (default: 0)", page={"min": 0, "step": 1})
    init_a: float = setting(float, 1.0, compare=True, help="starting slope a (default: 1.0)",
                            page={"label": "initial a", "min": -3, "max": 3, "step": 0.05, "decimals": 2})
    init_b: float = setting(float, 1.0, compare=True, help="starting intercept b (default: 1.0)",
                            page={"label": "initial b", "min": -3, "max": 3, "step": 0.05, "decimals": 2})
    # The article's len(X) // batch_size drops a short last batch.
    drop_last: bool = setting(bool, True, flag="--keep-last", flag_inverts=True,
                              help="keep a short last batch (default: drop it, as the article's "
                                   "len(X) // batch_size does)")
    # The article's classic mistake, for real: without optimizer.zero_grad() PyTorch adds each
    # batch's gradient to .grad, and the optimizer steps with the running sum.
    zero_grad: bool = setting(bool, True, flag="--no-zero-grad", flag_inverts=True, compare=True,
                              help="leave out optimizer.zero_grad(): .grad accumulates across batches, as "
                                   "PyTorch really does without it (default: zero it before each backward)",
                              page={"label": "zero_grad()"})
    # Steps (counted from 1, as the captions count) whose autograd graph is recorded, beside the
    # detailed steps a render shows. Not a property of the numbers: the run is the same without.
    graph_steps: tuple[int, ...] = setting(tuple, (), low=1, most=MAX_GRAPH_STEPS, label="graph steps",
                                           help="record the autograd graph of these steps too, counted from 1 "
                                                f"(for example 1,150,300; at most {MAX_GRAPH_STEPS}); the "
                                                "detailed steps always get theirs")
    # The model (training.models): the line is the default and keeps its own settings
    # (init_a, init_b); each other family has its own (degree; hidden, activation), None when
    # not given (the family's default then), and is refused with another family.
    model: str = setting(str, "line", help=f"the model to train: one of {', '.join(MODEL_NAMES)} "
                                           "(default: line, y' = a·x + b)")
    degree: int | None = setting(int, None, low=1, high=MAX_DEGREE,
                                 help=f"--model poly: the degree K of y' = c0 + c1·x + ... + cK·x^K "
                                      f"(1 to {MAX_DEGREE}, default 3)")
    hidden: int | None = setting(int, None, low=2, high=MAX_HIDDEN, label="hidden units",
                                 help=f"--model mlp: hidden units H of the network 1 -> H -> 1 "
                                      f"(2 to {MAX_HIDDEN}, default 8)")
    activation: str | None = setting(str, None, help=f"--model mlp: {' or '.join(ACTIVATIONS)} (default: tanh)")
    # The plane of the loss landscape a model of more than 2 parameters records (training.
    # landscape_trace); None: pca. A model of 2 parameters keeps its exact plane: refused there.
    plane: str | None = setting(str, None, label="plane",
                                help=f"the loss landscape's plane through parameter space for a model of more "
                                     f"than 2 parameters (poly of degree 2+, mlp): {' or '.join(PLANE_KINDS)} "
                                     "(default: pca, the path's first two principal directions; random: two "
                                     "filter-normalised random directions drawn from --seed)")

    # The start of poly and logistic (the MLP starts where PyTorch's default initialisation
    # puts it under --seed; the line at init_a, init_b): one number a parameter, in the order
    # of the model's parameter names. None: every parameter 0, each family's documented start.
    init: tuple[float, ...] | None = setting(list, None, most=MAX_DEGREE + 1, label="init",
                                             help="--model poly or logistic: the start, one number per parameter in "
                                                  "order (poly: c0 ... cK; logistic: w, b), for example 0,0.5,0,0 "
                                                  "(default: every parameter 0)")

    def __post_init__(self) -> None:
        # A list (TOML, from_dict, the API) becomes the sorted tuple of distinct steps, so the
        # settings stay hashable and compare equal however they were written.
        if isinstance(self.graph_steps, (list, tuple, str)):
            object.__setattr__(self, "graph_steps", _BY_NAME["graph_steps"].coerce(self.graph_steps))
        if isinstance(self.init, (list, tuple, str)):  # likewise the start: a tuple of floats
            object.__setattr__(self, "init", _BY_NAME["init"].coerce(self.init))

    @property
    def graph_indices(self) -> tuple[int, ...]:
        """``graph_steps`` as 0-based indices into the trace's step columns."""
        return tuple(k - 1 for k in self.graph_steps)

    @property
    def model_spec(self) -> Model:
        """The model these settings train (:mod:`training.models`): its parameters' names,
        numpy forward pass, loss and torch module."""
        return model_of(self)

    @property
    def effective_momentum(self) -> float:
        return _SPECS[self.optimizer].momentum(self) if self.optimizer in _SPECS else (self.momentum or 0.0)

    def validate(self, n_points: int | None = None) -> "TrainConfig":
        """Raise :class:`InputError` for the first setting that is out of range."""
        table = [s for s in SETTINGS if s.kind in (float, int, tuple, list)]
        for s in table:  # types first: a range check needs a number
            value = getattr(self, s.name)
            if value is not None:
                s.check_type(value)
        for s in table:
            value = getattr(self, s.name)
            if value is not None:
                s.check_range(value)
        if self.optimizer not in OPTIMIZERS:
            raise InputError(f"unknown optimizer {shown(self.optimizer)}; accepted: {', '.join(OPTIMIZERS)}")
        spec = _SPECS[self.optimizer]
        if self.momentum is not None and not spec.takes_momentum:
            names = takes_momentum_names()
            raise InputError(f"--momentum does not apply to {self.optimizer}; use it with "
                             f"{', '.join(names[:-1])} or {names[-1]}")
        if self.nesterov and (not spec.nesterov or self.effective_momentum <= 0):
            raise InputError("nesterov needs SGD with momentum > 0 (for example --optimizer momentum)")
        self._check_model()
        if n_points is not None:
            self._check_size(n_points)
        return self

    def _check_model(self) -> None:
        """The model is known, and only its own settings are given."""
        if self.model not in KINDS:  # (module: a recording of a user's loop; the recorder refuses it)
            raise InputError(f"unknown model {shown(self.model)}; accepted: {', '.join(MODEL_NAMES)}")
        for key, family in FAMILY_SETTINGS.items():
            if getattr(self, key) is not None and self.model != family:
                raise InputError(f"{_BY_NAME[key].cli_flag} applies to --model {family} only "
                                 f"(this run's model is {self.model})")
        if self.activation is not None and self.activation not in ACTIVATIONS:
            raise InputError(f"unknown activation {shown(self.activation)}; accepted: {', '.join(ACTIVATIONS)}")
        if self.plane is not None:
            if self.plane not in PLANE_KINDS:
                raise InputError(f"unknown plane {shown(self.plane)}; accepted: {', '.join(PLANE_KINDS)}")
            spec = self.model_spec
            if spec.n_params <= 2:
                names = ", ".join(spec.param_names)
                raise InputError(f"--plane applies to a model of more than 2 parameters (poly of degree 2 or "
                                 f"more, mlp); {spec.describe()} has {spec.n_params} ({names}): its plane is exact")
        if self.init is not None:
            self._check_init()
        if self.model != "line" and (self.init_a, self.init_b) != (_BY_NAME["init_a"].default, _BY_NAME["init_b"].default):
            start = "PyTorch's default initialisation under --seed" if self.model_spec.start() is None \
                else "every parameter at 0 (or init = [...] in the config)"
            raise InputError(f"--init-a/--init-b set the line's start; --model {self.model} starts from {start}")

    def _check_init(self) -> None:
        """``init`` belongs to a family with a documented start (poly, logistic), one number a parameter."""
        spec = self.model_spec
        if self.model == "line":
            raise InputError("init applies to --model poly or logistic; the line starts at --init-a, --init-b")
        if spec.start() is None:
            raise InputError(f"init applies to --model poly or logistic; --model {self.model} starts from "
                             "PyTorch's default initialisation under --seed")
        if len(self.init) != spec.n_params:
            raise InputError(f"init has {len(self.init)} number{'s' if len(self.init) != 1 else ''}; "
                             f"{spec.describe()} has {spec.n_params} parameters ({', '.join(spec.param_names)})")

    @property
    def start(self):
        """Where the run starts (float64, one number a parameter), or None: PyTorch's default
        initialisation (the MLP) or the line's init_a, init_b."""
        import numpy as np
        if self.init is not None:
            return np.array(self.init, dtype=np.float64)
        return self.model_spec.start()

    def _check_size(self, n_points: int) -> None:
        """The run fits the data and the memory caps."""
        if self.batch_size > n_points:
            raise InputError(f"batch size {self.batch_size} is larger than the data ({n_points} points)")
        per_epoch = batches_per_epoch(n_points, self.batch_size, self.drop_last)
        cap = MAX_STEPS if self.model == "line" else max_steps(self.model_spec.n_params)
        if per_epoch * self.epochs > cap:
            model = "" if self.model == "line" else f" for {self.model_spec.describe()}"
            raise InputError(
                f"{_count(self.epochs)} epochs of {per_epoch} batches is {_count(per_epoch * self.epochs)} steps; "
                f"at most {cap:,} are allowed{model} (so that a run fits in 4 GB of memory)")
        last = per_epoch * self.epochs
        past = [k for k in self.graph_steps if k > last]
        if past:
            raise InputError(f"graph steps: step {past[0]} is past the run's last step ({last:,}: {self.epochs} "
                             f"epoch{'s' if self.epochs != 1 else ''} of {per_epoch} batch"
                             f"{'es' if per_epoch != 1 else ''}); steps count from 1")
        samples = (per_epoch * self.batch_size if self.drop_last else n_points) * self.epochs
        if samples > MAX_SAMPLES:
            raise InputError(
                f"{_count(self.epochs)} epochs of {samples // self.epochs:,} samples records {_count(samples)} samples "
                f"(a prediction and a residual each); at most {MAX_SAMPLES:,} are allowed "
                "(so that a run fits in 4 GB of memory): use fewer epochs, points or a smaller batch")

    @property
    def has_momentum(self) -> bool:
        """Adam and Adagrad take no momentum setting (Adam's first moment is its own)."""
        return _SPECS[self.optimizer].takes_momentum

    def to_dict(self) -> dict:
        """As stored in a trace: the momentum actually used, and none for Adam and Adagrad."""
        d = asdict(self)
        d["data"] = self.data.to_dict()
        if self.has_momentum:
            d["momentum"] = self.effective_momentum
        else:
            del d["momentum"]
        # Left out at their defaults, so that a run that does not use them is stored (and
        # cached) byte for byte as before they existed.
        if self.zero_grad:
            del d["zero_grad"]
        if self.graph_steps:
            d["graph_steps"] = list(self.graph_steps)
        else:
            del d["graph_steps"]
        if self.init is not None:  # stored only when given: traces and caches as before it existed
            d["init"] = list(self.init)
        else:
            del d["init"]
        # The model: absent for the line (its trace is as before models existed); else
        # {"kind", its family's settings}, and the line's own starting point left out.
        for key in ("model", *FAMILY_SETTINGS):
            del d[key]
        # The landscape's plane: stored only when not the default (pca), so a run that does not
        # set it is stored (and cached) as before it existed; the line never has one.
        if d.pop("plane") == "random":
            d["plane"] = "random"
        if self.model != "line":
            d["model"] = self.model_spec.to_dict()
            del d["init_a"], d["init_b"]
        return d

    @classmethod
    def from_dict(cls, d: dict) -> "TrainConfig":
        known = {f.name for f in fields(cls)}
        unknown = sorted(set(d) - known)
        if unknown:
            raise InputError(f"unknown training setting(s): {', '.join(unknown)}; accepted: {', '.join(sorted(known))}")
        kwargs = dict(d)
        if isinstance(kwargs.get("model"), dict):  # as to_dict writes it: {"kind": "poly", "degree": 3}
            from training.models import model_from_dict
            kwargs.update(model_from_dict(kwargs["model"], InputError))
        data = kwargs.get("data")
        if isinstance(data, dict):
            kwargs["data"] = DataSpec(**data)
        return cls(**kwargs)


SETTINGS: tuple[Setting, ...] = settings_of(TrainConfig)
_BY_NAME = {s.name: s for s in SETTINGS}
TRAIN_KEYS: tuple[str, ...] = tuple(s.name for s in SETTINGS if s.name != "data")  # the [training] table
# What --compare may vary, in the order of runs.csv's columns: the numbers, then the data.
COMPARE_KEYS: tuple[str, ...] = tuple(s.name for s in SETTINGS if s.compare and s.name != "data") + ("data",)


def setting_named(name: str) -> Setting:
    return _BY_NAME[name]

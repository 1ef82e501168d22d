"""Ordered registries of problem and optimizer classes: what a kernel may be specialised for.

Iteration follows registration order. ``simulate`` and ``replay`` accept only
instances of registered classes, so a class that was never registered (or a subclass
that adds nothing the registry knows) is rejected in Python before anything compiles.
"""


class Registry:
    """Registered classes by name, in registration order; ``check`` validates a class when it is added."""

    def __init__(self, what, check):
        self.what = what
        self._check = check
        self._classes = {}

    def add(self, cls, name=None):
        """Register ``cls`` under ``name`` (default: its class name in lower case); return ``cls``."""
        name = name or cls.__name__.lower()
        if not name.isidentifier():
            raise ValueError(f"{self.what} name must be an identifier; got {name!r}")
        old = self._classes.get(name)
        if old is not None and old is not cls:
            raise ValueError(f"{self.what} name {name!r} is taken by {old.__module__}.{old.__qualname__}")
        self._check(cls)
        self._classes[name] = cls
        return cls

    def name_of(self, cls):
        for name, c in self._classes.items():
            if c is cls:
                return name
        return None

    def resolve(self, obj):
        """The registered name of ``obj``'s exact class, or a ValueError that says how to register it."""
        name = self.name_of(type(obj))
        if name is None:
            raise ValueError(f"{self.what} class {type(obj).__qualname__} is not registered: "
                             f"register it with simsgd.register_{self.what}({type(obj).__name__}); "
                             f"registered: {', '.join(self._classes)}")
        return name

    def __iter__(self):
        return iter(self._classes.values())

    def __len__(self):
        return len(self._classes)


def check_contract(cls, base, kernels_type, signature):
    """Raise a ValueError unless ``cls`` subclasses ``base`` and its ``kernels`` are a compiled ``kernels_type``."""
    if not (isinstance(cls, type) and issubclass(cls, base)):
        what = base.__name__.lower()
        raise ValueError(f"{'an' if what[0] in 'aeiou' else 'a'} {what} must be a subclass of "
                         f"simsgd.{base.__name__}; got {cls!r}")
    if not isinstance(cls.kernels, kernels_type):
        raise ValueError(f"{cls.__name__}.kernels must be {kernels_type.__name__}{signature}")
    for name, fn in cls.kernels._asdict().items():
        if not hasattr(fn, "py_func"):
            raise ValueError(f"{cls.__name__}.kernels.{name} must be compiled with simsgd.kernel; got {fn!r}")

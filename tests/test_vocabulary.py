"""One name per hyperparameter: repr that rebuilds, params() with booleans, other libraries' spellings."""
import inspect
import json

import numpy as np
import pytest

import simsgd
import simsgd as ss

# Settings away from the defaults, for every rule of the package (each keyword changed at least once).
NON_DEFAULT = {
    ss.SGD: [dict(lr=0.3)],
    ss.Momentum: [dict(lr=0.1, b1=0.5, bias_correction=True)],
    ss.HeavyBall: [dict(lr=0.1, b1=0.7, dampening=0.2), dict(lr=0.1, b1=0.5, nesterov=True)],
    ss.Nesterov: [dict(lr=0.2, b1=0.75)],
    ss.Adagrad: [dict(lr=0.1, eps=0.0, initial_accumulator=0.1, eps_placement="outside", lr_decay=0.01)],
    ss.RMSProp: [dict(lr=0.01, b2=0.8, eps=1e-6, bias_correction=True, eps_placement="outside")],
    ss.Adadelta: [dict(lr=0.5, b2=0.95, eps=1e-5)],
    ss.Adam: [dict(lr=0.1, b1=0.8, b2=0.99, eps=0.0, bias_correction=False, eps_placement="scaled"),
              dict(lr=0.1, eps_placement="outside", amsgrad=True, amsgrad_max="corrected", lr_sqrt_decay=True)],
    ss.AMSGrad: [dict(lr=0.1, b1=0.5, b2=0.9, eps=1e-6, eps_placement="outside", amsgrad_max="corrected",
                      bias_correction=False, lr_sqrt_decay=True)],
    ss.Adamax: [dict(lr=0.1, b1=0.5, b2=0.9, eps=1e-3, eps_placement="inside")],
    ss.Nadam: [dict(lr=0.1, b1=0.5, b2=0.9, eps=1e-6, momentum_decay=None), dict(lr=0.1, momentum_decay=1.0)],
}
INSTANCES = [(cls, "example", cls.example()) for cls in ss.OPTIMIZERS] + [
    (cls, f"setting{i}", cls(**kw)) for cls, settings in NON_DEFAULT.items() for i, kw in enumerate(settings)]
IDS = [f"{cls.__name__}-{tag}" for cls, tag, _ in INSTANCES]


def _keywords(cls):
    return [n for n in inspect.signature(cls).parameters]


def test_every_rule_has_non_default_settings():
    assert set(NON_DEFAULT) >= {c for c in ss.OPTIMIZERS if c.__module__.startswith("simsgd.")}
    for cls, settings in NON_DEFAULT.items():
        changed = {k for kw in settings for k, v in kw.items()
                   if v != inspect.signature(cls).parameters[k].default}
        assert changed == set(_keywords(cls)), cls


@pytest.mark.parametrize("cls,tag,opt", INSTANCES, ids=IDS)
def test_repr_rebuilds_the_rule(cls, tag, opt):
    text = repr(opt)
    assert text.startswith(f"{cls.__name__}(lr=")
    again = eval(text, vars(simsgd))
    assert type(again) is cls and again == opt and hash(again) == hash(opt) and repr(again) == text
    np.testing.assert_array_equal(again.hyper_values(), opt.hyper_values())  # the kernels see the same numbers
    np.testing.assert_array_equal(again.option_values(), opt.option_values())
    assert again.n_state == opt.n_state


def test_equality_compares_class_and_hyperparameters():
    assert ss.Adam(0.1) == ss.Adam(lr=0.1) and ss.Adam(0.1) != ss.Adam(0.2)
    assert ss.Adam(0.1) != ss.AMSGrad(0.1) and ss.Adam(0.1, amsgrad=True) != ss.AMSGrad(0.1)
    assert ss.Momentum(0.1) != ss.Nesterov(0.1) and ss.SGD(0.1) != "SGD(lr=0.1)"
    assert len({ss.SGD(0.1), ss.SGD(0.1), ss.SGD(0.2)}) == 2


@pytest.mark.parametrize("cls,tag,opt", INSTANCES, ids=IDS)
def test_params_are_the_keywords_with_booleans(cls, tag, opt):
    p = opt.params()
    assert p == {"optimizer": cls.__name__, **{k: getattr(opt, k) for k in _keywords(cls)}}
    for k, param in inspect.signature(cls).parameters.items():
        if isinstance(param.default, bool):
            assert type(p[k]) is bool, k
        elif isinstance(param.default, float):
            assert p[k] is None or type(p[k]) is float, k
    assert json.loads(json.dumps(p)) == p


@pytest.mark.parametrize("make,same", [
    (lambda: ss.Adam(0.1, beta1=0.8), lambda: ss.Adam(0.1, b1=0.8)),
    (lambda: ss.Adam(learning_rate=0.1, beta_1=0.8, beta_2=0.99, epsilon=1e-6),
     lambda: ss.Adam(0.1, 0.8, 0.99, 1e-6)),
    (lambda: ss.Adam(0.1, betas=(0.8, 0.99)), lambda: ss.Adam(0.1, b1=0.8, b2=0.99)),
    (lambda: ss.AMSGrad(0.1, beta2=0.9, eps_inside=False), lambda: ss.AMSGrad(0.1, b2=0.9, eps_placement="outside")),
    (lambda: ss.Nadam(0.1, betas=[0.8, 0.9]), lambda: ss.Nadam(0.1, b1=0.8, b2=0.9)),
    (lambda: ss.Adamax(0.1, eps_in_max=True), lambda: ss.Adamax(0.1, eps_placement="inside")),
    (lambda: ss.HeavyBall(0.1, momentum=0.7, dampening=0.1), lambda: ss.HeavyBall(0.1, b1=0.7, dampening=0.1)),
    (lambda: ss.HeavyBall(0.1, 0.7), lambda: ss.HeavyBall(0.1, b1=0.7)),
    (lambda: ss.Momentum(0.1, momentum=0.5), lambda: ss.Momentum(0.1, b1=0.5)),
    (lambda: ss.Nesterov(0.1, momentum=0.5), lambda: ss.Nesterov(0.1, b1=0.5)),
    (lambda: ss.RMSProp(0.1, rho=0.8, eps_inside=False), lambda: ss.RMSProp(0.1, b2=0.8, eps_placement="outside")),
    (lambda: ss.RMSProp(0.1, eps_in_sqrt=True), lambda: ss.RMSProp(0.1, eps_placement="inside")),
    (lambda: ss.Adadelta(rho=0.8), lambda: ss.Adadelta(b2=0.8)),
    (lambda: ss.Adagrad(0.1, initial_accumulator_value=0.1, eps_inside=False),
     lambda: ss.Adagrad(0.1, initial_accumulator=0.1, eps_placement="outside")),
])
def test_unambiguous_aliases_build_the_same_rule(make, same):
    a, b = make(), same()
    assert a == b and repr(a) == repr(b)
    np.testing.assert_array_equal(a.hyper_values(), b.hyper_values())
    np.testing.assert_array_equal(a.option_values(), b.option_values())


@pytest.mark.parametrize("make,error,pattern", [
    (lambda: ss.RMSProp(0.1, alpha=0.9), TypeError, r"RMSProp has no keyword 'alpha': did you mean 'b2'\?"),
    (lambda: ss.RMSProp(0.1, decay=0.9), TypeError, r"did you mean 'b2'\? \(decay is optax's"),
    (lambda: ss.Adam(0.1, alpha=0.1), TypeError, r"did you mean 'lr'\?"),
    (lambda: ss.Adam(0.1, momentum=0.9), TypeError, r"Adam has no keyword 'momentum': did you mean 'b1'\?"),
    (lambda: ss.Nadam(0.1, momentum=0.9), TypeError, r"did you mean 'b1'\?"),
    (lambda: ss.SGD(0.1, momentum=0.9), TypeError, r"SGD has no keyword 'momentum' \(.*HeavyBall\(lr, b1=.*lr$"),
    (lambda: ss.Adam(0.1, rho=0.9), TypeError, r"did you mean 'b2'\?"),
    (lambda: ss.Adam(0.1, eps_mode=1), TypeError, r"did you mean 'eps_placement'\?"),
    (lambda: ss.Adam(0.1, amsgrad_corrected=True), TypeError, r"did you mean 'amsgrad_max'\?"),
    (lambda: ss.RMSProp(0.1, beta1=0.9), TypeError,
     r"RMSProp has no keyword 'beta1' \(.*RMSProp has no b1\); RMSProp's keywords: lr, b2, eps, bias_correction"),
    (lambda: ss.Adam(0.1, weight_decay=0.1), TypeError, r"does not model weight decay"),
    (lambda: ss.Adam(0.1, b1=0.9, beta1=0.8), TypeError, r"Adam got b1 twice: as 'b1' and as 'beta1'"),
    (lambda: ss.Adam(0.1, beta_1=0.9, betas=(0.8, 0.9)), TypeError, r"got b1 twice: as 'beta_1' and as 'betas'"),
    (lambda: ss.Adam(0.1, betas=(0.9,)), ValueError, r"betas must be a pair \(b1, b2\)"),
    (lambda: ss.Adam(0.1, betas=(0.9, 1.0)), ValueError, r"b2 must be .* \(given as betas\)"),
    (lambda: ss.Adam(0.1, beta1=-0.1), ValueError, r"b1 must be .* \(given as beta1\)"),
    (lambda: ss.HeavyBall(0.1, momentum=1.0), ValueError, r"b1 must be .* \(given as momentum\)"),
    (lambda: ss.RMSProp(0.1, eps_inside="no"), ValueError, r"eps_inside must be True or False"),
    (lambda: ss.Adam(0.1, eps_placment="outside"), TypeError, r"did you mean 'eps_placement'\?"),
    (lambda: ss.RMSProp(0.1, bias_corection=True), TypeError, r"did you mean 'bias_correction'\?"),
    (lambda: ss.HeavyBall(0.1, dampning=0.1), TypeError, r"did you mean 'dampening'\?"),
    (lambda: ss.Nadam(0.1, momentum_decy=1.0), TypeError, r"did you mean 'momentum_decay'\?"),
    (lambda: ss.Adagrad(0.1, initial_accumulater=0.1), TypeError, r"did you mean 'initial_accumulator'\?"),
])
def test_wrong_keywords_name_the_right_one(make, error, pattern):
    with pytest.raises(error, match=pattern):
        make()


@pytest.mark.parametrize("cls", list(ss.OPTIMIZERS), ids=lambda c: c.__name__)
def test_every_rule_suggests_the_closest_keyword(cls):
    with pytest.raises(TypeError, match=rf"{cls.__name__} has no keyword 'l_r' \(did you mean 'lr'\?\); "
                                        rf"{cls.__name__}'s keywords: lr"):
        cls(l_r=0.1)


def test_signatures_show_one_vocabulary():
    # sweeps route parameters by the constructors' signatures: the canonical names, never the aliases
    signatures = {cls: inspect.signature(cls).parameters for cls in ss.OPTIMIZERS}
    for cls, params in signatures.items():
        assert not {"momentum", "rho", "beta1", "eps_inside", "eps_in_max", "eps_mode"} & set(params), cls
        if "eps" in params and cls is not ss.Nadam and cls is not ss.Adadelta:
            assert "eps_placement" in params, cls
    assert list(signatures[ss.HeavyBall]) == ["lr", "b1", "dampening", "nesterov"]
    assert list(signatures[ss.RMSProp])[:2] == ["lr", "b2"] and list(signatures[ss.Adadelta])[:2] == ["lr", "b2"]


def test_frameworks_map_onto_the_vocabulary():
    assert ss.from_framework("pytorch", "SGD", lr=0.1, momentum=0.9) == ss.HeavyBall(0.1, b1=0.9)
    assert ss.from_framework("pytorch", "RMSprop", lr=0.1, alpha=0.8) == \
        ss.RMSProp(0.1, b2=0.8, eps_placement="outside")
    assert ss.from_framework("keras", "Adam", learning_rate=0.1) == \
        ss.Adam(0.1, eps=1e-7, eps_placement="scaled")
    assert ss.from_framework("optax", "adamax", learning_rate=0.1) == ss.Adamax(0.1, eps_placement="inside")


def test_a_users_rule_gets_the_vocabulary():
    H = ss.names("lr", "b1")

    class Polyak(ss.Optimizer):  # as in the README; never registered, never compiled
        hyper = H

        def __init__(self, lr, b1=0.9):
            self.lr, self.b1 = lr, b1

    assert Polyak(learning_rate=0.1, beta1=0.5) == Polyak(0.1, 0.5)
    assert repr(Polyak(0.1)) == "Polyak(lr=0.1, b1=0.9)" and Polyak(0.1).params()["b1"] == 0.9
    with pytest.raises(TypeError, match=r"Polyak has no keyword 'b_1' \(did you mean 'b1'\?\)"):
        Polyak(0.1, b_1=0.5)

    class Coded(ss.Optimizer):  # keeps a code, not its keyword: shown by its kernel fields
        hyper, options = ss.names("lr"), ss.names("mode")

        def __init__(self, lr, placement="a"):
            self.lr, self.mode = lr, "ab".index(placement)

    assert repr(Coded(0.1, "b")) == "Coded(lr=0.1, mode=1)"


def test_quadratic_repr_rebuilds_it():
    q = ss.Quadratic.example()
    assert repr(q) == ("Quadratic(eigenvalues=[0.3, 1.0], noise_std=[1.0, 0.3], x0=[1.0, -2.0], "
                       "theta_star=[0.5, 0.0], rotation=None, minibatch='scaled', x0_spread=0.0)")
    for q in (q, ss.Quadratic([1.0, 0.5, 0.1], noise_std=0.5, rotation=3, minibatch="average", x0_spread=0.2)):
        again = eval(repr(q), vars(simsgd))
        assert repr(again) == repr(q) and again.params() == q.params()
        for name in ("eigenvalues", "noise_std", "x0", "theta_star", "rotation"):
            np.testing.assert_array_equal(getattr(again, name), getattr(q, name))
    assert "noise_std=0.5, x0=1.0, theta_star=0.0" in repr(q)
    big = ss.Quadratic(np.linspace(0.1, 1.0, 40), rotation=1)
    assert "rotation=<array of shape (40, 40)>" in repr(big) and "0.1, " in repr(big)


def test_quadratic_repr_with_a_noise_covariance():
    if "noise_cov" not in inspect.signature(ss.Quadratic).parameters:
        pytest.skip("Quadratic has no noise_cov")
    cov = np.array([[1.0, 0.3, 0.0], [0.3, 0.5, 0.1], [0.0, 0.1, 0.2]])
    q = ss.Quadratic([1.0, 0.5, 0.1], rotation=2, noise_cov=cov)
    again = eval(repr(q), vars(simsgd))
    assert repr(again) == repr(q) and "noise_std=1.0" in repr(q)
    np.testing.assert_array_equal(again.noise_cov, cov)
    np.testing.assert_array_equal(again.noise_std, q.noise_std)


def test_a_users_problem_shows_its_params():
    import quartic

    assert repr(quartic.Quartic.example()).startswith("<Quartic ")

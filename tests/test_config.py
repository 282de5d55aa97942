"""Run configuration (bayes_uat.config.RunConfig): round trips through dicts and TOML, and
every bad key or value refused with a message naming it."""

import pytest

from bayes_uat.config import RunConfig
from bayes_uat.samplers import default_chains


def toml_text(d: dict) -> str:
    def val(v):
        if isinstance(v, bool):
            return "true" if v else "false"
        if isinstance(v, str):
            return f'"{v}"'
        if isinstance(v, list):
            return "[" + ", ".join(val(x) for x in v) + "]"
        return repr(v)

    return "\n".join(f"{k} = {val(v)}" for k, v in d.items() if v is not None) + "\n"


def test_defaults_and_dict_round_trip():
    cfg = RunConfig()
    assert (cfg.target, cfg.units, cfg.activation, cfg.sampler) == ("x2", 2, "sigmoid", "nuts")
    assert RunConfig.from_dict(cfg.to_dict()) == cfg
    custom = RunConfig(units=[3, 2], sampler="emcee", chains=28, draws=50, dense_mass=True)
    assert RunConfig.from_dict(custom.to_dict()) == custom
    assert custom.units_tuple() == (3, 2) and RunConfig(units=4).units_tuple() == (4,)


def test_toml_round_trip(tmp_path):
    cfg = RunConfig(
        target="sin",
        units=[4],
        activation="tanh",
        likelihood="gaussian",
        noise_std=0.1,
        sampler="aies",
        chains=40,
        x_range=[-3.0, 3.0],
        learning_rate=0.05,
        seed=7,
    )
    path = tmp_path / "run.toml"
    path.write_text(toml_text(cfg.to_dict()))
    assert RunConfig.from_toml(path) == cfg
    assert RunConfig.from_toml(str(path)).to_dict() == cfg.to_dict()


def test_chains_default_per_sampler():
    assert RunConfig(units=4, sampler="aies").chains_or_default(13) == 52
    assert RunConfig(sampler="nuts").chains_or_default(7) == default_chains("nuts", 7)
    assert RunConfig(sampler="nuts", chains=3).chains_or_default(7) == 3


@pytest.mark.parametrize(
    "kw, match",
    [
        (dict(units="2"), r"config key 'units': expected int or list, got '2' \(str\)"),
        (dict(draws=1.5), r"config key 'draws': expected int, got 1.5"),
        (dict(draws=True), r"config key 'draws': expected int, got True \(bool\)"),
        (dict(dense_mass=1), r"config key 'dense_mass': expected bool"),
        (dict(prior_std="30"), r"config key 'prior_std': expected float"),
        (dict(sampler="hmc"), r"config key 'sampler': unknown value 'hmc'; choose one of"),
        (dict(activation="gelu"), r"config key 'activation': unknown value 'gelu'"),
        (dict(init="zeros"), r"config key 'init': unknown value 'zeros'; choose one of sgd"),
    ],
)
def test_bad_values_name_the_key(kw, match):
    with pytest.raises(ValueError, match=match):
        RunConfig(**kw)


def test_unknown_keys_and_bad_files(tmp_path):
    with pytest.raises(ValueError, match=r"config: unknown key\(s\) \['unit'\]; valid keys"):
        RunConfig.from_dict({"unit": 2})
    bad = tmp_path / "bad.toml"
    bad.write_text("units = 2\nwarmpu = 10\n")
    with pytest.raises(ValueError, match=r"bad.toml: unknown key\(s\) \['warmpu'\]"):
        RunConfig.from_toml(bad)
    broken = tmp_path / "broken.toml"
    broken.write_text("units = = 2\n")
    with pytest.raises(ValueError, match="broken.toml: not valid TOML"):
        RunConfig.from_toml(broken)
    with pytest.raises(FileNotFoundError, match="does not exist"):
        RunConfig.from_toml(tmp_path / "missing.toml")

"""Process-level JAX settings (bayes_uat.runtime): host device count and compilation cache."""

import os
from pathlib import Path

import jax
import jax.numpy as jnp
import pytest

from bayes_uat.runtime import (
    default_compilation_cache,
    enable_compilation_cache,
    release_compiled,
    set_host_device_count,
)

FLAG = "--xla_force_host_platform_device_count"


def test_host_device_count_added_to_xla_flags(monkeypatch):
    monkeypatch.setenv("XLA_FLAGS", "--xla_cpu_enable_fast_math=false")
    assert set_host_device_count(4) == 4
    assert os.environ["XLA_FLAGS"] == f"--xla_cpu_enable_fast_math=false {FLAG}=4"
    monkeypatch.delenv("XLA_FLAGS")
    assert set_host_device_count(2) == 2
    assert os.environ["XLA_FLAGS"] == f"{FLAG}=2"


def test_count_already_in_xla_flags_wins(monkeypatch):
    monkeypatch.setenv("XLA_FLAGS", f"{FLAG}=3 --other=1")
    assert set_host_device_count(8) == 3
    assert os.environ["XLA_FLAGS"] == f"{FLAG}=3 --other=1"


@pytest.fixture
def restore_cache_config():
    names = ("jax_compilation_cache_dir", "jax_persistent_cache_min_compile_time_secs")
    old = {k: getattr(jax.config, k) for k in names}
    yield
    for k, v in old.items():
        jax.config.update(k, v)


def test_compilation_cache_off_on_empty_env(monkeypatch, restore_cache_config):
    before = jax.config.jax_compilation_cache_dir
    monkeypatch.setenv("BAYES_UAT_JAX_CACHE", "")
    assert enable_compilation_cache() is None
    assert jax.config.jax_compilation_cache_dir == before


def test_compilation_cache_directory(tmp_path, monkeypatch, restore_cache_config):
    assert enable_compilation_cache(tmp_path / "a") == str(tmp_path / "a")
    assert jax.config.jax_compilation_cache_dir == str(tmp_path / "a")
    assert jax.config.jax_persistent_cache_min_compile_time_secs == 0.0
    monkeypatch.setenv("BAYES_UAT_JAX_CACHE", str(tmp_path / "env"))
    assert enable_compilation_cache() == str(tmp_path / "env")
    assert jax.config.jax_compilation_cache_dir == str(tmp_path / "env")
    monkeypatch.delenv("BAYES_UAT_JAX_CACHE")
    monkeypatch.setenv("HOME", str(tmp_path))
    assert enable_compilation_cache() == str(tmp_path / ".cache" / "bayes_uat" / "jax")


def test_default_cache_keeps_one_already_in_force(tmp_path, monkeypatch, restore_cache_config):
    jax.config.update("jax_compilation_cache_dir", str(tmp_path / "mine"))
    monkeypatch.setenv("BAYES_UAT_JAX_CACHE", str(tmp_path / "other"))
    assert default_compilation_cache() == str(tmp_path / "mine")
    jax.config.update("jax_compilation_cache_dir", None)
    monkeypatch.setenv("BAYES_UAT_JAX_CACHE", "")
    assert default_compilation_cache() is None


@pytest.mark.skipif(not Path("/proc/self/maps").exists(), reason="needs Linux's /proc")
def test_release_compiled_returns_the_memory_mappings_of_dropped_programs():
    """Every compiled CPU program holds memory mappings until dropped; a process that keeps
    compiling reaches vm.max_map_count and crashes in XLA, so after release_compiled a
    second batch of new programs must leave the process with no more mappings than the
    first batch did (the allocator keeps some from the first: compare batch to batch)."""

    def mappings() -> int:
        return len(Path("/proc/self/maps").read_text().splitlines())

    def compile_batch(offset: int) -> int:
        before = mappings()
        for k in range(offset, offset + 40):  # forty programs never compiled before
            jax.jit(lambda x, k=k: jnp.sin(x) * k + jnp.cos(x) ** 2)(jnp.ones(k + 1))
        return mappings() - before

    compile_batch(0)
    release_compiled()
    after_first = mappings()
    grown = compile_batch(100)
    assert grown > 40, grown  # each program added mappings
    release_compiled()
    assert mappings() - after_first < grown / 4, (after_first, grown, mappings())

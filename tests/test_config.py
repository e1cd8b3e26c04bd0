"""Site settings: defaults, validation with lines and suggestions, taxonomies."""

from __future__ import annotations

from pathlib import Path

import pytest

from scarsite.config import DEFAULT_TAXONOMIES, SiteConfig, Taxonomy, load_config
from scarsite.errors import Problems, SiteError


def _load(tmp_path: Path, text: str) -> tuple[SiteConfig, list[str]]:
    (tmp_path / "pyproject.toml").write_text(text)
    problems = Problems()
    config = load_config(tmp_path, problems)
    return config, [str(p) for p in problems.items]


def test_config_without_settings_file_uses_defaults(tmp_path: Path) -> None:
    config = load_config(tmp_path, Problems())
    assert config.from_defaults
    assert config.language == "en"
    assert config.review_interval_months == 36
    assert config.taxonomies == DEFAULT_TAXONOMIES


def test_config_without_table_uses_defaults(tmp_path: Path) -> None:
    config, problems = _load(tmp_path, '[project]\nname = "x"\n')
    assert config.from_defaults and problems == []


def test_config_reads_every_setting(tmp_path: Path) -> None:
    config, problems = _load(tmp_path, """
[tool.scarsite]
title = "Scars"
base_url = "https://example.org/sub"
language = "en-GB"
description = "About scars"
review_interval_months = 12
""")
    assert problems == []
    assert config == SiteConfig(title="Scars", base_url="https://example.org/sub/",
                                language="en-GB", description="About scars",
                                review_interval_months=12)
    assert config.base_path == "/sub/"
    assert not config.from_defaults


def test_config_rejects_unknown_key_with_suggestion_and_line(tmp_path: Path) -> None:
    _, problems = _load(tmp_path, '[tool.scarsite]\ntitle = "x"\nbase_ulr = "https://a.b/"\n')
    assert problems == ["pyproject.toml:3: base_ulr: unknown setting (did you mean 'base_url'?)"]


def test_config_reports_every_wrong_value(tmp_path: Path) -> None:
    _, problems = _load(tmp_path, """[tool.scarsite]
title = 3
base_url = "example.org"
language = "english language"
review_interval_months = 0
""")
    assert problems == [
        "pyproject.toml:2: title: must be a string, not 3",
        "pyproject.toml:3: base_url: 'example.org' is not an absolute http(s) URL such as "
        "'https://example.org/'",
        "pyproject.toml:4: language: 'english language' is not a language tag such as 'en' "
        "or 'en-GB'",
        "pyproject.toml:5: review_interval_months: must be between 1 and 120, not 0",
    ]


def test_config_custom_taxonomies(tmp_path: Path) -> None:
    config, problems = _load(tmp_path, """[tool.scarsite]
[tool.scarsite.taxonomies.scar_types]
kind = "scar-type"
title = "Kinds of scar"
""")
    assert problems == []
    assert config.taxonomies == (Taxonomy("scar_types", "scar-type", "Kinds of scar"),)


def test_config_taxonomy_with_unknown_kind(tmp_path: Path) -> None:
    _, problems = _load(tmp_path, """[tool.scarsite.taxonomies.scar_types]
kind = "scar"
""")
    assert problems == ["pyproject.toml:2: taxonomies.scar_types.kind: 'scar' is not a kind; "
                        "use one of scar-type, treatment, aftercare, guide "
                        "(did you mean 'scar-type'?)"]


def test_config_invalid_toml_stops_with_line(tmp_path: Path) -> None:
    with pytest.raises(SiteError) as caught:
        _load(tmp_path, '[tool.scarsite]\ntitle = "unclosed\n')
    assert str(caught.value).startswith("pyproject.toml:2: not valid TOML: ")

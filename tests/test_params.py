"""The one parameter specification: build options vs display parameters, one error format."""

from __future__ import annotations

import pytest

from analysis.errors import ParameterError
from analysis.params import BUILD_PARAMS, SPEC, check_build, check_display
from analysis.study import open_study, refuse_build_parameters


def test_a_build_parameter_given_as_display_names_the_build_option():
    with pytest.raises(ParameterError, match=r"parameter seed: .*build option: python -m analysis report --seed 7"):
        check_display({"seed": 7})
    with pytest.raises(ParameterError, match="--top-k"):
        check_display({"top_k": 5})


def test_an_unknown_display_parameter_lists_the_valid_ones():
    with pytest.raises(ParameterError, match=r"parameter colour: unknown display parameter; valid: lang, guests"):
        check_display({"colour": "red"})


@pytest.mark.parametrize("name, value", [("lang", "fr"), ("window", "page"), ("evidence_rows", -1),
                                         ("evidence_rows", True), ("target_f1", 2), ("guests", 3)])
def test_a_display_value_outside_its_domain_is_refused_by_name(name, value):
    with pytest.raises(ParameterError, match=f"^parameter {name}: "):
        check_display({name: value})


def test_a_single_guest_name_is_read_as_a_list():
    assert check_display({"guests": "丁宁"}) == {"guests": ["丁宁"]}


def test_build_parameters_get_their_defaults_and_refuse_bad_values():
    assert check_build({})["seed"] == SPEC["seed"].default
    assert check_build({"seed": 7})["seed"] == 7
    with pytest.raises(ParameterError, match="^parameter resamples: "):
        check_build({"resamples": 5})
    with pytest.raises(ParameterError, match="unknown build option"):
        check_build({"lang": "en"})


def test_every_build_parameter_has_a_command_line_option():
    assert [p.option for p in BUILD_PARAMS][:4] == ["--seed", "--resamples", "--top-k", "--min-count"]


def test_a_build_parameter_set_in_a_notebook_namespace_is_an_error_naming_the_option():
    with pytest.raises(ParameterError, match="--seed 7"):
        refuse_build_parameters({"seed": 7, "lang": "zh"})
    refuse_build_parameters({"lang": "zh", "guests": []})  # display parameters are fine


def test_a_study_refuses_a_table_parameter_as_a_keyword():
    with pytest.raises(ParameterError, match="--min-count"):
        open_study(min_count=3)
